"""Rules for advocate assignments to CPS offices and the on-duty lookup."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates import access, routing, schedule
from app.advocates.models import AdvocateAssignment
from app.advocates.schemas import AssignmentCreate, AssignmentStatus
from app.agencies import access as agencies_access
from app.agreements import access as agreements_access
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency, Office, User
from app.trail.recorder import record


async def missing_agreement(session: AsyncSession, dv_agency_id: uuid.UUID, cps_agency_id: uuid.UUID) -> Conflict:
    """The 409 for two agencies without an agreement in force, naming the agreement that is missing."""
    cps = await session.get(Agency, cps_agency_id)
    name = cps.name if cps else "the office's agency"
    return Conflict(
        f"No data-sharing agreement between your agency and {name} is in force; advocates work in its offices "
        "only under an active agreement between the two agencies.",
        title="Agreement required",
        missing_agreement={"party_agency_ids": [str(dv_agency_id), str(cps_agency_id)]},
    )


async def create_assignment(session: AsyncSession, principal: Principal, data: AssignmentCreate) -> AdvocateAssignment:
    """A DV agency assigns one of its active advocates to a CPS office it has an agreement with; one
    advocate's assignments never overlap in time, wherever they are."""
    dv_agency_id = access.ensure_may_manage_assignments(principal)
    # Locking the advocate's row makes concurrent assignments of the same advocate check overlap in turn.
    advocate = (await session.execute(
        sa.select(User).where(User.id == data.advocate_id).with_for_update(key_share=True))).scalar_one_or_none()
    access.ensure_assignable_advocate(principal, advocate)
    office = await routing.lock_office(session, data.office_id)
    if office is None:
        raise NotFound("office")
    if not await agreements_access.active_agreements_between(session, dv_agency_id, office.agency_id):
        raise await missing_agreement(session, dv_agency_id, office.agency_id)

    others = (await session.execute(
        sa.select(AdvocateAssignment, Office.timezone).join(Office, Office.id == AdvocateAssignment.office_id)
        .where(AdvocateAssignment.advocate_id == data.advocate_id,
               AdvocateAssignment.status == AssignmentStatus.active.value)
        .order_by(AdvocateAssignment.created_at, AdvocateAssignment.id))).all()
    for other, other_tz in others:
        if schedule.collide(data, office.timezone, other, other_tz):
            raise Conflict("This advocate already has an assignment on a shared day at overlapping hours.",
                           title="Overlapping assignment", conflicting_assignment_id=str(other.id))

    assignment = AdvocateAssignment(
        advocate_id=data.advocate_id, dv_agency_id=dv_agency_id, office_id=office.id,
        cps_agency_id=office.agency_id, weekdays=data.weekdays, start_time=data.start_time,
        end_time=data.end_time, starts_on=data.starts_on, ends_on=data.ends_on,
        max_open_consultations=data.max_open_consultations, created_by=principal.user_id,
    )
    session.add(assignment)
    await session.flush()
    await record(session, principal, "assignment.create", "advocate_assignment", assignment.id)
    await routing.route_queued(session, office.id)  # someone may have come on duty for the waiting queue
    return assignment


async def list_assignments(
    session: AsyncSession, principal: Principal, page: PageParams, *, office_id: uuid.UUID | None = None,
    advocate_id: uuid.UUID | None = None, status: AssignmentStatus | None = None,
) -> tuple[list[AdvocateAssignment], str | None]:
    stmt = sa.select(AdvocateAssignment).where(access.assignment_visible_clause(principal))
    if office_id is not None:
        stmt = stmt.where(AdvocateAssignment.office_id == office_id)
    if advocate_id is not None:
        stmt = stmt.where(AdvocateAssignment.advocate_id == advocate_id)
    if status is not None:
        stmt = stmt.where(AdvocateAssignment.status == status.value)
    return await paginate(session, stmt, AdvocateAssignment, page)


async def get_assignment(session: AsyncSession, principal: Principal, assignment_id: uuid.UUID) -> AdvocateAssignment:
    found = (await session.execute(sa.select(AdvocateAssignment).where(
        AdvocateAssignment.id == assignment_id, access.assignment_visible_clause(principal)))).scalar_one_or_none()
    if found is None:
        raise NotFound("assignment")
    return found


async def end_assignment(
    session: AsyncSession, principal: Principal, assignment: AdvocateAssignment,
) -> AdvocateAssignment:
    """The advocate's DV agency ends an assignment; it stops counting at once. Open consultations stay hers."""
    access.ensure_may_end_assignment(principal, assignment)
    if assignment.status == AssignmentStatus.ended.value:
        raise Conflict("This assignment has already ended.")
    assignment.status = AssignmentStatus.ended.value
    assignment.ended_at = utcnow()
    assignment.ended_by = principal.user_id
    await session.flush()
    await record(session, principal, "assignment.end", "advocate_assignment", assignment.id)
    return assignment


async def get_on_duty(
    session: AsyncSession, principal: Principal, office_id: uuid.UUID, at: datetime | None,
) -> dict[str, Any]:
    """Who is on site at the office at `at` (default now), with their load and capacity."""
    if at is not None and at.tzinfo is None:
        raise Invalid("at must be an RFC 3339 time with a UTC offset, e.g. 2026-11-22T09:30:00Z.",
                      loc=["query", "at"])
    office = (await session.execute(
        sa.select(Office).where(Office.id == office_id, agencies_access.office_visible_clause(principal)))).scalar_one_or_none()
    if office is None:
        raise NotFound("office")
    await access.ensure_may_read_on_duty(session, principal, office)
    await routing.route_queued(session, office.id)
    when = at or utcnow()
    duty = await routing.on_duty(session, office, when)
    items = [
        {"advocate_id": d.assignment.advocate_id, "agency_id": d.assignment.dv_agency_id,
         "assignment_id": d.assignment.id, "open_consultations": d.open_consultations,
         "max_open_consultations": d.assignment.max_open_consultations, "capacity_left": d.capacity_left,
         "on_duty_until": d.until}
        for d in duty if access.on_duty_visible_to(principal, d.assignment.dv_agency_id)
    ]
    return {"office_id": office.id, "timezone": office.timezone, "at": when,
            "local_time": schedule.local(when, office.timezone).isoformat(), "items": items, "next_cursor": None}
