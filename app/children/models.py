"""The details of a child person: one row per child, held by the agency whose case the child is in.

Coded fields (the living arrangement and with whom, the kind of visitation and of supervisor, the need codes)
are plain, for reports; the school, the visitation schedule and the text about needs are sealed at rest, each
bound to the row and field. An address is never held here (it is the person's `location`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class ChildDetails(Versioned, table=True):
    __tablename__ = "child_details"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", unique=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    living_arrangement: str | None = Field(default=None, max_length=32)
    living_with: list[str] = json_field()
    school_enc: str | None = Field(default=None, sa_type=sa.Text)
    visitation_kind: str | None = Field(default=None, max_length=32)
    visitation_supervisor: str | None = Field(default=None, max_length=40)
    visitation_schedule_enc: str | None = Field(default=None, sa_type=sa.Text)
    need_codes: list[str] = json_field()
    needs_text_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_by: uuid.UUID | None = None
    updated_by: uuid.UUID | None = None
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def child_details_aad(row_id: object, field: str) -> bytes:
    return f"child_details:{row_id}:{field}".encode()


# field name in the aad -> column
CHILD_SEALED = {"school": "school_enc", "visitation_schedule": "visitation_schedule_enc", "needs_text": "needs_text_enc"}

for _field, _column in CHILD_SEALED.items():
    register_sealed(ChildDetails, _column, lambda row, _f=_field: child_details_aad(row.id, _f))
