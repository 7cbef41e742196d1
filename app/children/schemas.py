"""PUT / Read schemas of a child's details."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from app.core.types import Input


class LivingArrangementKind(StrEnum):
    with_survivor = "with_survivor"
    with_both_parents = "with_both_parents"
    with_other_parent = "with_other_parent"
    kinship_care = "kinship_care"
    foster_care = "foster_care"
    residential = "residential"
    other = "other"


class Relationship(StrEnum):
    """With whom the child lives, by relationship to the child (never a name or an address)."""

    survivor_parent = "survivor_parent"
    other_parent = "other_parent"
    step_parent = "step_parent"
    grandparent = "grandparent"
    aunt_or_uncle = "aunt_or_uncle"
    sibling = "sibling"
    other_relative = "other_relative"
    foster_carer = "foster_carer"
    family_friend = "family_friend"
    residential_staff = "residential_staff"
    other = "other"


class VisitationKind(StrEnum):
    none = "none"
    supervised = "supervised"
    unsupervised = "unsupervised"
    supervised_exchange = "supervised_exchange"


class SupervisorKind(StrEnum):
    agency_staff = "agency_staff"
    visitation_center = "visitation_center"
    professional = "professional"
    relative = "relative"
    family_friend = "family_friend"
    other = "other"


class NeedCode(StrEnum):
    medical = "medical"
    mental_health = "mental_health"
    developmental = "developmental"
    educational = "educational"
    trauma_support = "trauma_support"
    childcare = "childcare"
    disability = "disability"
    language = "language"
    other = "other"


SUPERVISED = frozenset({VisitationKind.supervised, VisitationKind.supervised_exchange})


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class LivingArrangement(Input):
    kind: LivingArrangementKind
    with_whom: list[Relationship] = Field(default_factory=list, max_length=len(Relationship))

    _u = field_validator("with_whom")(_unique)


class School(Input):
    """Sealed at rest."""

    name: str = Field(min_length=1, max_length=200)
    grade: str | None = Field(None, min_length=1, max_length=40)


class Visitation(Input):
    kind: VisitationKind
    supervisor_kind: SupervisorKind | None = Field(None, description="Only for supervised visits or exchanges.")
    schedule: str | None = Field(None, min_length=1, max_length=2000, description="Sealed at rest.")

    @model_validator(mode="after")
    def _supervisor(self) -> Visitation:
        if self.supervisor_kind is not None and self.kind not in SUPERVISED:
            raise ValueError("supervisor_kind is only for supervised visits or exchanges")
        if self.kind is VisitationKind.none and self.schedule is not None:
            raise ValueError("there is no schedule when there are no visits")
        return self


class Needs(Input):
    codes: list[NeedCode] = Field(default_factory=list, max_length=len(NeedCode))
    text: str | None = Field(None, min_length=1, max_length=2000, description="Sealed at rest.")

    _u = field_validator("codes")(_unique)


class ChildDetailsPut(Input):
    """The whole record (PUT replaces it; a part left out or null is not known)."""

    living_arrangement: LivingArrangement | None = None
    school: School | None = None
    visitation: Visitation | None = None
    needs: Needs | None = None


class ChildDetailsRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    living_arrangement: LivingArrangement | None
    school: School | None
    visitation: Visitation | None
    needs: Needs | None
    created_at: datetime
    updated_at: datetime | None = None
