"""Rules for court events: a record of a case, its findings naming people of that case, the case number,
courtroom, outcome details, attorneys and guardian ad litem sealed at rest. Every change is audited and
announced to the owning agency's webhooks (ids only)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.access import get_visible_case
from app.cases.models import Person
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.court import access
from app.court.models import EVENT_SEALED, CourtEvent, CourtFinding, event_aad, finding_aad
from app.court.schemas import CourtEventCreate, CourtEventUpdate, Finding
from app.outbox.events import emit
from app.trail.recorder import record

_SEALED_TEXTS = ("court_case_number", "courtroom", "outcome_details", "guardian_ad_litem")


def _seal(event: CourtEvent, field: str, value: Any) -> None:
    setattr(event, EVENT_SEALED[field], encrypt_json(value, event_aad(event.id, field), owner=event.agency_id))


def _unseal(event: CourtEvent, field: str) -> Any:
    return decrypt_json(getattr(event, EVENT_SEALED[field]), event_aad(event.id, field))


async def _check_findings(session: AsyncSession, case_id: uuid.UUID, findings: list[Finding]) -> None:
    """422 unless each finding's person is a person of the case (the same answer whether or not the id exists
    elsewhere)."""
    wanted = {f.against_person_id for f in findings if f.against_person_id is not None}
    found = set((await session.execute(
        sa.select(Person.id).where(Person.case_id == case_id, Person.id.in_(wanted))))
        .scalars()) if wanted else set()
    for i, f in enumerate(findings):
        if f.against_person_id is not None and f.against_person_id not in found:
            raise Invalid("A finding can only be against a person of the same case.",
                          loc=["body", "findings", i, "against_person_id"], type="person_not_in_case")


async def _replace_findings(session: AsyncSession, event: CourtEvent, findings: list[Finding]) -> None:
    await session.execute(sa.delete(CourtFinding).where(CourtFinding.court_event_id == event.id)
                          .execution_options(synchronize_session=False))
    for i, f in enumerate(findings):
        row = CourtFinding(court_event_id=event.id, case_id=event.case_id, agency_id=event.agency_id, position=i,
                           code=f.code.value, against_person_id=f.against_person_id)
        row.details_enc = encrypt_json(f.details, finding_aad(row.id), owner=row.agency_id)
        session.add(row)
    await session.flush()


async def create_event(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: CourtEventCreate
) -> CourtEvent:
    """A court event of a case the caller may see; it belongs to the case's agency."""
    case = await get_visible_case(session, principal, case_id)
    await _check_findings(session, case.id, data.findings)
    event = CourtEvent(agency_id=case.agency_id, case_id=case.id, court_kind=data.court_kind.value,
                       kind=data.kind.value, scheduled_for=data.scheduled_for,
                       outcome=data.outcome.value if data.outcome else None, created_by=principal.ref)
    for name in _SEALED_TEXTS:
        _seal(event, name, getattr(data, name))
    _seal(event, "attorneys", [a.model_dump(mode="json") for a in data.attorneys])
    session.add(event)
    await session.flush()
    await _replace_findings(session, event, data.findings)
    await _announce(session, principal, event, "create")
    return event


async def _announce(session: AsyncSession, principal: Principal, event: CourtEvent, change: str) -> None:
    await record(session, principal, f"court_event.{change}", "court_event", event.id, agency_id=event.agency_id)
    await emit(session, f"court_event.{change}d", [event.agency_id],
               {"court_event_id": str(event.id), "case_id": str(event.case_id)})


async def get_event(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> CourtEvent:
    """The court event if the caller may see its case, else 404."""
    return await one_or_404(session, sa.select(CourtEvent).where(
        CourtEvent.id == event_id, access.event_visible_clause(principal)), "court event")


async def list_events(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[CourtEvent], str | None]:
    """The court events of a case, newest first (by when they were recorded)."""
    case = await get_visible_case(session, principal, case_id)
    return await paginate(session, sa.select(CourtEvent).where(
        CourtEvent.case_id == case.id, access.event_visible_clause(principal)), CourtEvent, page)


async def update_event(
    session: AsyncSession, principal: Principal, event: CourtEvent, data: CourtEventUpdate
) -> dict[str, Any]:
    """Change the fields sent (the event found and If-Match checked by the loader); answers the event read."""
    fields = data.model_dump(exclude_unset=True)
    if data.findings is not None:
        await _check_findings(session, event.case_id, data.findings)
    for name in ("court_kind", "kind"):
        if name in fields:
            setattr(event, name, getattr(data, name).value)
    if data.scheduled_for is not None:
        event.scheduled_for = data.scheduled_for
    if "outcome" in fields:
        event.outcome = data.outcome.value if data.outcome else None
    for name in _SEALED_TEXTS:
        if name in fields:
            _seal(event, name, getattr(data, name))
    if data.attorneys is not None:
        _seal(event, "attorneys", [a.model_dump(mode="json") for a in data.attorneys])
    event.updated_at = utcnow()
    await session.flush()
    if data.findings is not None:
        await _replace_findings(session, event, data.findings)
    await _announce(session, principal, event, "update")
    return await event_read(session, event)


async def read_event(session: AsyncSession, principal: Principal, event: CourtEvent) -> dict[str, Any]:
    """The full event (found by the loader) as its staff read it; every read is audited."""
    await record(session, principal, "court_event.read", "court_event", event.id, agency_id=event.agency_id)
    return await event_read(session, event)


async def findings_of(session: AsyncSession, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The findings of each event (decrypted), in their order."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in event_ids}
    if not event_ids:
        return out
    rows = (await session.execute(sa.select(CourtFinding).where(CourtFinding.court_event_id.in_(event_ids))
                                  .order_by(CourtFinding.position))).scalars().all()
    for f in rows:
        out[f.court_event_id].append({"code": f.code, "against_person_id": f.against_person_id,
                                      "details": decrypt_json(f.details_enc, finding_aad(f.id))})
    return out


def event_fields(event: CourtEvent, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The full event (decrypted) with its findings, shaped as CourtEventRead."""
    return {
        "id": event.id, "agency_id": event.agency_id, "case_id": event.case_id,
        "court_case_number": _unseal(event, "court_case_number"), "court_kind": event.court_kind,
        "kind": event.kind, "scheduled_for": event.scheduled_for, "courtroom": _unseal(event, "courtroom"),
        "outcome": event.outcome, "outcome_details": _unseal(event, "outcome_details"), "findings": findings,
        "attorneys": _unseal(event, "attorneys") or [], "guardian_ad_litem": _unseal(event, "guardian_ad_litem"),
        "created_at": event.created_at, "updated_at": event.updated_at,
    }


async def event_read(session: AsyncSession, event: CourtEvent) -> dict[str, Any]:
    return event_fields(event, (await findings_of(session, [event.id]))[event.id])
