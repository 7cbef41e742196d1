"""Joint referrals between a CPS and a DV agency, the people they name, and their timeline.

Free text written about the family (reason, family goals, decline reason, outcome) is sealed at rest.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import owner_column, register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field

# Sent at some point (the incoming box), as the predicate of its partial index below.
SENT_SQL = "sent_at IS NOT NULL"
# Sent and not yet answered (service.AWAITING_ANSWER), as the predicate of the partial indexes below.
AWAITING_SQL = "status IN ('sent', 'acknowledged')"


class Referral(Versioned, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        # Each box is read newest first by (created_at, id): the index order is the list order, and a cursor
        # seeks straight to its row (migration referral_list_indexes).
        sa.Index("ix_referrals_from_agency_created", "from_agency_id", "created_at", "id"),
        # The incoming box shows sent referrals only (`sent_at` set, referrals/access.py): its index leaves the
        # drafts out, so a pile of drafts addressed to an agency cannot slow its inbox.
        sa.Index("ix_referrals_to_agency_created", "to_agency_id", "created_at", "id",
                 postgresql_where=sa.text(SENT_SQL), sqlite_where=sa.text(SENT_SQL)),
        # Overdue lists read only the referrals still awaiting an answer (AWAITING_SQL in the query too).
        sa.Index("ix_referrals_from_agency_awaiting", "from_agency_id", "created_at", "id",
                 postgresql_where=sa.text(AWAITING_SQL), sqlite_where=sa.text(AWAITING_SQL)),
        sa.Index("ix_referrals_to_agency_awaiting", "to_agency_id", "created_at", "id",
                 postgresql_where=sa.text(AWAITING_SQL), sqlite_where=sa.text(AWAITING_SQL)),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    from_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    to_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    # draft | sent | acknowledged | accepted | declined | closed | withdrawn
    status: str = Field(default="draft", max_length=16, index=True)
    urgency: str = Field(default="routine", max_length=16)  # emergency | urgent | routine
    # The consent the referrer named on create (each person's consent is checked again on send).
    consent_id: uuid.UUID | None = Field(default=None, foreign_key="consents.id")
    decline_reason_code: str | None = Field(default=None, max_length=32)
    reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    family_goals_enc: str | None = Field(default=None, sa_type=sa.Text)
    decline_reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    outcome_enc: str | None = Field(default=None, sa_type=sa.Text)
    # The coded outcome recorded on close (schemas.OutcomeCode), beside the free-text outcome.
    outcome_code: str | None = Field(default=None, max_length=32)
    created_by: uuid.UUID | None = Field(default=None)
    # The receiving agency's worker who acknowledged or accepted it.
    assigned_to: uuid.UUID | None = Field(default=None)
    created_at: datetime = created_field()
    sent_at: datetime | None = time_field()
    respond_by: datetime | None = time_field(index=True)
    acknowledged_at: datetime | None = time_field()
    accepted_at: datetime | None = time_field()
    declined_at: datetime | None = time_field()
    closed_at: datetime | None = time_field()
    withdrawn_at: datetime | None = time_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReferralPerson(SQLModel, table=True):
    """A person named in a referral; on send, the consent found for them and the categories it covers."""

    __tablename__ = "referral_people"
    __table_args__ = (sa.UniqueConstraint("referral_id", "person_id"),)

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    consent_id: uuid.UUID | None = Field(default=None)
    categories: list[str] = json_field()
    created_at: datetime = created_field()


class ReferralEvent(SQLModel, table=True):
    """One step of a referral's timeline: who, which agency, when, from and to, and who was involved then."""

    __tablename__ = "referral_events"

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_id: str | None = Field(default=None, max_length=300)
    actor_agency_id: uuid.UUID | None = Field(default=None)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=300)  # written by the service; never personal data
    snapshot: dict[str, Any] = json_field(dict)
    created_at: datetime = created_field()


SEALED_TEXT = {"reason": "reason_enc", "family_goals": "family_goals_enc", "decline_reason": "decline_reason_enc",
               "outcome": "outcome_enc"}
# Whose key seals each text: the receiving agency wrote the decline reason; the referring agency the rest.
SEALED_OWNER = {"decline_reason": "to_agency_id"}


def referral_owner(referral: Referral, field: str) -> uuid.UUID:
    owner: uuid.UUID = getattr(referral, SEALED_OWNER.get(field, "from_agency_id"))
    return owner


def referral_aad(referral_id: object, field: str) -> bytes:
    """Binds a sealed value to its referral and field."""
    return f"referral:{referral_id}:{field}".encode()


for _field, _column in SEALED_TEXT.items():
    register_sealed(Referral, _column, lambda row, _f=_field: referral_aad(row.id, _f),
                    owner_column(SEALED_OWNER.get(_field, "from_agency_id")))
