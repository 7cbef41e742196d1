"""The `protective_orders` category for the disclosure rule: the orders the person's own agency holds that are
filed under the person or protect them (an order naming the person only as the restrained person is not theirs
to release). The rule has already decided; this only reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.clock import today
from app.core.types import json_ready
from app.core.vocab import DataCategory
from app.protective_orders.models import ProtectiveOrder
from app.protective_orders.service import order_read

# Built once; the case and its agency are bound at each read.
_ORDERS = (sa.select(ProtectiveOrder)
           .where(ProtectiveOrder.case_id == sa.bindparam("case_id"),
                  ProtectiveOrder.agency_id == sa.bindparam("agency_id"))
           .order_by(ProtectiveOrder.issued_on.desc(), ProtectiveOrder.created_at.desc()))


async def protective_orders(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"orders": [{id, kind, jurisdiction, court, docket_number, protected_person_ids, restrained_person_id,
    issued_on, expires_on, vacated_on, terms, service_status, served_on, status, in_force}, ...]} (newest issue
    first); None when none is on file."""
    rows = (await session.execute(_ORDERS, {"case_id": person.case_id, "agency_id": person.agency_id})
            ).scalars().all()
    mine = [o for o in rows if o.person_id == person.id or str(person.id) in o.protected_person_ids]
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



def register() -> None:
    register_category_source(DataCategory.protective_orders, protective_orders)
