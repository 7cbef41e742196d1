"""PUT / Read schemas of the safety-plan summary."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from app.core.types import Input


class ElementKey(StrEnum):
    """What an element of the summary is about (she chooses which to record, and which may be shared).

    school_pickup: who collects the children from school or childcare, and how.
    exchange_location: where the children are handed over for visits.
    contact_rules: how and where she may be contacted (e.g. never at home).
    if_he_appears: what to do if the person using violence appears.
    workplace: arrangements at her workplace.
    transport: how she travels safely.
    children_plan: what the children know to do.
    other: anything else she chooses to record.
    """

    school_pickup = "school_pickup"
    exchange_location = "exchange_location"
    contact_rules = "contact_rules"
    if_he_appears = "if_he_appears"
    workplace = "workplace"
    transport = "transport"
    children_plan = "children_plan"
    other = "other"


class Element(Input):
    key: ElementKey
    text: str = Field(min_length=1, max_length=2000, description="Sealed at rest.")
    shareable: bool = Field(False, description="Her choice: may this element reach another agency under her "
                                               "consent to share `safety_plan`?")


class SafetyPlanSummaryPut(Input):
    """The whole summary (PUT replaces it). A summary saying no plan exists holds no review date and no
    elements; each element key appears at most once."""

    exists: bool = Field(description="Whether she has a written safety plan (the plan itself stays with her "
                                     "advocate and never enters Tandem).")
    last_reviewed_on: date | None = None
    elements: list[Element] = Field(default_factory=list, max_length=len(ElementKey))

    @model_validator(mode="after")
    def _consistent(self) -> SafetyPlanSummaryPut:
        keys = [e.key for e in self.elements]
        if len(set(keys)) != len(keys):
            raise ValueError("each element key may appear once")
        if not self.exists and (self.elements or self.last_reviewed_on is not None):
            raise ValueError("a summary saying no plan exists holds no review date and no elements")
        return self


class ElementRead(BaseModel):
    key: ElementKey
    text: str
    shareable: bool


class SafetyPlanSummaryRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    exists: bool
    last_reviewed_on: date | None
    elements: list[ElementRead]
    created_at: datetime
    updated_at: datetime | None = None
