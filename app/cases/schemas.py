"""Create / Update / Read schemas for cases, the case team and the people in a case."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.core.types import Input, NotNull, unique_items
from app.core.vocab import CaseRole, CaseStage


class DvIndicator(StrEnum):
    """How domestic violence shows up in a case.

    allegation: DV is alleged (in the report or by anyone involved), not yet assessed.
    safety_threat: DV is an active threat to a child's or the survivor's safety right now.
    risk_factor: DV (including its history) raises the risk of future harm without being a present threat.
    protective_order: a protective order is in effect or being sought; it shapes contact, visits and what
        may be written where the person using violence can read it.
    survivor_disclosure: the survivor disclosed the violence herself; her disclosure is to be handled as a
        request for help, never as evidence against her.
    """

    allegation = "allegation"
    safety_threat = "safety_threat"
    risk_factor = "risk_factor"
    protective_order = "protective_order"
    survivor_disclosure = "survivor_disclosure"


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class RaceEthnicity(StrEnum):
    """The federal combined race and ethnicity question (OMB SPD 15, 2024); kept for aggregate reporting."""

    american_indian_or_alaska_native = "american_indian_or_alaska_native"
    asian = "asian"
    black_or_african_american = "black_or_african_american"
    hispanic_or_latino = "hispanic_or_latino"
    middle_eastern_or_north_african = "middle_eastern_or_north_african"
    native_hawaiian_or_pacific_islander = "native_hawaiian_or_pacific_islander"
    white = "white"
    declined = "declined"


class AddressKind(StrEnum):
    actual = "actual"
    acp_substitute = "acp_substitute"  # address confidentiality program substitute address


@unique_items
def _unique(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


@unique_items
def _race_ethnicity(values: list[Any] | None) -> list[Any] | None:
    _unique(values)
    if values and RaceEthnicity.declined in values and len(values) > 1:
        raise ValueError("'declined' cannot be combined with a category")
    return values


# ------------------------------------------------------------------ cases

Reference = Field(min_length=1, max_length=100, examples=["2026-CPS-00417"])


_OPEN_STAGES = [s for s in CaseStage if s is not CaseStage.closed]
Stage = Field(description="Where the work stands: " + ", ".join(_OPEN_STAGES) + " (closed follows `status`).")
AssignedWorker = Field(description="The worker responsible for the case: a member of its team.")


class CaseCreate(Input):
    reference: str = Reference
    dv_indicators: list[DvIndicator] = Field(default_factory=list, max_length=len(DvIndicator))
    office_id: uuid.UUID | None = None
    stage: CaseStage = Field(CaseStage.intake, description=Stage.description)
    assigned_worker_id: uuid.UUID | None = Field(
        None, description="The worker responsible for the case, a member of its team (default: its creator).")

    _u = field_validator("dv_indicators")(_unique)


class CaseUpdate(Input):
    """Ownership (agency) never changes; `office_id: null` detaches the case from its office."""

    reference: Annotated[str | None, NotNull] = Field(None, min_length=1, max_length=100)
    dv_indicators: Annotated[list[DvIndicator] | None, NotNull] = Field(None, max_length=len(DvIndicator))
    office_id: uuid.UUID | None = None
    status: Annotated[CaseStatus | None, NotNull] = Field(
        None, description="`open` reopens a closed case. A case is closed through `POST /cases/{id}/close` "
                          "(its closure checklist or a supervisor's override): `closed` here is a 409.")
    stage: Annotated[CaseStage | None, NotNull] = Field(None, description=Stage.description)
    assigned_worker_id: uuid.UUID | None = Field(None, description=AssignedWorker.description)

    _u = field_validator("dv_indicators")(_unique)


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    reference: str
    dv_indicators: list[DvIndicator]
    office_id: uuid.UUID | None
    status: CaseStatus
    stage: CaseStage
    assigned_worker_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None = None
    closure_reason: str | None = Field(None, description="The coded reason the case was closed "
                                                         "(POST /cases/{id}/close); null while open.")
    closed_at: datetime | None = None


class TeamMemberRead(BaseModel):
    """A staff member on a case team (staff details, never client data)."""

    user_id: uuid.UUID
    full_name: str
    roles: list[str]
    added_by: uuid.UUID | None = None
    created_at: datetime


# ------------------------------------------------------------------ people

_PHONE = re.compile(r"^\+?[0-9 ().\-]{3,40}$")


class Contact(Input):
    phone: str | None = Field(None, max_length=40)
    email: EmailStr | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and (not _PHONE.match(v) or sum(c.isdigit() for c in v) < 3):
            raise ValueError("must be a phone number (digits, spaces, + ( ) . -)")
        return v


class Address(Input):
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=100)
    kind: AddressKind = AddressKind.actual


class PersonCreate(Input):
    case_role: CaseRole
    full_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date | None = None
    race_ethnicity: list[RaceEthnicity] = Field(default_factory=list, max_length=len(RaceEthnicity))
    language: str | None = Field(None, min_length=1, max_length=40)
    contact: Contact | None = None
    address: Address | None = None
    safe_contact_instructions: str | None = Field(None, max_length=2000)

    _u = field_validator("race_ethnicity")(_race_ethnicity)


class PersonUpdate(Input):
    """Send only the fields to change; `contact`/`address` replace the whole value, null clears it."""

    case_role: Annotated[CaseRole | None, NotNull] = None
    full_name: Annotated[str | None, NotNull] = Field(None, min_length=1, max_length=200)
    date_of_birth: date | None = None
    race_ethnicity: Annotated[list[RaceEthnicity] | None, NotNull] = Field(None, max_length=len(RaceEthnicity))
    language: str | None = Field(None, min_length=1, max_length=40)
    contact: Contact | None = None
    address: Address | None = None
    safe_contact_instructions: str | None = Field(None, max_length=2000)

    _u = field_validator("race_ethnicity")(_race_ethnicity)


class PersonSummary(BaseModel):
    """The list view of a person: no personal data."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    case_role: CaseRole
    created_at: datetime


class PersonRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    case_role: CaseRole
    full_name: str
    date_of_birth: date | None
    race_ethnicity: list[RaceEthnicity]
    language: str | None
    contact: Contact | None
    address: Address | None
    safe_contact_instructions: str | None
    created_at: datetime
    updated_at: datetime | None = None


class PersonLinkRead(BaseModel):
    """A link between one of your people and the other agency's record of the same person: ids only."""

    id: uuid.UUID
    person_id: uuid.UUID = Field(description="Your own person.")
    linked_agency_id: uuid.UUID
    linked_person_id: uuid.UUID = Field(description="The other agency's person (an id; its data only through "
                                                    "POST /disclosures with linked_person_id).")
    created_at: datetime
