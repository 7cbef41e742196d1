"""Court events of a case (hearings in dependency, family, criminal or protective-order court) and their coded
findings.

The court case number, the courtroom, the outcome details, the attorneys and the guardian ad litem are sealed
at rest. Findings are rows of their own (code, the person a finding is against), so reports can count, say,
failure-to-protect findings against survivors; a finding's free-text details are sealed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field


class CourtEvent(Versioned, table=True):
    __tablename__ = "court_events"
    __table_args__ = (
        sa.Index("ix_court_events_case_created", "case_id", "created_at"),
        sa.Index("ix_court_events_case_scheduled", "case_id", "scheduled_for"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    court_kind: str = Field(max_length=24)  # dependency | family | criminal | protective_order
    kind: str = Field(max_length=32)  # the hearing kind (HearingKind)
    scheduled_for: datetime = Field(sa_type=UTCDateTime, nullable=False)
    outcome: str | None = Field(default=None, max_length=24)  # None until the hearing has an outcome
    court_case_number_enc: str | None = Field(default=None, sa_type=sa.Text)
    courtroom_enc: str | None = Field(default=None, sa_type=sa.Text)
    outcome_details_enc: str | None = Field(default=None, sa_type=sa.Text)
    attorneys_enc: str | None = Field(default=None, sa_type=sa.Text)
    guardian_ad_litem_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CourtFinding(SQLModel, table=True):
    """One coded finding of a court event; replaced as a whole when the event's findings change."""

    __tablename__ = "court_findings"
    __table_args__ = (sa.Index("ix_court_findings_agency_code", "agency_id", "code"),)

    id: uuid.UUID = id_field()
    court_event_id: uuid.UUID = Field(foreign_key="court_events.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    position: int = Field(nullable=False)
    code: str = Field(max_length=40)
    against_person_id: uuid.UUID | None = Field(default=None, foreign_key="people.id", index=True)
    details_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_field()


def event_aad(event_id: object, field: str) -> bytes:
    """Binds a sealed value to its row and field."""
    return f"court_event:{event_id}:{field}".encode()


def finding_aad(finding_id: object) -> bytes:
    return f"court_finding:{finding_id}:details".encode()


# field name in the aad -> column
EVENT_SEALED = {"court_case_number": "court_case_number_enc", "courtroom": "courtroom_enc",
                "outcome_details": "outcome_details_enc", "attorneys": "attorneys_enc",
                "guardian_ad_litem": "guardian_ad_litem_enc"}

for _field, _column in EVENT_SEALED.items():
    register_sealed(CourtEvent, _column, lambda row, _f=_field: event_aad(row.id, _f))
register_sealed(CourtFinding, "details_enc", lambda row: finding_aad(row.id))
