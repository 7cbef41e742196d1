"""Shared case notes as a source of every data category: the notes about the person filed under the category
by the agency that holds the person's record. Own-agency notes are never read here.

The notes of every category a request releases are read in one statement (the sources of the categories form
one batch, `BatchedSource`), so a request releasing identity and contact reads case notes once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import (
    BatchedSource,
    CategorySource,
    Sourced,
    StatementBatch,
    register_category_source,
)
from app.core.crypto import decrypt_text
from app.core.sql import Prebuilt, any_of
from app.core.vocab import DataCategory
from app.notes.models import CaseNote, note_text_aad
from app.notes.schemas import Audience

# The shared notes about a person filed under any of some categories, oldest first (built once).
_SHARED_NOTES = Prebuilt(
    sa.select(CaseNote.id, CaseNote.category, CaseNote.text_enc, CaseNote.created_at, CaseNote.updated_at)
    .where(CaseNote.person_id == sa.bindparam("person_id"), CaseNote.agency_id == sa.bindparam("agency_id"),
           CaseNote.audience == Audience.shared.value,
           any_of(CaseNote.category, "categories"))
    .order_by(CaseNote.created_at, CaseNote.id)
)


def _notes_params(person: Person, categories: list[str]) -> dict[str, Any]:
    return {"person_id": person.id, "agency_id": person.agency_id, "categories": list(categories)}


def _notes_by_category(
    rows: list[Any], person: Person, payload: dict[str, Any], categories: list[str]
) -> dict[str, Sourced | None]:
    """The shared notes filed under each category asked ({"notes": [{id, written_at, text, category}, ...]}, or
    None when there are none)."""
    by_category: dict[str, list[Any]] = {}
    for n in rows:
        by_category.setdefault(n.category, []).append(n)
    out: dict[str, Sourced | None] = {}
    for category in categories:
        notes = by_category.get(category)
        out[category] = None if not notes else Sourced(
            {"notes": [{"id": str(n.id), "written_at": n.created_at.isoformat(),
                        "text": decrypt_text(n.text_enc, note_text_aad(n.id)) or "", "category": n.category}
                       for n in notes]},
            max(n.updated_at or n.created_at for n in notes))
    return out


# The shared notes of every category a request releases, in one statement (read with the request's other
# statement sources, `read_categories`).
shared_notes = StatementBatch(_SHARED_NOTES, _notes_params, _notes_by_category)


def notes_source(category: DataCategory) -> CategorySource:
    """The source of the shared notes filed under `category` (one of the batch `shared_notes`)."""
    return BatchedSource(shared_notes, category.value, f"shared_notes_{category.value}")


SOURCES: dict[DataCategory, CategorySource] = {c: notes_source(c) for c in DataCategory}


def register() -> None:
    for category, source in SOURCES.items():
        register_category_source(category, source)
