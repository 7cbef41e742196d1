"""Rules of case notes: write, read, change and list them; a shared note is filed under a category and about
a person of the case, an own-agency note under no category."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.access import get_visible_case
from app.cases.models import Case, Person
from app.core.clock import utcnow
from app.core.crypto import decrypt_text, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.notes import access
from app.notes.models import CaseNote, note_text_aad
from app.notes.schemas import Audience, NoteCreate, NoteUpdate
from app.outbox.events import emit
from app.trail.recorder import record


async def _check_filing(
    session: AsyncSession, case: Case, audience: str, category: str | None, person_id: uuid.UUID | None
) -> None:
    """422 unless a shared note names a category and a person of the case, an own-agency note no category,
    and a person named is one of the case."""
    if audience == Audience.shared:
        if category is None:
            raise Invalid("A shared note names the data category it is filed under.", loc=["body", "category"],
                          type="category_required")
        if person_id is None:
            raise Invalid("A shared note names the person of the case it is about.", loc=["body", "person_id"],
                          type="person_required")
    elif category is not None:
        raise Invalid("A note for your own agency is filed under no category (it never leaves the agency).",
                      loc=["body", "category"], type="category_not_allowed")
    if person_id is not None:
        found = await session.execute(sa.select(Person.id).where(Person.id == person_id, Person.case_id == case.id))
        if found.first() is None:
            raise Invalid("person_id must name a person of this case.", loc=["body", "person_id"],
                          type="person_not_in_case")


def note_text(note: CaseNote) -> str:
    return decrypt_text(note.text_enc, note_text_aad(note.id)) or ""


def note_read(note: CaseNote) -> dict[str, Any]:
    """Shaped as NoteRead (the text unsealed)."""
    return {"id": note.id, "case_id": note.case_id, "agency_id": note.agency_id, "person_id": note.person_id,
            "audience": note.audience, "category": note.category, "text": note_text(note),
            "author_id": note.author_id, "created_at": note.created_at, "updated_at": note.updated_at}


def _seal_text(note: CaseNote, text: str) -> None:
    sealed = encrypt_json(text, note_text_aad(note.id), owner=note.agency_id)
    assert sealed is not None
    note.text_enc = sealed


async def create_note(session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: NoteCreate) -> CaseNote:
    case = await get_visible_case(session, principal, case_id)
    category = data.category.value if data.category else None
    await _check_filing(session, case, data.audience.value, category, data.person_id)
    note = CaseNote(case_id=case.id, agency_id=case.agency_id, person_id=data.person_id,
                    audience=data.audience.value, category=category, text_enc="",
                    author_id=principal.user_id, author_ref=principal.ref[:200])
    _seal_text(note, data.text)
    session.add(note)
    await session.flush()
    await record(session, principal, "note.create", "note", note.id, agency_id=note.agency_id)
    await emit(session, "note.created", [note.agency_id], {"note_id": str(note.id), "case_id": str(note.case_id)})
    return note


async def get_note(session: AsyncSession, principal: Principal, note_id: uuid.UUID) -> CaseNote:
    return await one_or_404(session, sa.select(CaseNote).where(
        CaseNote.id == note_id, access.note_visible_clause(principal)), "note")


async def update_note(
    session: AsyncSession, principal: Principal, note: CaseNote, data: NoteUpdate
) -> tuple[CaseNote, dict[str, Any]]:
    """Change the note (the result must still be filed consistently); returns (note, its rendering)."""
    fields = data.model_fields_set
    for k in ("text", "audience"):
        if k in fields and getattr(data, k) is None:
            raise Invalid(f"{k} cannot be null.", loc=["body", k])
    audience = data.audience.value if data.audience is not None else note.audience
    category = (data.category.value if data.category else None) if "category" in fields else note.category
    if audience == Audience.own_agency and "audience" in fields and "category" not in fields:
        category = None  # made private: it is filed under no category any more
    person_id = data.person_id if "person_id" in fields else note.person_id
    case = await get_visible_case(session, principal, note.case_id)
    await _check_filing(session, case, audience, category, person_id)
    note.audience, note.category, note.person_id = audience, category, person_id
    if data.text is not None:
        _seal_text(note, data.text)
    note.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "note.update", "note", note.id, agency_id=note.agency_id)
    await emit(session, "note.updated", [note.agency_id], {"note_id": str(note.id), "case_id": str(note.case_id)})
    return note, note_read(note)


async def list_notes(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams,
    *, audience: Audience | None = None, category: str | None = None,
) -> tuple[list[CaseNote], str | None]:
    case = await get_visible_case(session, principal, case_id)
    stmt = sa.select(CaseNote).where(CaseNote.case_id == case.id, access.note_visible_clause(principal))
    if audience is not None:
        stmt = stmt.where(CaseNote.audience == audience.value)
    if category is not None:
        stmt = stmt.where(CaseNote.category == category)
    return await paginate(session, stmt, CaseNote, page)
