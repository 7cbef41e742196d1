"""Treatment participation (substance use or mental health), held by the agency that holds the person's record:
the program's kind, the status and the dates. Never clinical notes: the table has no free text at all."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import UTCDateTime, Versioned, created_field, id_field


class Treatment(Versioned, table=True):
    __tablename__ = "treatments"
    __table_args__ = (sa.Index("ix_treatments_person_created", "person_id", "created_at", "id"),)

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")  # the agency holding the person's record
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="people.id")
    # The data category it is released under (substance_use | mental_health); fixed once recorded.
    domain: str = Field(max_length=16)
    program_kind: str = Field(max_length=40)  # ProgramKind
    status: str = Field(max_length=16)  # TreatmentStatus
    started_on: date | None = None
    ended_on: date | None = None
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
