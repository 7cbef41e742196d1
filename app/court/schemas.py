"""Create / Update / Read schemas of court events and their findings, and their vocabularies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input, Timestamp


class CourtKind(StrEnum):
    dependency = "dependency"  # juvenile dependency (child protection) court
    family = "family"  # custody, divorce, parenting time
    criminal = "criminal"
    protective_order = "protective_order"  # a protection-order docket


class HearingKind(StrEnum):
    """The hearing (or court date) held or scheduled."""

    shelter = "shelter"  # the first hearing after a removal (shelter / detention / emergency custody)
    adjudication = "adjudication"  # jurisdictional: are the allegations true
    disposition = "disposition"
    review = "review"
    permanency = "permanency"
    termination_of_parental_rights = "termination_of_parental_rights"
    custody = "custody"
    protective_order = "protective_order"
    arraignment = "arraignment"
    pretrial = "pretrial"
    trial = "trial"
    sentencing = "sentencing"
    other = "other"


class HearingOutcome(StrEnum):
    """What became of the hearing; absent (null) until it has an outcome."""

    held = "held"
    continued = "continued"
    cancelled = "cancelled"
    dismissed = "dismissed"
    other = "other"


class FindingCode(StrEnum):
    """What the court found. Allegations name his conduct (JUNCTURES, court): `dv_perpetrated` is the finding
    that a person used violence; `failure_to_protect` against a survivor is recorded as what it is, so it can be
    counted. The codes marked below are always against a person of the case (`against_person_id`)."""

    failure_to_protect = "failure_to_protect"
    dv_perpetrated = "dv_perpetrated"
    abuse = "abuse"
    neglect = "neglect"
    child_exposed_to_dv = "child_exposed_to_dv"
    jurisdiction_established = "jurisdiction_established"
    jurisdiction_denied = "jurisdiction_denied"
    reasonable_efforts_made = "reasonable_efforts_made"
    reasonable_efforts_not_made = "reasonable_efforts_not_made"
    other = "other"


AGAINST_A_PERSON = frozenset({FindingCode.failure_to_protect, FindingCode.dv_perpetrated, FindingCode.abuse,
                              FindingCode.neglect})


class RepresentedParty(StrEnum):
    agency = "agency"
    adult_survivor = "adult_survivor"
    child = "child"
    person_using_violence = "person_using_violence"
    caregiver = "caregiver"
    other = "other"


class Finding(Input):
    """A coded finding; `against_person_id` (a person of the same case) is required for failure_to_protect,
    dv_perpetrated, abuse and neglect. `details` are sealed."""

    code: FindingCode
    against_person_id: uuid.UUID | None = None
    details: str | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _against(self) -> Finding:
        if self.code in AGAINST_A_PERSON and self.against_person_id is None:
            raise ValueError(f"a {self.code.value} finding needs against_person_id")
        return self


class Attorney(Input):
    name: str = Field(min_length=1, max_length=200)
    represents: RepresentedParty


CaseNumber = Field(None, min_length=1, max_length=100, examples=["26JU00417"])
Courtroom = Field(None, min_length=1, max_length=100, examples=["Courtroom 3B"])
Details = Field(None, min_length=1, max_length=2000)
GuardianAdLitem = Field(None, min_length=1, max_length=200)


class CourtEventCreate(Input):
    court_case_number: str | None = CaseNumber
    court_kind: CourtKind
    kind: HearingKind
    scheduled_for: Timestamp
    courtroom: str | None = Courtroom
    outcome: HearingOutcome | None = None
    outcome_details: str | None = Details
    findings: list[Finding] = Field(default_factory=list, max_length=20)
    attorneys: list[Attorney] = Field(default_factory=list, max_length=10)
    guardian_ad_litem: str | None = GuardianAdLitem


NOT_NULL = ("court_kind", "kind", "scheduled_for", "findings", "attorneys")


class CourtEventUpdate(Input):
    """Send only the fields to change; `findings` and `attorneys` replace the whole list. `court_kind`, `kind`,
    `scheduled_for`, `findings` and `attorneys` may not be null; the others are cleared with null."""

    court_case_number: str | None = CaseNumber
    court_kind: CourtKind | SkipJsonSchema[None] = None
    kind: HearingKind | SkipJsonSchema[None] = None
    scheduled_for: Timestamp | SkipJsonSchema[None] = None
    courtroom: str | None = Courtroom
    outcome: HearingOutcome | None = None
    outcome_details: str | None = Details
    findings: Annotated[list[Finding], Field(max_length=20)] | SkipJsonSchema[None] = None
    attorneys: Annotated[list[Attorney], Field(max_length=10)] | SkipJsonSchema[None] = None
    guardian_ad_litem: str | None = GuardianAdLitem

    @model_validator(mode="after")
    def _not_null(self) -> CourtEventUpdate:
        for k in NOT_NULL:
            if k in self.model_fields_set and getattr(self, k) is None:
                raise ValueError(f"{k} cannot be null")
        return self


class FindingRead(BaseModel):
    code: FindingCode
    against_person_id: uuid.UUID | None = None
    details: str | None = None


class AttorneyRead(BaseModel):
    name: str
    represents: RepresentedParty


class CourtEventRead(BaseModel):
    id: uuid.UUID
    agency_id: uuid.UUID
    case_id: uuid.UUID
    court_case_number: str | None
    court_kind: CourtKind
    kind: HearingKind
    scheduled_for: datetime
    courtroom: str | None
    outcome: HearingOutcome | None
    outcome_details: str | None
    findings: list[FindingRead]
    attorneys: list[AttorneyRead]
    guardian_ad_litem: str | None
    created_at: datetime
    updated_at: datetime | None = None


class CourtEventSummary(BaseModel):
    """The list view: ids, kinds, the outcome code and dates only (no case number, courtroom or names)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    court_kind: CourtKind
    kind: HearingKind
    scheduled_for: datetime
    outcome: HearingOutcome | None
    created_at: datetime
    updated_at: datetime | None = None
