"""Create / Read schemas for advocate assignments, the on-duty lookup and consultations."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.types import Input, unique_items


class ConsultationUrgency(StrEnum):
    emergency = "emergency"
    urgent = "urgent"
    routine = "routine"


Urgency = ConsultationUrgency  # the name the domain uses; ConsultationUrgency is its name in the OpenAPI document


# Queue order: the most urgent first, then the oldest.
URGENCY_RANK = {Urgency.emergency.value: 0, Urgency.urgent.value: 1, Urgency.routine.value: 2}


class ConsultationStatus(StrEnum):
    queued = "queued"
    routed = "routed"
    accepted = "accepted"
    responded = "responded"
    closed = "closed"


OPEN_STATUSES = (ConsultationStatus.routed.value, ConsultationStatus.accepted.value,
                 ConsultationStatus.responded.value)


class AssignmentStatus(StrEnum):
    active = "active"
    ended = "ended"


# ------------------------------------------------------------------ assignments


class AssignmentCreate(Input):
    advocate_id: uuid.UUID
    office_id: uuid.UUID
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday ... 6 = Sunday.")
    start_time: time = Field(description="Office local time, e.g. 09:00.")
    end_time: time = Field(description="Office local time; the advocate is on duty until just before it.")
    starts_on: date
    ends_on: date | None = Field(None, description="Last day (inclusive); none means open-ended.")
    max_open_consultations: int = Field(ge=1, le=100)

    @field_validator("weekdays")
    @classmethod
    @unique_items
    def _weekdays(cls, v: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if len(set(v)) != len(v):
            raise ValueError("weekdays must not repeat")
        return sorted(v)

    @field_validator("start_time", "end_time")
    @classmethod
    def _local(cls, v: time) -> time:
        if v.tzinfo is not None:
            raise ValueError("a local time of the office, without a UTC offset")
        return v.replace(microsecond=0)

    @model_validator(mode="after")
    def _ranges(self) -> AssignmentCreate:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time (hours within one day)")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    advocate_id: uuid.UUID
    agency_id: uuid.UUID = Field(validation_alias=AliasChoices("dv_agency_id", "agency_id"), description="The advocate's DV agency.")
    office_id: uuid.UUID
    office_agency_id: uuid.UUID = Field(validation_alias=AliasChoices("cps_agency_id", "office_agency_id"))
    weekdays: list[int]
    start_time: time
    end_time: time
    starts_on: date
    ends_on: date | None
    max_open_consultations: int
    status: AssignmentStatus
    ended_at: datetime | None
    created_at: datetime


class OnDutyAdvocate(BaseModel):
    advocate_id: uuid.UUID
    agency_id: uuid.UUID
    assignment_id: uuid.UUID
    open_consultations: int
    max_open_consultations: int
    capacity_left: int
    on_duty_until: datetime = Field(description="When this stretch on site ends (UTC).")


class OnDutyRead(BaseModel):
    office_id: uuid.UUID
    timezone: str
    at: datetime
    local_time: str = Field(description="The instant in the office's time zone (RFC 3339 with offset).")
    items: list[OnDutyAdvocate]
    next_cursor: str | None = None


# ------------------------------------------------------------------ consultations


class ConsultationCreate(Input):
    case_id: uuid.UUID
    office_id: uuid.UUID
    question: str = Field(min_length=1, max_length=4000)
    urgency: Urgency


class ConsultationRoute(Input):
    advocate_id: uuid.UUID


class ConsultationRespond(Input):
    advice: str = Field(min_length=1, max_length=8000)
    suggested_checklist_items: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("suggested_checklist_items")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for key in v:
            key = key.strip()
            if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", key):
                raise ValueError("checklist item keys are lowercase letters, digits, '_', '.' or '-' (64 at most)")
            if key not in out:
                out.append(key)
        return out


class ConsultationSummary(BaseModel):
    """A list row: ids, status and times only, never the question or the advice."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    office_id: uuid.UUID
    urgency: Urgency
    status: ConsultationStatus
    advocate_id: uuid.UUID | None
    advocate_agency_id: uuid.UUID | None
    created_at: datetime
    routed_at: datetime | None
    accepted_at: datetime | None
    responded_at: datetime | None
    closed_at: datetime | None


class ConsultationRead(ConsultationSummary):
    question: str
    advice: str | None
    suggested_checklist_items: list[str]
    requested_by: uuid.UUID | None
    routed_by: uuid.UUID | None
