"""Create / Update / Read schemas of protective orders, and their vocabularies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input


class OrderKind(StrEnum):
    """How far along the order is: an emergency order (ex parte, days), a temporary one (until the hearing),
    or a final one (after a hearing, often for a year or more)."""

    emergency = "emergency"
    temporary = "temporary"
    final = "final"


class OrderJurisdiction(StrEnum):
    """A civil protection order (the survivor petitioned) or a criminal no-contact order (a criminal court)."""

    civil = "civil"
    criminal = "criminal"


class OrderServiceStatus(StrEnum):
    """Whether the restrained person has been served (an unserved order is often unenforceable)."""

    not_served = "not_served"
    served = "served"
    unknown = "unknown"


class OrderStatus(StrEnum):
    """Computed from the dates at read time: `active` while in force, `vacated` once the court vacated it,
    `expired` after `expires_on`; `not_yet_in_force` only for an order issued after the date asked about."""

    active = "active"
    vacated = "vacated"
    expired = "expired"
    not_yet_in_force = "not_yet_in_force"


class TermCode(StrEnum):
    """What the order requires of the restrained person (or decides between the parties)."""

    no_contact = "no_contact"
    stay_away = "stay_away"  # with a distance
    custody = "custody"
    visitation = "visitation"
    firearms_surrender = "firearms_surrender"
    move_out = "move_out"
    other = "other"


class Term(Input):
    """One term of the order: a code, for `stay_away` the distance in feet, and optional details (sealed)."""

    code: TermCode
    distance_feet: int | None = Field(None, ge=1, le=100_000)
    details: str | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _distance(self) -> Term:
        if self.code is TermCode.stay_away and self.distance_feet is None:
            raise ValueError("a stay_away term needs distance_feet")
        if self.code is not TermCode.stay_away and self.distance_feet is not None:
            raise ValueError("only a stay_away term takes distance_feet")
        return self


def _unique_ids(values: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


Court = Field(None, min_length=1, max_length=200, examples=["Marion County Circuit Court"])
Docket = Field(None, min_length=1, max_length=100, examples=["26PO01234"])


class OrderCreate(Input):
    """`protected_person_ids` and `restrained_person_id` name people of the same case (422 otherwise); without
    `protected_person_ids` the order protects the person it is filed under."""

    kind: OrderKind
    jurisdiction: OrderJurisdiction = OrderJurisdiction.civil
    court: str | None = Court
    docket_number: str | None = Docket
    protected_person_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=20)
    restrained_person_id: uuid.UUID | None = None
    issued_on: date
    expires_on: date | None = None
    terms: list[Term] = Field(default_factory=list, max_length=20)
    service_status: OrderServiceStatus = OrderServiceStatus.unknown
    served_on: date | None = None

    _u = field_validator("protected_person_ids")(_unique_ids)


NOT_NULL = ("kind", "jurisdiction", "protected_person_ids", "issued_on", "terms", "service_status")


class OrderUpdate(Input):
    """Send only the fields to change. `vacated_on` records that the court vacated the order (null clears a
    mistaken entry); `expires_on`, `restrained_person_id`, `court`, `docket_number` and `served_on` may be
    cleared with null; the other fields may not be null."""

    kind: OrderKind | SkipJsonSchema[None] = None
    jurisdiction: OrderJurisdiction | SkipJsonSchema[None] = None
    court: str | None = Court
    docket_number: str | None = Docket
    protected_person_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=20)] | SkipJsonSchema[None] = None
    restrained_person_id: uuid.UUID | None = None
    issued_on: date | SkipJsonSchema[None] = None
    expires_on: date | None = None
    vacated_on: date | None = None
    terms: Annotated[list[Term], Field(max_length=20)] | SkipJsonSchema[None] = None
    service_status: OrderServiceStatus | SkipJsonSchema[None] = None
    served_on: date | None = None

    _u = field_validator("protected_person_ids")(_unique_ids)

    @model_validator(mode="after")
    def _not_null(self) -> OrderUpdate:
        for k in NOT_NULL:
            if k in self.model_fields_set and getattr(self, k) is None:
                raise ValueError(f"{k} cannot be null")
        return self


class TermRead(BaseModel):
    code: TermCode
    distance_feet: int | None = None
    details: str | None = None


class OrderRead(BaseModel):
    id: uuid.UUID
    agency_id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    kind: OrderKind
    jurisdiction: OrderJurisdiction
    court: str | None
    docket_number: str | None
    protected_person_ids: list[uuid.UUID]
    restrained_person_id: uuid.UUID | None
    issued_on: date
    expires_on: date | None
    vacated_on: date | None
    terms: list[TermRead]
    service_status: OrderServiceStatus
    served_on: date | None
    status: OrderStatus
    in_force: bool
    created_at: datetime
    updated_at: datetime | None = None


class OrderSummary(BaseModel):
    """The list view: ids, kinds, statuses and dates only (no court, docket number or terms)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    kind: OrderKind
    jurisdiction: OrderJurisdiction
    service_status: OrderServiceStatus
    status: OrderStatus
    issued_on: date
    expires_on: date | None
    vacated_on: date | None
    created_at: datetime
    updated_at: datetime | None = None


def summary(order: Any, status: str) -> dict[str, Any]:
    return {k: getattr(order, k) for k in OrderSummary.model_fields if k != "status"} | {"status": status}
