"""Co-located DV advocates: their weekly assignments to CPS field offices, and case consultations."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import owner_column, register_sealed
from app.core.db import Versioned, created_field, id_field, json_field, time_field


class AdvocateAssignment(Versioned, table=True):
    """A DV agency's advocate on site at a CPS office: weekdays and hours in the office's local time,
    between two dates, taking at most `max_open_consultations` at once."""

    __tablename__ = "advocate_assignments"
    __table_args__ = (
        sa.Index("ix_advocate_assignments_office_status", "office_id", "status"),
        sa.Index("ix_advocate_assignments_advocate_status", "advocate_id", "status"),
    )

    id: uuid.UUID = id_field()
    advocate_id: uuid.UUID = Field(foreign_key="users.id")
    dv_agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    office_id: uuid.UUID = Field(foreign_key="offices.id")
    cps_agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    weekdays: list[int] = json_field()  # 0 = Monday ... 6 = Sunday
    start_time: time
    end_time: time
    starts_on: date
    ends_on: date | None = None
    max_open_consultations: int
    status: str = Field(default="active", max_length=16)  # active | ended
    ended_at: datetime | None = time_field()
    ended_by: uuid.UUID | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime = created_field()


class Consultation(Versioned, table=True):
    """A CPS worker's question to the co-located advocate about one case.

    `question` and `advice` are free text about a family and are sealed at rest.
    """

    __tablename__ = "consultations"
    __table_args__ = (
        sa.Index("ix_consultations_office_status", "office_id", "status"),
        sa.Index("ix_consultations_advocate_status", "advocate_id", "status"),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    office_id: uuid.UUID = Field(foreign_key="offices.id")
    cps_agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    requested_by: uuid.UUID | None = Field(default=None, index=True)
    urgency: str = Field(max_length=16)  # emergency | urgent | routine
    status: str = Field(default="queued", max_length=16)  # queued | routed | accepted | responded | closed
    question_enc: str = Field(sa_type=sa.Text)
    advice_enc: str | None = Field(default=None, sa_type=sa.Text)
    suggested_checklist_items: list[str] = json_field()
    advocate_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    dv_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id", index=True)
    assignment_id: uuid.UUID | None = Field(default=None, foreign_key="advocate_assignments.id")
    routed_by: uuid.UUID | None = None  # the supervisor who named the advocate; None when routed automatically
    closed_by: uuid.UUID | None = None
    created_at: datetime = created_field()
    routed_at: datetime | None = time_field()
    accepted_at: datetime | None = time_field()
    responded_at: datetime | None = time_field()
    closed_at: datetime | None = time_field()


def consultation_aad(consultation_id: object, field: str) -> bytes:
    """Binds a sealed value to its row and field."""
    return f"consultation:{consultation_id}:{field}".encode()


register_sealed(Consultation, "question_enc", lambda row: consultation_aad(row.id, "question"),
                owner_column("cps_agency_id"))
register_sealed(Consultation, "advice_enc", lambda row: consultation_aad(row.id, "advice"),
                lambda t: sa.func.coalesce(t.c.dv_agency_id, t.c.cps_agency_id))
