"""Cases (a CPS case or a DV agency's client record), the people in them, and the case team."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class Case(Versioned, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_agency_created", "agency_id", "created_at"),
        sa.Index("ix_cases_agency_reference", "agency_id", "reference"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    reference: str = Field(max_length=100)
    dv_indicators: list[str] = json_field()
    office_id: uuid.UUID | None = Field(default=None, foreign_key="offices.id", index=True)
    status: str = Field(default="open", max_length=16)  # open | closed
    stage: str = Field(default="intake", max_length=24)  # CaseStage
    assigned_worker_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaseTeamMember(SQLModel, table=True):
    __tablename__ = "case_team_members"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id"),)

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    added_by: uuid.UUID | None = None
    created_at: datetime = created_field()


class Person(Versioned, table=True):
    """A person in a case. Contact, address and safe-contact instructions are stored encrypted."""

    __tablename__ = "people"

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    case_role: str = Field(max_length=32)
    full_name: str = Field(max_length=200)
    date_of_birth: date | None = None
    race_ethnicity: list[str] = json_field()
    language: str | None = Field(default=None, max_length=40)
    contact_enc: str | None = Field(default=None, sa_type=sa.Text)
    address_enc: str | None = Field(default=None, sa_type=sa.Text)
    safe_contact_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def person_aad(person_id: object, field: str) -> bytes:
    """Binds a sealed value to its row and field: a ciphertext copied elsewhere does not decrypt."""
    return f"person:{person_id}:{field}".encode()


# field name in the aad -> column
PERSON_SEALED = {"contact": "contact_enc", "address": "address_enc", "safe_contact_instructions": "safe_contact_enc"}

for _field, _column in PERSON_SEALED.items():
    register_sealed(Person, _column, lambda row, _f=_field: person_aad(row.id, _f))
