"""Create / Read schemas for checklist templates, checklists, item changes and juncture records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from app.cases.schemas import CaseRead
from app.checklists.defaults import Juncture
from app.core.types import Input, Timestamp
from app.core.vocab import CaseClosureReason, SafetyFactor

KEY_PATTERN = r"^[a-z0-9][a-z0-9_]{0,63}$"


class ItemStatus(StrEnum):
    pending = "pending"
    done = "done"
    not_applicable = "not_applicable"


# ------------------------------------------------------------------ templates


class TemplateItemIn(Input):
    key: str = Field(pattern=KEY_PATTERN, description="Stable key; lower case letters, digits and _.")
    text: str = Field(min_length=1, max_length=500)
    guidance: str = Field("", max_length=4000)
    safety_critical: bool = False


class TemplateCreate(Input):
    juncture: Juncture
    items: list[TemplateItemIn] = Field(min_length=1, max_length=100)


class TemplateItemRead(BaseModel):
    key: str
    text: str
    guidance: str
    safety_critical: bool


class TemplateRead(BaseModel):
    id: uuid.UUID
    agency_id: uuid.UUID | None = Field(description="null for the default template")
    juncture: Juncture
    version: int
    items: list[TemplateItemRead]
    published_by: str | None
    created_at: datetime


# ------------------------------------------------------------------ checklists


class ChecklistCreate(Input):
    juncture: Juncture


class ItemUpdate(Input):
    status: ItemStatus
    note: str | None = Field(None, max_length=2000, description="Required for not_applicable.")


class ChecklistNoteCreate(Input):
    text: str = Field(min_length=1, max_length=2000)


class ItemEventRead(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="status | note")
    from_status: ItemStatus | None
    to_status: ItemStatus | None
    note: str | None
    by: str | None
    agency_id: uuid.UUID | None
    at: datetime


class ItemRead(BaseModel):
    key: str
    text: str
    guidance: str
    safety_critical: bool
    status: ItemStatus
    note: str | None
    updated_by: str | None
    updated_at: datetime | None
    history: list[ItemEventRead]


class ChecklistSummary(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    juncture: Juncture
    status: str = Field(description="open | completed")
    template_id: uuid.UUID
    template_version: int
    template_agency_id: uuid.UUID | None
    started_by: str | None
    created_at: datetime
    completed_by: str | None
    completed_at: datetime | None


class ChecklistRead(ChecklistSummary):
    items: list[ItemRead]
    open_safety_critical: list[str] = Field(description="Keys of safety-critical items still pending.")
    notes_withheld: str | None = Field(
        None, description="For a DV advocate linked to the case: why the notes the case's agency wrote are withheld "
                          "(a disclosure-rule reason code; their items' statuses and history stay), else null.")


# ------------------------------------------------------------------ junctures


class JunctureCreate(Input):
    juncture: Juncture
    scheduled_for: Timestamp
    override_reason: str | None = Field(None, min_length=1, max_length=2000,
                                        description="Supervisors only: record the juncture without a checklist.")
    safety_factors: list[SafetyFactor] = Field(
        default_factory=list, max_length=len(SafetyFactor),
        description="A removal only: what made the child unsafe (no repeats). Other junctures take none.",
        json_schema_extra={"uniqueItems": True})

    @field_validator("safety_factors")
    @classmethod
    def _unique_factors(cls, v: list[SafetyFactor]) -> list[SafetyFactor]:
        if len(set(v)) != len(v):
            raise ValueError("values must not repeat")
        return v

    @field_validator("scheduled_for")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


class JunctureRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    juncture: Juncture
    scheduled_for: datetime
    safety_factors: list[SafetyFactor]
    checklist_id: uuid.UUID | None
    overridden: bool
    override_reason: str | None
    recorded_by: str | None
    recorded_at: datetime


class CaseClose(Input):
    reason: CaseClosureReason
    override_reason: str | None = Field(
        None, min_length=1, max_length=2000,
        description="Supervisors only: close the case without a closure checklist completed within the valid window.")


class LooseEndKind(StrEnum):
    """What stays open with another agency when a case closes."""

    person_link = "person_link"
    consent = "consent"
    referral = "referral"


class LooseEndChoice(BaseModel):
    """One choice about a loose end: `end` (the endpoint that ends it) or `keep` (do nothing)."""

    choice: str = Field(description="end | keep")
    method: str | None = None
    path: str | None = None


class LooseEnd(BaseModel):
    """Something still open with another agency about the case's people: ids and codes only."""

    kind: LooseEndKind
    id: uuid.UUID
    person_id: uuid.UUID | None = Field(None, description="Your own person it concerns (links, consents).")
    other_agency_id: uuid.UUID
    status: str
    choices: list[LooseEndChoice] = Field(
        description="End it through its own endpoint (listed when your agency can) or keep it.")


class CaseClosureRead(BaseModel):
    """A closed case, how it was closed, and what stays open on the partner side for you to end or keep."""

    case: CaseRead
    reason: CaseClosureReason
    closed_at: datetime
    overridden: bool = Field(description="Closed by a supervisor without a current closure checklist.")
    checklist_id: uuid.UUID | None
    still_open: list[LooseEnd]
