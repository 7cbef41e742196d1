"""Rules for consultations: a CPS worker's question about a case, answered by the co-located advocate."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates import access, routing
from app.advocates.models import AdvocateAssignment, Consultation, consultation_aad
from app.advocates.schemas import (
    ConsultationCreate,
    ConsultationRespond,
    ConsultationRoute,
    ConsultationStatus,
)
from app.advocates.service import missing_agreement
from app.agreements import access as agreements_access
from app.auth.principal import Principal
from app.cases import access as cases_access
from app.cases.models import Case
from app.core.clock import today, utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.identity.models import User
from app.outbox.events import emit
from app.trail.recorder import record

S = ConsultationStatus


def _event(c: Consultation) -> dict[str, str]:
    return {"consultation_id": str(c.id), "office_id": str(c.office_id)}


async def _notify(session: AsyncSession, event_type: str, c: Consultation) -> None:
    await emit(session, event_type, [c.cps_agency_id, c.dv_agency_id], _event(c))


# ------------------------------------------------------------------ shaping


async def references(session: AsyncSession, rows: list[Consultation]) -> dict[uuid.UUID, str]:
    """Case references for the rows (the only thing about the case a consultation shows besides its id)."""
    ids = {c.case_id for c in rows}
    if not ids:
        return {}
    found = await session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(ids)))
    return {r[0]: r[1] for r in found}


def summary(c: Consultation, reference: str) -> dict[str, Any]:
    return {
        "id": c.id, "case_id": c.case_id, "case_reference": reference, "office_id": c.office_id,
        "urgency": c.urgency, "status": c.status, "advocate_id": c.advocate_id,
        "advocate_agency_id": c.dv_agency_id, "created_at": c.created_at, "routed_at": c.routed_at,
        "accepted_at": c.accepted_at, "responded_at": c.responded_at, "closed_at": c.closed_at,
    }


def detail(c: Consultation, reference: str) -> dict[str, Any]:
    return {
        **summary(c, reference),
        "question": decrypt_json(c.question_enc, consultation_aad(c.id, "question")),
        "advice": decrypt_json(c.advice_enc, consultation_aad(c.id, "advice")),
        "suggested_checklist_items": list(c.suggested_checklist_items or []),
        "requested_by": c.requested_by, "routed_by": c.routed_by,
    }


# ------------------------------------------------------------------ open, read, list


async def open_consultation(
    session: AsyncSession, principal: Principal, data: ConsultationCreate,
) -> tuple[Consultation, str]:
    """A CPS worker on the case asks at an office of the case's agency; routed at once when someone on duty
    has capacity, otherwise it waits in that office's queue."""
    case = await cases_access.get_visible_case(session, principal, data.case_id)
    if case.status != "open":
        raise Conflict("This case is closed; consultations are for open cases.")
    office = await routing.lock_office(session, data.office_id)
    if office is None or office.agency_id != case.agency_id:
        raise Invalid("office_id must be an office of the case's agency.", loc=["body", "office_id"],
                      type="office_not_in_agency")
    c = Consultation(case_id=case.id, office_id=office.id, cps_agency_id=case.agency_id,
                     requested_by=principal.user_id, urgency=data.urgency.value, question_enc="")
    c.question_enc = encrypt_json(data.question, consultation_aad(c.id, "question"), owner=c.cps_agency_id) or ""
    session.add(c)
    await session.flush()
    await record(session, principal, "consultation.open", "consultation", c.id)
    await emit(session, "consultation.opened", [c.cps_agency_id], _event(c))
    await routing.route_queued(session, office.id)
    return c, case.reference


async def _visible(session: AsyncSession, principal: Principal, consultation_id: uuid.UUID) -> Consultation:
    found = (await session.execute(sa.select(Consultation).where(
        Consultation.id == consultation_id, access.consultation_visible_clause(principal)))).scalar_one_or_none()
    if found is None:
        raise NotFound("consultation")
    return found


async def _reference(session: AsyncSession, c: Consultation) -> str:
    return (await references(session, [c]))[c.case_id]


async def get_consultation(
    session: AsyncSession, principal: Principal, consultation_id: uuid.UUID,
) -> tuple[Consultation, str]:
    """One consultation with its question and advice (a release of free text: audited); 404 when hidden."""
    return await read_consultation(session, principal, await _visible(session, principal, consultation_id))


async def read_consultation(session: AsyncSession, principal: Principal, c: Consultation) -> tuple[Consultation, str]:
    """A consultation the caller may see, with its case reference, as read (a release of free text: audited)."""
    if c.status == S.queued.value:
        await routing.route_queued(session, c.office_id)
    await record(session, principal, "consultation.read", "consultation", c.id)
    return c, await _reference(session, c)


async def _offices_to_route(session: AsyncSession, principal: Principal, office_id: uuid.UUID | None) -> set[Any]:
    """Offices whose queue a read of the consultation list should settle first."""
    C = Consultation
    queued = sa.select(C.office_id).where(C.status == S.queued.value).distinct()
    if office_id is not None:
        queued = queued.where(C.office_id == office_id)
    scope = access.queues_to_settle_clause(principal)
    if scope is None:
        return set()
    return set((await session.execute(queued.where(scope))).scalars())


async def list_consultations(
    session: AsyncSession, principal: Principal, page: PageParams, *, status: ConsultationStatus | None = None,
    office_id: uuid.UUID | None = None, mine: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    await routing.route_offices(session, await _offices_to_route(session, principal, office_id))
    stmt = sa.select(Consultation).where(access.consultation_visible_clause(principal))
    if status is not None:
        stmt = stmt.where(Consultation.status == status.value)
    if office_id is not None:
        stmt = stmt.where(Consultation.office_id == office_id)
    if mine:
        uid = principal.user_id
        stmt = stmt.where(sa.or_(Consultation.requested_by == uid, Consultation.advocate_id == uid)
                          if uid is not None else sa.false())
    rows, cursor = await paginate(session, stmt, Consultation, page)
    refs = await references(session, rows)
    return [summary(c, refs[c.case_id]) for c in rows], cursor


# ------------------------------------------------------------------ transitions


def _require_status(c: Consultation, *allowed: ConsultationStatus, action: str) -> None:
    if c.status not in {s.value for s in allowed}:
        raise Conflict(f"A {c.status} consultation cannot be {action}.",
                       allowed_from=[s.value for s in allowed], current_status=c.status)


async def route_to(
    session: AsyncSession, principal: Principal, c: Consultation, data: ConsultationRoute,
) -> Consultation:
    """A CPS supervisor names the advocate: one assigned to the consultation's office (on duty or not)."""
    access.ensure_may_route_consultation(principal, c)
    _require_status(c, S.queued, S.routed, action="routed")
    await routing.lock_office(session, c.office_id)
    A = AdvocateAssignment
    day = today()
    rows = (await session.execute(
        sa.select(A, User).join(User, User.id == A.advocate_id).where(
            A.office_id == c.office_id, A.advocate_id == data.advocate_id, A.status == "active",
            sa.or_(A.ends_on.is_(None), A.ends_on >= day))
        .order_by(A.starts_on, A.created_at, A.id))).all()
    usable = [a for a, user in rows if access.may_take_consultations(user) and user.agency_id == a.dv_agency_id]
    if not usable:
        raise Invalid("This advocate is not assigned to the consultation's office.", loc=["body", "advocate_id"],
                      type="advocate_not_assigned")
    in_force = [a for a in usable if await agreements_access.active_agreements_between(session, a.dv_agency_id, a.cps_agency_id)]
    if not in_force:
        raise await _missing(session, usable[0])
    if c.status == S.routed.value and c.advocate_id == data.advocate_id:
        return c
    await routing.assign(session, principal, c, in_force[0])
    return c


async def _missing(session: AsyncSession, a: AdvocateAssignment) -> Conflict:
    err = await missing_agreement(session, a.dv_agency_id, a.cps_agency_id)
    err.detail = ("No data-sharing agreement between the advocate's agency and yours is in force; consultations "
                  "are routed only under an active agreement.")
    return err


async def accept(session: AsyncSession, principal: Principal, c: Consultation) -> Consultation:
    access.ensure_consultation_advocate(principal, c)
    _require_status(c, S.routed, action="accepted")
    c.status = S.accepted.value
    c.accepted_at = utcnow()
    await session.flush()
    await record(session, principal, "consultation.accept", "consultation", c.id)
    await _notify(session, "consultation.accepted", c)
    return c


async def respond(session: AsyncSession, principal: Principal, c: Consultation, data: ConsultationRespond) -> Consultation:
    access.ensure_consultation_advocate(principal, c)
    _require_status(c, S.accepted, action="answered")
    c.advice_enc = encrypt_json(data.advice, consultation_aad(c.id, "advice"),
                                owner=c.dv_agency_id or c.cps_agency_id)
    c.suggested_checklist_items = list(data.suggested_checklist_items)
    c.status = S.responded.value
    c.responded_at = utcnow()
    await session.flush()
    await record(session, principal, "consultation.respond", "consultation", c.id)
    await _notify(session, "consultation.responded", c)
    return c


async def close(session: AsyncSession, principal: Principal, c: Consultation) -> Consultation:
    """Closing frees the advocate's capacity, so the queues she serves are routed again."""
    access.ensure_may_close_consultation(principal, c)
    _require_status(c, S.queued, S.routed, S.accepted, S.responded, action="closed")
    offices = {c.office_id}
    if c.advocate_id is not None:
        served = await session.execute(sa.select(AdvocateAssignment.office_id).where(
            AdvocateAssignment.advocate_id == c.advocate_id, AdvocateAssignment.status == "active"))
        offices |= set(served.scalars())
    await routing.lock_offices(session, offices)
    c.status = S.closed.value
    c.closed_at = utcnow()
    c.closed_by = principal.user_id
    await session.flush()
    await record(session, principal, "consultation.close", "consultation", c.id)
    await _notify(session, "consultation.closed", c)
    await routing.route_offices(session, offices)
    return c


async def load(session: AsyncSession, principal: Principal, consultation_id: uuid.UUID) -> Consultation:
    """The consultation for a transition (404 when the caller may not see it)."""
    return await _visible(session, principal, consultation_id)


async def consultation_read(session: AsyncSession, c: Consultation) -> dict[str, Any]:
    """The consultation as ConsultationRead."""
    return detail(c, await _reference(session, c))
