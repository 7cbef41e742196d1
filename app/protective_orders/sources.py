"""The `protective_orders` category for the disclosure rule: the orders the person's own agency holds that are
filed under the person or protect them (an order naming the person only as the restrained person is not theirs
to release). The rule has already decided; this only reads, with one select built once (`statement_source`:
a request reads it with its other category sources in one round trip)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.clock import today
from app.core.sql import Prebuilt
from app.core.types import json_ready
from app.core.vocab import DataCategory
from app.protective_orders.models import ProtectiveOrder
from app.protective_orders.service import order_read

# Built once; the case and its agency are bound at each read.
_ORDERS = Prebuilt(sa.select(*ProtectiveOrder.__table__.c)
                   .where(ProtectiveOrder.case_id == sa.bindparam("case_id"),
                          ProtectiveOrder.agency_id == sa.bindparam("agency_id"))
                   .order_by(ProtectiveOrder.issued_on.desc(), ProtectiveOrder.created_at.desc()))


def _orders(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"orders": [{id, kind, jurisdiction, court, docket_number, protected_person_ids, restrained_person_id,
    issued_on, expires_on, vacated_on, terms, service_status, served_on, status, in_force}, ...]} (newest issue
    first); None when none is on file."""
    # Read-only copies of the person's rows, not in the session (their values are the database's own: not
    # validated again); `order_read` unseals the sealed parts from each one's id and sealed columns.
    mine = [ProtectiveOrder.model_construct(**r._asdict()) for r in rows
            if r.person_id == person.id or str(person.id) in r.protected_person_ids]
    if not mine:
        return None
    now = today()
    orders = []
    for order in mine:
        read = order_read(order, now)
        orders.append({k: json_ready(v) for k, v in read.items() if k not in ("agency_id", "case_id", "created_at",
                                                                             "updated_at")})
    as_of = max(o.updated_at or o.created_at for o in mine)
    return Sourced({"orders": orders}, as_of)


protective_orders = statement_source(
    DataCategory.protective_orders, _ORDERS, lambda person: {"case_id": person.case_id, "agency_id": person.agency_id},
    _orders, "protective_orders")


def register() -> None:
    register_category_source(DataCategory.protective_orders, protective_orders)
