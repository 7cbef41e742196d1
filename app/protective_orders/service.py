"""Rules for protective orders: filed under a person of a case, naming people of that same case, with the court,
docket number and terms sealed at rest. Every change is audited and announced to the owning agency's webhooks
(ids only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.core.clock import today, utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.protective_orders import access
from app.protective_orders.models import ORDER_SEALED, ProtectiveOrder, in_force_on, order_aad, order_status
from app.protective_orders.schemas import OrderCreate, OrderUpdate, Term, summary
from app.trail.recorder import record


def _seal(order: ProtectiveOrder, field: str, value: Any) -> None:
    setattr(order, ORDER_SEALED[field], encrypt_json(value, order_aad(order.id, field), owner=order.agency_id))


def _unseal(order: ProtectiveOrder, field: str) -> Any:
    return decrypt_json(getattr(order, ORDER_SEALED[field]), order_aad(order.id, field))


def _set_terms(order: ProtectiveOrder, terms: list[Term]) -> None:
    order.term_codes = list(dict.fromkeys(t.code.value for t in terms))
    _seal(order, "terms", [t.model_dump(mode="json") for t in terms])


async def _check_people(session: AsyncSession, case_id: uuid.UUID, ids: Iterable[uuid.UUID], loc: list[Any]) -> None:
    """422 unless every id names a person of the case (the same answer whether or not the id exists elsewhere)."""
    wanted = set(ids)
    if not wanted:
        return
    found = set((await session.execute(
        sa.select(Person.id).where(Person.case_id == case_id, Person.id.in_(wanted)))).scalars())
    if found != wanted:
        raise Invalid("Every person an order names must be a person of the same case.", loc=loc,
                      type="person_not_in_case")


def _check_dates(order: ProtectiveOrder) -> None:
    """The dates of an order hold together: issued by today, expiring and vacated and served on or after issue."""
    now = today()
    if order.issued_on > now:
        raise Invalid("issued_on cannot be in the future.", loc=["body", "issued_on"])
    checks: list[tuple[str, date | None, bool]] = [
        ("expires_on", order.expires_on, False), ("vacated_on", order.vacated_on, True),
        ("served_on", order.served_on, True)]
    for name, value, not_future in checks:
        if value is None:
            continue
        if value < order.issued_on:
            raise Invalid(f"{name} cannot be before issued_on.", loc=["body", name])
        if not_future and value > now:
            raise Invalid(f"{name} cannot be in the future.", loc=["body", name])
    if order.served_on is not None and order.service_status != "served":
        raise Invalid("served_on is only for an order whose service_status is served.", loc=["body", "served_on"])


async def _check_parties(session: AsyncSession, order: ProtectiveOrder) -> None:
    protected = [uuid.UUID(str(i)) for i in order.protected_person_ids]
    await _check_people(session, order.case_id, protected, ["body", "protected_person_ids"])
    if order.restrained_person_id is not None:
        await _check_people(session, order.case_id, [order.restrained_person_id], ["body", "restrained_person_id"])
        if order.restrained_person_id in protected:
            raise Invalid("The restrained person cannot also be protected by the order.",
                          loc=["body", "restrained_person_id"], type="restrained_is_protected")


async def create_order(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: OrderCreate
) -> ProtectiveOrder:
    """An order filed under a person the caller may see; it belongs to the person's agency."""
    person = await get_person_for_owner(session, principal, person_id)
    protected = data.protected_person_ids or [person.id]
    order = ProtectiveOrder(
        agency_id=person.agency_id, case_id=person.case_id, person_id=person.id, kind=data.kind.value,
        jurisdiction=data.jurisdiction.value, protected_person_ids=[str(i) for i in protected],
        restrained_person_id=data.restrained_person_id, issued_on=data.issued_on, expires_on=data.expires_on,
        service_status=data.service_status.value, served_on=data.served_on, created_by=principal.ref)
    _check_dates(order)
    await _check_parties(session, order)
    _seal(order, "court", data.court)
    _seal(order, "docket_number", data.docket_number)
    _set_terms(order, data.terms)
    session.add(order)
    await session.flush()
    await _announce(session, principal, order, "create")
    return order


async def _announce(session: AsyncSession, principal: Principal, order: ProtectiveOrder, change: str) -> None:
    await record(session, principal, f"protective_order.{change}", "protective_order", order.id,
                 agency_id=order.agency_id)
    await emit(session, f"protective_order.{change}d", [order.agency_id],
               {"protective_order_id": str(order.id), "case_id": str(order.case_id), "person_id": str(order.person_id)})


async def get_order(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ProtectiveOrder:
    """The order if the caller may see its case, else 404."""
    return await one_or_404(session, sa.select(ProtectiveOrder).where(
        ProtectiveOrder.id == order_id, access.order_visible_clause(principal)), "protective order")


async def list_orders(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """The orders filed under a person, newest first, as summaries (no court, docket number or terms)."""
    person = await get_person_for_owner(session, principal, person_id)
    rows, cursor = await paginate(session, sa.select(ProtectiveOrder).where(
        ProtectiveOrder.person_id == person.id, access.order_visible_clause(principal)), ProtectiveOrder, page)
    now = today()
    return [summary(o, order_status(o, now)) for o in rows], cursor


async def update_order(
    session: AsyncSession, principal: Principal, order: ProtectiveOrder, data: OrderUpdate
) -> dict[str, Any]:
    """Change the fields sent (the order found and If-Match checked by the loader); answers the order read."""
    fields = data.model_dump(exclude_unset=True)
    for name in ("kind", "jurisdiction", "service_status"):
        if name in fields:
            setattr(order, name, getattr(data, name).value)
    for name in ("issued_on", "expires_on", "vacated_on", "served_on", "restrained_person_id"):
        if name in fields:
            setattr(order, name, getattr(data, name))
    if data.protected_person_ids is not None:
        order.protected_person_ids = [str(i) for i in data.protected_person_ids]
    _check_dates(order)
    await _check_parties(session, order)
    for name in ("court", "docket_number"):
        if name in fields:
            _seal(order, name, getattr(data, name))
    if data.terms is not None:
        _set_terms(order, data.terms)
    order.updated_at = utcnow()
    await session.flush()
    await _announce(session, principal, order, "update")
    return order_read(order)


async def read_order(session: AsyncSession, principal: Principal, order: ProtectiveOrder) -> dict[str, Any]:
    """The full order (found by the loader) as its staff read it; every read is audited."""
    await record(session, principal, "protective_order.read", "protective_order", order.id,
                 agency_id=order.agency_id)
    return order_read(order)


def order_read(order: ProtectiveOrder, on: date | None = None) -> dict[str, Any]:
    """The full order (decrypted), shaped as OrderRead; status and in_force as of `on` (today)."""
    on = on or today()
    return {
        "id": order.id, "agency_id": order.agency_id, "case_id": order.case_id, "person_id": order.person_id,
        "kind": order.kind, "jurisdiction": order.jurisdiction, "court": _unseal(order, "court"),
        "docket_number": _unseal(order, "docket_number"),
        "protected_person_ids": [uuid.UUID(str(i)) for i in order.protected_person_ids],
        "restrained_person_id": order.restrained_person_id, "issued_on": order.issued_on,
        "expires_on": order.expires_on, "vacated_on": order.vacated_on, "terms": _unseal(order, "terms") or [],
        "service_status": order.service_status, "served_on": order.served_on,
        "status": order_status(order, on), "in_force": in_force_on(order, on),
        "created_at": order.created_at, "updated_at": order.updated_at,
    }
