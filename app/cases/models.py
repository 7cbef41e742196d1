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
    # Set when the case is closed through POST /cases/{id}/close: the coded reason (CaseClosureReason), when,
    # and a supervisor's reason for closing without a current closure checklist (sealed free text).
    closure_reason: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closure_override_enc: str | None = Field(default=None, sa_type=sa.Text)


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


def case_closure_aad(case_id: object) -> bytes:
    """Binds a case's sealed closure override reason to its row."""
    return f"case:{case_id}:closure_override".encode()


register_sealed(Case, "closure_override_enc", lambda row: case_closure_aad(row.id))


class PersonLink(SQLModel, table=True):
    """A link between two agencies' records of the same person, made when the receiving agency accepted a
    referral and created its own record from what the disclosure rule released. It carries no data: it lets
    either agency ask for a disclosure about "the other agency's record linked to my person" by its own
    person id. `person_id` is the referring agency's record, `linked_person_id` the receiving agency's. Ended
    by either side (`ended_at`); an ended link resolves nothing."""

    __tablename__ = "person_links"
    __table_args__ = (
        sa.Index("ix_person_links_person", "person_id", "created_at"),
        sa.Index("ix_person_links_linked_person", "linked_person_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id")
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    linked_person_id: uuid.UUID = Field(foreign_key="people.id")
    linked_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    referral_id: uuid.UUID | None = Field(default=None, index=True)  # the accepted referral that made it
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=300)


class CaseLink(SQLModel, table=True):
    """The referring agency's case (`case_id`) and the case the receiving agency opened on accepting a
    referral (`linked_case_id`). No data; a link between the cases of linked people."""

    __tablename__ = "case_links"

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    linked_case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    linked_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    referral_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = created_field()
