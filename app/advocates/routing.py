"""Who is on duty at an office, and routing consultations to them (computed at every request, never cached)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates import access, schedule
from app.advocates.models import AdvocateAssignment, Consultation
from app.advocates.schemas import OPEN_STATUSES, URGENCY_RANK, ConsultationStatus
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.identity.models import Office, User
from app.outbox.events import emit
from app.trail.recorder import record


@dataclass
class OnDuty:
    assignment: AdvocateAssignment
    open_consultations: int
    until: datetime

    @property
    def capacity_left(self) -> int:
        return max(0, self.assignment.max_open_consultations - self.open_consultations)


async def open_counts(session: AsyncSession, advocate_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open (routed, accepted or responded) consultations per advocate, in every office."""
    if not advocate_ids:
        return {}
    rows = await session.execute(
        sa.select(Consultation.advocate_id, sa.func.count())
        .where(Consultation.advocate_id.in_(advocate_ids), Consultation.status.in_(OPEN_STATUSES))
        .group_by(Consultation.advocate_id))
    return {r[0]: r[1] for r in rows if r[0] is not None}  # the query selects advocate ids only


async def on_duty(session: AsyncSession, office: Office, at: datetime) -> list[OnDuty]:
    """Advocates on site at `at`, by the office's local weekday, time and date; the assignment not ended,
    the agreement between the two agencies in force and the advocate still an active dv_advocate.
    Ordered for routing: fewest open consultations first, then the earliest assignment."""
    local_at = schedule.local(at, office.timezone)
    day = local_at.date()
    A = AdvocateAssignment
    rows = await session.execute(
        sa.select(A, User).join(User, User.id == A.advocate_id).where(
            A.office_id == office.id, A.starts_on <= day, sa.or_(A.ends_on.is_(None), A.ends_on >= day),
            User.agency_id == A.dv_agency_id, access.assignment_in_force_clause(day),
        ))
    present = [a for a, user in rows.all() if access.may_take_consultations(user) and schedule.covers(a, local_at)]
    counts = await open_counts(session, [a.advocate_id for a in present])
    out = [OnDuty(a, counts.get(a.advocate_id, 0), schedule.stretch_end(a, local_at)) for a in present]
    out.sort(key=lambda d: (d.open_consultations, d.assignment.created_at, str(d.assignment.id)))
    return out


async def lock_office(session: AsyncSession, office_id: uuid.UUID) -> Office | None:
    """The office row, locked for the rest of the transaction on PostgreSQL so routings of one office queue
    behind each other (SQLite already runs one writer at a time).

    Lock order: a request takes its office locks before it writes any audit event (the audit chain holds
    its own lock until commit), so two requests never wait on each other in opposite orders."""
    stmt = sa.select(Office).where(Office.id == office_id).with_for_update(key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_offices(session: AsyncSession, office_ids: set[uuid.UUID]) -> None:
    """lock_office for several offices, in one fixed order."""
    for office_id in sorted(office_ids, key=str):
        await lock_office(session, office_id)


async def assign(
    session: AsyncSession, principal: Principal | None, consultation: Consultation, assignment: AdvocateAssignment,
) -> None:
    """Route `consultation` to the advocate of `assignment` (audited; both agencies notified)."""
    previous_agency = consultation.dv_agency_id
    consultation.status = ConsultationStatus.routed.value
    consultation.advocate_id = assignment.advocate_id
    consultation.dv_agency_id = assignment.dv_agency_id
    consultation.assignment_id = assignment.id
    consultation.routed_at = utcnow()
    consultation.accepted_at = None
    consultation.routed_by = principal.user_id if principal else None
    await session.flush()
    await record(session, principal, "consultation.route", "consultation", consultation.id,
                 agency_id=principal.agency_id if principal else consultation.cps_agency_id)
    await emit(session, "consultation.routed", [consultation.cps_agency_id, assignment.dv_agency_id, previous_agency],
               {"consultation_id": str(consultation.id), "office_id": str(consultation.office_id),
                "advocate_id": str(assignment.advocate_id)})


async def route_queued(session: AsyncSession, office_id: uuid.UUID) -> list[Consultation]:
    """Route the office's queued consultations, most urgent and then oldest first, each to the on-duty
    advocate with the fewest open consultations and capacity left (ties: the earliest assignment).
    Stops when nobody on duty has capacity. Deterministic; safe to call from any request or a worker."""
    queued_exists = await session.execute(sa.select(Consultation.id).where(
        Consultation.office_id == office_id, Consultation.status == ConsultationStatus.queued.value).limit(1))
    if queued_exists.first() is None:
        return []
    office = await lock_office(session, office_id)
    if office is None:
        return []
    rank = sa.case(URGENCY_RANK, value=Consultation.urgency, else_=len(URGENCY_RANK))
    queued = (await session.execute(
        sa.select(Consultation).where(Consultation.office_id == office_id,
                                      Consultation.status == ConsultationStatus.queued.value)
        .order_by(rank, Consultation.created_at, Consultation.id)
        .execution_options(populate_existing=True))).scalars().all()
    if not queued:
        return []
    duty = await on_duty(session, office, utcnow())
    routed: list[Consultation] = []
    for consultation in queued:
        free = [d for d in duty if d.capacity_left > 0]
        if not free:
            break
        best = min(free, key=lambda d: (d.open_consultations, d.assignment.created_at, str(d.assignment.id)))
        await assign(session, None, consultation, best.assignment)
        best.open_consultations += 1
        routed.append(consultation)
    return routed


async def route_offices(session: AsyncSession, office_ids: set[uuid.UUID]) -> None:
    """route_queued for several offices: all of them locked first, in a fixed order, then routed."""
    await lock_offices(session, office_ids)
    for office_id in sorted(office_ids, key=str):
        await route_queued(session, office_id)


async def route_all_queued() -> int:
    """One background pass: route the queued consultations of every office that has any, in its own
    transaction. Returns how many were routed. Run by the worker inside `tandem serve` and `tandem deliver`,
    so a consultation reaches an advocate who comes on duty even when nobody reads the office."""
    async with sessionmaker()() as session:
        office_ids = set((await session.execute(
            sa.select(Consultation.office_id).where(Consultation.status == ConsultationStatus.queued.value)
            .distinct())).scalars().all())
        if not office_ids:
            return 0
        await lock_offices(session, office_ids)
        routed = 0
        for office_id in sorted(office_ids, key=str):
            routed += len(await route_queued(session, office_id))
        await session.commit()
        return routed
