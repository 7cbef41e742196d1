"""Case notes. A note is written on a case and has an audience: `own_agency` (never leaves the agency) or
`shared`, filed under a data category and about one person of the case; a shared note reaches another agency
only when the disclosure rule releases that category of that person. The text is sealed at rest, bound to the
row."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field


class CaseNote(Versioned, table=True):
    __tablename__ = "case_notes"
    __table_args__ = (
        sa.Index("ix_case_notes_case_created", "case_id", "created_at"),
        sa.Index("ix_case_notes_person_category", "person_id", "category"),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="people.id")
    audience: str = Field(max_length=16)  # own_agency | shared
    category: str | None = Field(default=None, max_length=32)  # a DataCategory; only (and always) when shared
    text_enc: str = Field(sa_type=sa.Text)
    author_id: uuid.UUID | None = None
    author_ref: str = Field(max_length=200)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def note_text_aad(note_id: object) -> bytes:
    return f"case_note:{note_id}:text".encode()


register_sealed(CaseNote, "text_enc", lambda row: note_text_aad(row.id))
