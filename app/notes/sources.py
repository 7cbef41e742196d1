"""Shared case notes as a source of every data category: the notes about the person filed under the category
by the agency that holds the person's record. Own-agency notes are never read here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import CategorySource, Sourced, register_category_source
from app.core.vocab import DataCategory
from app.notes.models import CaseNote
from app.notes.schemas import Audience
from app.notes.service import note_text


def notes_source(category: DataCategory) -> CategorySource:
    """The source of the shared notes filed under `category`."""

    async def shared_notes(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
        rows = list((await session.execute(sa.select(CaseNote).where(
            CaseNote.person_id == person.id, CaseNote.agency_id == person.agency_id,
            CaseNote.audience == Audience.shared.value, CaseNote.category == category.value,
        ).order_by(CaseNote.created_at, CaseNote.id))).scalars())
        if not rows:
            return None
        notes = [{"id": str(n.id), "written_at": n.created_at.isoformat(), "text": note_text(n),
                  "category": n.category} for n in rows]
        return Sourced({"notes": notes}, max(n.updated_at or n.created_at for n in rows))

    shared_notes.__name__ = f"shared_notes_{category.value}"
    return shared_notes


SOURCES: dict[DataCategory, CategorySource] = {c: notes_source(c) for c in DataCategory}


def register() -> None:
    for category, source in SOURCES.items():
        register_category_source(category, source)
