"""Create / Update / Read schemas for services. A list item carries ids, codes and times only."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input, Timestamp


class ServiceKind(StrEnum):
    """What the service is. substance_use_treatment and mental_health_treatment are released only under the
    substance_use and mental_health categories, never under services."""

    shelter = "shelter"
    counselling = "counselling"
    legal_advocacy = "legal_advocacy"
    housing = "housing"
    parenting_support = "parenting_support"
    substance_use_treatment = "substance_use_treatment"
    mental_health_treatment = "mental_health_treatment"
    intervention_programme = "intervention_programme"  # for the person using violence
    childcare = "childcare"
    financial = "financial"
    other = "other"


class ServiceStatus(StrEnum):
    referred = "referred"
    contacted = "contacted"
    started = "started"
    completed = "completed"
    ended_early = "ended_early"
    declined = "declined"
    unable_to_reach = "unable_to_reach"


class Barrier(StrEnum):
    """What stood in the way of the service."""

    transport = "transport"
    childcare = "childcare"
    language = "language"
    cost = "cost"
    schedule = "schedule"
    eligibility = "eligibility"
    other = "other"


def _unique(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


def _not_null(value: Any) -> Any:
    """A PATCH field that may be left out but never set to null."""
    if value is None:
        raise ValueError("may be left out but not set to null")
    return value


ProviderName = Field(None, min_length=1, max_length=300, description="An outside provider (sealed at rest).")
PROVIDER = ("Exactly one of provider_agency_id (an agency in Tandem) and provider_name (an outside provider).")


class ServiceCreate(Input):
    kind: ServiceKind
    provider_agency_id: uuid.UUID | None = Field(None, description=PROVIDER)
    provider_name: str | None = ProviderName
    referred_at: Timestamp | None = None
    first_contact_at: Timestamp | None = None
    started_at: Timestamp | None = Field(None, description="At or after referred_at. Required once started.")
    ended_at: Timestamp | None = Field(None, description="At or after started_at. Required once completed or "
                                                         "ended early.")
    status: ServiceStatus = ServiceStatus.referred
    barriers: list[Barrier] = Field(default_factory=list, max_length=len(Barrier))
    referral_id: uuid.UUID | None = Field(None, description="A referral sent on the same case by the same agency: "
                                                            "the referral this service came from.")

    _u = field_validator("barriers")(_unique)


class ServiceUpdate(Input):
    """Send only the fields to change. kind, status and barriers may not be null; the others may be cleared
    with null (the provider stays exactly one of the two)."""

    kind: ServiceKind | SkipJsonSchema[None] = None
    provider_agency_id: uuid.UUID | None = None
    provider_name: str | None = ProviderName
    referred_at: Timestamp | None = None
    first_contact_at: Timestamp | None = None
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    status: ServiceStatus | SkipJsonSchema[None] = None
    barriers: Annotated[list[Barrier], Field(max_length=len(Barrier))] | SkipJsonSchema[None] = None
    referral_id: uuid.UUID | None = None

    _n = field_validator("kind", "status", "barriers")(_not_null)
    _u = field_validator("barriers")(_unique)


class ServiceSummary(BaseModel):
    """A service in a list: ids, codes and times (no provider name)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    kind: ServiceKind
    status: ServiceStatus
    provider_agency_id: uuid.UUID | None
    referred_at: datetime | None
    first_contact_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    barriers: list[Barrier]
    referral_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None = None


class ServiceRead(ServiceSummary):
    agency_id: uuid.UUID
    provider_name: str | None
    version: int
