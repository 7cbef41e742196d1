"""Rules for services: record, read, change and list the services of a person (the provider's name sealed).

A service belongs to the agency that holds the person's record and is seen like the person's case. Its provider
is exactly one of an agency in Tandem and a named outside provider; its times are consistent (started at or
after referred, ended at or after started) and its status is borne out by them (a started, completed or
ended-early service has started_at; a completed or ended-early one ended_at). A service may name the referral it
came from: a referral sent on the same case by the same agency; the referral's read lists the services naming it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.core.clock import utcnow
from app.core.crypto import decrypt_text, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency
from app.outbox.events import emit
from app.referrals.models import Referral
from app.referrals.reads import register_service_ids
from app.services import access
from app.services.models import Service, service_aad
from app.services.schemas import ServiceCreate, ServiceKind, ServiceStatus, ServiceUpdate
from app.trail.recorder import record

TIMES = ("referred_at", "first_contact_at", "started_at", "ended_at")
# (earlier, later): the later may not precede the earlier.
ORDER = (("referred_at", "started_at"), ("started_at", "ended_at"), ("referred_at", "ended_at"))
NEEDS_START = frozenset({ServiceStatus.started, ServiceStatus.completed, ServiceStatus.ended_early})
NEEDS_END = frozenset({ServiceStatus.completed, ServiceStatus.ended_early})


def _provider_name(service: Service) -> str | None:
    return decrypt_text(service.provider_name_enc, service_aad(service.id, "provider_name"))


def _error(field: str, type_: str, msg: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": type_}


async def _problems(
    session: AsyncSession, person: Person, state: dict[str, Any], given: set[str]
) -> list[dict[str, Any]]:
    """Everything wrong with a service's state (after a create or an update): `given` are the fields the
    request sent, which the errors name when they can."""
    errors: list[dict[str, Any]] = []
    has_agency, has_name = state["provider_agency_id"] is not None, state["provider_name"] is not None
    if has_agency == has_name:
        field = next((f for f in ("provider_agency_id", "provider_name") if f in given), "provider_agency_id")
        errors.append(_error(field, "provider_ambiguous" if has_agency else "provider_missing",
                             "Name exactly one provider: provider_agency_id or provider_name."))
    elif has_agency and "provider_agency_id" in given \
            and await session.get(Agency, state["provider_agency_id"]) is None:
        errors.append(_error("provider_agency_id", "unknown_agency", "No agency with that id."))
    for earlier, later in ORDER:
        a, b = state[earlier], state[later]
        if a is not None and b is not None and b < a:
            if earlier == "referred_at" and later == "ended_at" and state["started_at"] is not None:
                continue  # already named through started_at
            field = later if later in given or earlier not in given else earlier
            errors.append(_error(field, "times_out_of_order", f"{later} may not be before {earlier}."))
    status = ServiceStatus(state["status"])
    if status in NEEDS_START and state["started_at"] is None:
        errors.append(_error("started_at" if "started_at" in given else "status", "started_at_required",
                             f"A {status.value} service has started_at."))
    if status in NEEDS_END and state["ended_at"] is None:
        errors.append(_error("ended_at" if "ended_at" in given else "status", "ended_at_required",
                             f"A {status.value} service has ended_at."))
    if state["referral_id"] is not None and "referral_id" in given:
        found = await session.execute(sa.select(Referral.id).where(
            Referral.id == state["referral_id"], Referral.case_id == person.case_id,
            Referral.from_agency_id == person.agency_id, Referral.sent_at.is_not(None)))
        if found.first() is None:
            errors.append(_error("referral_id", "referral_not_of_case",
                                 "Must be a referral sent on this person's case by this agency."))
    return errors


def _ids(service: Service) -> dict[str, str]:
    return {"service_id": str(service.id), "person_id": str(service.person_id), "case_id": str(service.case_id)}


async def create_service(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ServiceCreate
) -> Service:
    """Record a service of a person the caller may see (404 otherwise); every problem is named at once (422)."""
    person = await get_person_for_owner(session, principal, person_id)
    state = data.model_dump()
    errors = await _problems(session, person, state, set(state))
    if errors:
        raise Invalid("The service has invalid elements; see errors.", errors=errors)
    service = Service(agency_id=person.agency_id, case_id=person.case_id, person_id=person.id,
                      kind=data.kind.value, provider_agency_id=data.provider_agency_id,
                      status=data.status.value, barriers=[b.value for b in data.barriers],
                      referral_id=data.referral_id, created_by=principal.ref,
                      **{t: state[t] for t in TIMES})
    service.provider_name_enc = encrypt_json(data.provider_name, service_aad(service.id, "provider_name"),
                                             owner=service.agency_id)
    session.add(service)
    await session.flush()
    await record(session, principal, "service.create", "service", service.id, agency_id=service.agency_id)
    await emit(session, "service.created", [service.agency_id], _ids(service))
    return service


async def get_service(session: AsyncSession, principal: Principal, service_id: uuid.UUID) -> Service:
    """The service if the caller may see its case, else 404."""
    return await one_or_404(session, sa.select(Service).where(
        Service.id == service_id, access.service_visible_clause(principal)), "service")


async def list_services(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams, *,
    kind: ServiceKind | None = None, status: ServiceStatus | None = None,
) -> tuple[list[Service], str | None]:
    """The person's services, newest first (rendered without the provider's name)."""
    person = await get_person_for_owner(session, principal, person_id)
    stmt = sa.select(Service).where(Service.person_id == person.id, access.service_visible_clause(principal))
    if kind is not None:
        stmt = stmt.where(Service.kind == kind.value)
    if status is not None:
        stmt = stmt.where(Service.status == status.value)
    return await paginate(session, stmt, Service, page)


async def update_service(
    session: AsyncSession, principal: Principal, service: Service, data: ServiceUpdate
) -> dict[str, Any]:
    """Change the fields sent (the service found by `get_service`, If-Match checked); the whole resulting
    service must hold together (422 naming each problem, nothing changed). Returns it as ServiceRead."""
    given = set(data.model_fields_set)
    sent = data.model_dump(include=given)
    state = {**_state(service), **sent}
    person = await session.get(Person, service.person_id)
    assert person is not None
    errors = await _problems(session, person, state, given)
    if errors:
        raise Invalid("The service has invalid elements; see errors.", errors=errors)
    for field in ("kind", "status"):
        if field in sent:
            setattr(service, field, str(state[field]))
    if "barriers" in sent:
        service.barriers = [str(b) for b in state["barriers"]]
    for field in (*TIMES, "provider_agency_id", "referral_id"):
        if field in sent:
            setattr(service, field, state[field])
    if "provider_name" in sent:
        service.provider_name_enc = encrypt_json(state["provider_name"], service_aad(service.id, "provider_name"),
                                                 owner=service.agency_id)
    service.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "service.update", "service", service.id, agency_id=service.agency_id)
    await emit(session, "service.updated", [service.agency_id], _ids(service))
    return service_read(service)


def _state(service: Service) -> dict[str, Any]:
    return {"kind": service.kind, "status": service.status, "barriers": list(service.barriers),
            "provider_agency_id": service.provider_agency_id, "provider_name": _provider_name(service),
            "referral_id": service.referral_id, **{t: getattr(service, t) for t in TIMES}}


def service_read(service: Service) -> dict[str, Any]:
    """The service shaped as ServiceRead (the provider's name unsealed)."""
    return {
        "id": service.id, "agency_id": service.agency_id, "person_id": service.person_id,
        "case_id": service.case_id, "kind": service.kind, "status": service.status,
        "provider_agency_id": service.provider_agency_id, "provider_name": _provider_name(service),
        "barriers": service.barriers, "referral_id": service.referral_id,
        "created_at": service.created_at, "updated_at": service.updated_at, "version": service.version,
        **{t: getattr(service, t) for t in TIMES},
    }


def release_item(service: Service) -> dict[str, Any]:
    """One service as the disclosure rule releases it (JSON-ready)."""

    def at(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None

    return {
        "id": str(service.id), "kind": service.kind, "status": service.status,
        "provider_agency_id": str(service.provider_agency_id) if service.provider_agency_id else None,
        "provider_name": _provider_name(service), "barriers": list(service.barriers),
        "referral_id": str(service.referral_id) if service.referral_id else None,
        **{t: at(getattr(service, t)) for t in TIMES},
    }


def service_ids_naming(principal: Principal, referral_id: sa.SQLColumnExpression[uuid.UUID]) -> sa.Select[Any]:
    """The services naming a referral that the caller may see, oldest first (shown on the referral's read): a
    select correlated to `referral_id`, which the referral's read runs inside its own statement."""
    return (sa.select(Service.id).where(Service.referral_id == referral_id, access.service_visible_clause(principal))
            .order_by(Service.created_at, Service.id))


register_service_ids(service_ids_naming)
