"""Create / transition / Read schemas for joint referrals. Read schemas carry person ids, never names."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.types import Input, unique_items


class ReferralStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    acknowledged = "acknowledged"
    accepted = "accepted"
    declined = "declined"
    closed = "closed"
    withdrawn = "withdrawn"


class ReferralUrgency(StrEnum):
    """How soon the receiving agency must answer once the referral is sent (see settings referral_*)."""

    emergency = "emergency"
    urgent = "urgent"
    routine = "routine"


Urgency = ReferralUrgency  # the name the domain uses; ReferralUrgency is its name in the OpenAPI document


class DeclineReasonCode(StrEnum):
    """Why a receiving agency declined a referral (a fixed vocabulary, used in reports)."""

    no_capacity = "no_capacity"
    outside_service_area = "outside_service_area"
    not_eligible = "not_eligible"
    survivor_declined_services = "survivor_declined_services"
    unable_to_reach = "unable_to_reach"
    safety_concern = "safety_concern"
    duplicate = "duplicate"
    other = "other"


class OutcomeCode(StrEnum):
    """How a referral ended, recorded when the sending agency closes it (a fixed vocabulary, used in reports)."""

    service_started = "service_started"
    declined_by_family = "declined_by_family"
    unable_to_reach = "unable_to_reach"
    not_eligible = "not_eligible"
    referred_elsewhere = "referred_elsewhere"
    other = "other"


class ReferralBox(StrEnum):
    """Which referrals a list shows: sent to your agency, or sent by it."""

    incoming = "incoming"
    outgoing = "outgoing"


Box = ReferralBox  # the name the domain uses; ReferralBox is its name in the OpenAPI document


MAX_PEOPLE = 20


class ReferralCreate(Input):
    case_id: uuid.UUID
    to_agency_id: uuid.UUID
    person_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_PEOPLE)
    reason: str = Field(min_length=1, max_length=4000)
    urgency: Urgency
    family_goals: str | None = Field(None, max_length=4000,
                                     description="The family's own goals and priorities, in their own words.")
    consent_id: uuid.UUID | None = None

    @field_validator("person_ids")
    @classmethod
    @unique_items
    def _unique(cls, v: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(v)) != len(v):
            raise ValueError("each person may be named once")
        return v


class DeclineBody(Input):
    reason_code: DeclineReasonCode
    reason: str = Field(min_length=1, max_length=2000)


class AcceptBody(Input):
    create_records: bool = Field(
        False, description="Also open your agency's own case and a person record for each person named, from what "
                           "the disclosure rule releases now for purpose referral (identity, contact, location: "
                           "nothing withheld is copied; a person whose identity is withheld gets no record), and "
                           "link each record to the referring agency's (ids only).")


class CloseBody(Input):
    outcome: str = Field(min_length=1, max_length=2000)
    outcome_code: OutcomeCode | None = Field(None, description="The coded outcome (optional).")


class ReferralSummary(BaseModel):
    """A referral as it appears in lists: ids, states and times only (no free text)."""

    id: uuid.UUID
    case_id: uuid.UUID
    from_agency_id: uuid.UUID
    to_agency_id: uuid.UUID
    person_ids: list[uuid.UUID]
    status: ReferralStatus
    urgency: Urgency
    consent_id: uuid.UUID | None
    decline_reason_code: DeclineReasonCode | None
    outcome_code: OutcomeCode | None = None
    created_by: uuid.UUID | None
    assigned_to: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    respond_by: datetime | None
    acknowledged_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    overdue: bool = Field(description="Past respond_by with no answer (accepted or declined) yet.")
    version: int


class ReferralRead(ReferralSummary):
    """One referral. The receiving agency gets the free text written about the family (`reason`,
    `family_goals`, `outcome`) only as the disclosure rule releases it, now, for every person named (category
    `services`, purpose `referral`); otherwise the fields are null, listed in `withheld`, each with the rule's
    reason code in `withheld_reasons`."""

    reason: str | None
    family_goals: str | None
    decline_reason: str | None
    outcome: str | None
    service_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The services, of those you may see, that name this referral.")
    withheld: list[str] = Field(default_factory=list)
    withheld_reasons: dict[str, str] = Field(
        default_factory=dict,
        description="For each field in `withheld`: why the disclosure rule withheld it (a disclosure-rule reason "
                    "code, e.g. category_not_consented, referral_not_active).")
    allowed_actions: list[str] = Field(
        default_factory=list, description="Transitions the caller may perform now.")
    linked_case_id: uuid.UUID | None = Field(
        None, description="Receiving agency only: the case it opened on accepting with create_records.")
    linked_person_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Receiving agency only: its person records linked (active links) to "
                                          "the people named, made on accepting with create_records.")


class ReferralEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    referral_id: uuid.UUID
    at: datetime
    actor_id: str | None
    actor_agency_id: uuid.UUID | None
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    note: str | None
    snapshot: dict[str, Any]


class WithheldCategory(BaseModel):
    category: str
    reason: str


class ReferralPersonRead(BaseModel):
    """What the caller may read about one person named in the referral, through the disclosure rule."""

    person_id: uuid.UUID
    disclosure_id: uuid.UUID | None = None
    basis: str | None = None
    released: dict[str, Any] = Field(default_factory=dict)
    withheld: list[WithheldCategory] = Field(default_factory=list)
    redisclosure_notice: str | None = None
