"""Create / Update / Read schemas of assessments, and their vocabularies (result levels by instrument)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input, Timestamp


class Instrument(StrEnum):
    danger_assessment = "danger_assessment"  # Campbell's Danger Assessment (with the survivor)
    lethality_screen = "lethality_screen"  # a lethality screen such as the Lethality Assessment Program's
    cps_safety_assessment = "cps_safety_assessment"  # the CPS safety assessment (present danger to a child)
    cps_risk_assessment = "cps_risk_assessment"  # the CPS risk assessment (likelihood of future harm)
    predominant_aggressor = "predominant_aggressor"  # the determination where both partners were accused
    other = "other"


class ResultLevel(StrEnum):
    """Every result level; which ones an instrument takes is RESULT_LEVELS."""

    variable_danger = "variable_danger"
    increased_danger = "increased_danger"
    severe_danger = "severe_danger"
    extreme_danger = "extreme_danger"
    screened_in = "screened_in"
    screened_out = "screened_out"
    safe = "safe"
    conditionally_safe = "conditionally_safe"
    unsafe = "unsafe"
    low = "low"
    moderate = "moderate"
    elevated = "elevated"
    high = "high"
    very_high = "very_high"
    severe = "severe"
    determined = "determined"
    not_determined = "not_determined"


R = ResultLevel
RESULT_LEVELS: dict[Instrument, tuple[ResultLevel, ...]] = {
    Instrument.danger_assessment: (R.variable_danger, R.increased_danger, R.severe_danger, R.extreme_danger),
    Instrument.lethality_screen: (R.screened_in, R.screened_out),
    Instrument.cps_safety_assessment: (R.safe, R.conditionally_safe, R.unsafe),
    Instrument.cps_risk_assessment: (R.low, R.moderate, R.high, R.very_high),
    Instrument.predominant_aggressor: (R.determined, R.not_determined),
    Instrument.other: (R.low, R.moderate, R.elevated, R.high, R.severe),
}

AssessorName = Field(None, min_length=1, max_length=200, description="A named assessor (sealed); without it, the "
                                                                     "staff user who recorded it.")
Basis = Field(None, min_length=1, max_length=2000, description="predominant_aggressor only: what the determination "
                                                               "rests on (sealed).")


class AssessmentCreate(Input):
    """The result only, never item-by-item answers. `result_level` must be one its instrument takes
    (RESULT_LEVELS). A `predominant_aggressor` determination with `result_level: determined` names
    `determined_person_id` (a person of the same case) and may give its `basis`."""

    instrument: Instrument
    administered_at: Timestamp
    result_level: ResultLevel
    assessor_name: str | None = AssessorName
    determined_person_id: uuid.UUID | None = None
    basis: str | None = Basis


NOT_NULL = ("instrument", "administered_at", "result_level")


class AssessmentUpdate(Input):
    """Send only the fields to change (the whole is checked again). `instrument`, `administered_at` and
    `result_level` may not be null."""

    instrument: Instrument | SkipJsonSchema[None] = None
    administered_at: Timestamp | SkipJsonSchema[None] = None
    result_level: ResultLevel | SkipJsonSchema[None] = None
    assessor_name: str | None = AssessorName
    determined_person_id: uuid.UUID | None = None
    basis: str | None = Basis

    @model_validator(mode="after")
    def _not_null(self) -> AssessmentUpdate:
        for k in NOT_NULL:
            if k in self.model_fields_set and getattr(self, k) is None:
                raise ValueError(f"{k} cannot be null")
        return self


class AssessmentRead(BaseModel):
    id: uuid.UUID
    agency_id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    instrument: Instrument
    administered_at: datetime
    result_level: ResultLevel
    assessor_name: str | None
    recorded_by: uuid.UUID | None
    determined_person_id: uuid.UUID | None
    basis: str | None
    created_at: datetime
    updated_at: datetime | None = None


class AssessmentSummary(BaseModel):
    """The list view: ids, the instrument, the result level and dates only (no names, no basis)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    instrument: Instrument
    result_level: ResultLevel
    administered_at: datetime
    created_at: datetime
    updated_at: datetime | None = None
