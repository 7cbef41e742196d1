"""Create / Update / Read schemas for treatment participation: codes and dates only, no free text (never
clinical notes)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input


class TreatmentDomain(StrEnum):
    """The data category the record is released under."""

    substance_use = "substance_use"
    mental_health = "mental_health"


class ProgramKind(StrEnum):
    """The kind of program. withdrawal_management and medication_for_addiction are substance use programs;
    medication_management is a mental health one; the rest serve either."""

    assessment = "assessment"
    outpatient = "outpatient"
    intensive_outpatient = "intensive_outpatient"
    partial_hospitalization = "partial_hospitalization"
    residential = "residential"
    inpatient = "inpatient"
    withdrawal_management = "withdrawal_management"
    medication_for_addiction = "medication_for_addiction"
    medication_management = "medication_management"
    crisis_stabilization = "crisis_stabilization"
    peer_support = "peer_support"
    other = "other"


ONLY_IN = {
    ProgramKind.withdrawal_management: TreatmentDomain.substance_use,
    ProgramKind.medication_for_addiction: TreatmentDomain.substance_use,
    ProgramKind.medication_management: TreatmentDomain.mental_health,
}


class TreatmentStatus(StrEnum):
    referred = "referred"
    enrolled = "enrolled"
    active = "active"
    completed = "completed"
    discontinued = "discontinued"


def _not_null(value: Any) -> Any:
    """A PATCH field that may be left out but never set to null."""
    if value is None:
        raise ValueError("may be left out but not set to null")
    return value


class TreatmentCreate(Input):
    domain: TreatmentDomain = Field(description="substance_use or mental_health: the category it is released "
                                                "under; it cannot be changed later.")
    program_kind: ProgramKind
    status: TreatmentStatus = TreatmentStatus.referred
    started_on: date | None = None
    ended_on: date | None = Field(None, description="On or after started_on.")


class TreatmentUpdate(Input):
    """Send only the fields to change; program_kind and status may not be null, the dates may be cleared.
    The domain never changes (record a new one instead)."""

    program_kind: ProgramKind | SkipJsonSchema[None] = None
    status: TreatmentStatus | SkipJsonSchema[None] = None
    started_on: date | None = None
    ended_on: date | None = None

    _n = field_validator("program_kind", "status")(_not_null)


class TreatmentRead(BaseModel):
    """Treatment participation; a list item is the same (codes and dates only)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    domain: TreatmentDomain
    program_kind: ProgramKind
    status: TreatmentStatus
    started_on: date | None
    ended_on: date | None
    created_at: datetime
    updated_at: datetime | None = None


class TreatmentDetail(TreatmentRead):
    agency_id: uuid.UUID
    version: int
