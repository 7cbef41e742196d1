"""Protective orders: a court order protecting people of a case from a restrained person.

The issuing court, the docket number and the terms (with their details) are sealed at rest; the term codes are
kept in the clear beside them for counting. Whether an order is in force is derived from its dates and whether
it was vacated (`in_force_clause`, `order_status`), never stored.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class ProtectiveOrder(Versioned, table=True):
    __tablename__ = "protective_orders"
    __table_args__ = (
        sa.Index("ix_protective_orders_person_created", "person_id", "created_at"),
        sa.Index("ix_protective_orders_agency_issued", "agency_id", "issued_on"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="people.id")  # the person whose record it is filed under
    kind: str = Field(max_length=16)  # emergency | temporary | final
    jurisdiction: str = Field(max_length=16)  # civil | criminal
    court_enc: str | None = Field(default=None, sa_type=sa.Text)
    docket_number_enc: str | None = Field(default=None, sa_type=sa.Text)
    protected_person_ids: list[str] = json_field()
    restrained_person_id: uuid.UUID | None = Field(default=None, foreign_key="people.id")
    issued_on: date
    expires_on: date | None = None
    vacated_on: date | None = None
    term_codes: list[str] = json_field()
    terms_enc: str | None = Field(default=None, sa_type=sa.Text)
    service_status: str = Field(default="unknown", max_length=16)  # not_served | served | unknown
    served_on: date | None = None
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def order_aad(order_id: object, field: str) -> bytes:
    """Binds a sealed value to its row and field."""
    return f"protective_order:{order_id}:{field}".encode()


# field name in the aad -> column
ORDER_SEALED = {"court": "court_enc", "docket_number": "docket_number_enc", "terms": "terms_enc"}

for _field, _column in ORDER_SEALED.items():
    register_sealed(ProtectiveOrder, _column, lambda row, _f=_field: order_aad(row.id, _f))


def in_force_clause(on: date) -> sa.ColumnElement[bool]:
    """SQL condition: the order is in force on `on` (issued by then, not expired before it, not vacated by it).
    For reports: e.g. the orders of a case in force on the day of a juncture."""
    return sa.and_(
        ProtectiveOrder.issued_on <= on,
        sa.or_(ProtectiveOrder.expires_on.is_(None), ProtectiveOrder.expires_on >= on),
        sa.or_(ProtectiveOrder.vacated_on.is_(None), ProtectiveOrder.vacated_on > on),
    )


def in_force_on(order: ProtectiveOrder, on: date) -> bool:
    """Whether the order is in force on `on` (the same test as `in_force_clause`)."""
    return (order.issued_on <= on and (order.expires_on is None or on <= order.expires_on)
            and (order.vacated_on is None or on < order.vacated_on))


def order_status(order: ProtectiveOrder, on: date) -> str:
    """active | vacated | expired | not_yet_in_force, as of `on`."""
    if order.vacated_on is not None and order.vacated_on <= on:
        return "vacated"
    if order.expires_on is not None and order.expires_on < on:
        return "expired"
    if order.issued_on > on:
        return "not_yet_in_force"
    return "active"
