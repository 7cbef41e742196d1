"""What the background worker finds on time: referrals gone overdue (and still unanswered after the
escalation interval) and consents about to expire. Each is found once: a second pass opens nothing new
(a task's `source_key` names what opened it), and each finding is also a webhook event with ids only.

Each job runs in a transaction of its own and, on PostgreSQL, under a transaction-scoped advisory lock, so
two workers (two replicas) never open the same task twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.identity.models import Agency
from app.outbox.events import emit
from app.referrals.lifecycle import AWAITING_ANSWER
from app.referrals.models import Referral
from app.tasks import access
from app.tasks.models import Task
from app.tasks.schemas import InboxTaskKind, TaskPriority, TaskSubject
from app.tasks.service import open_task
from app.tasks.sources import worker_on_case

_LOCK_KEY = 7_234_014  # pg advisory lock serialising detection passes across workers
# At most this many subjects of each kind per pass: a backlog (an import, a worker down for a day) is worked
# through in short transactions of bounded size, one after another, not in one that holds the detection lock,
# every row and the process's CPU until all of it is done.
DETECT_BATCH = 200


def _without_task(kind: InboxTaskKind, subject: sa.SQLColumnExpression[uuid.UUID]) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(Task.subject_id == subject, Task.kind == kind.value)


async def _lock(session: AsyncSession) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


async def open_overdue_tasks(session: AsyncSession, now: datetime, limit: int = DETECT_BATCH) -> int:
    """A task for the receiving agency's supervisors for each referral past `respond_by` and unanswered, and
    a second one of high priority once it is still unanswered `referral_escalation_hours` later; each with
    `referral.overdue` to both agencies."""
    escalate_after = timedelta(hours=get_settings().referral_escalation_hours)
    opened = 0
    for kind, since, priority in (
        (InboxTaskKind.referral_overdue, now, TaskPriority.normal),
        (InboxTaskKind.referral_escalated, now - escalate_after, TaskPriority.high),
    ):
        rows = (await session.execute(
            sa.select(Referral, Agency.kind).join(Agency, Agency.id == Referral.to_agency_id).where(
                Referral.status.in_(AWAITING_ANSWER), Referral.respond_by.is_not(None), Referral.respond_by < since,
                _without_task(kind, Referral.id))
            .order_by(Referral.respond_by, Referral.id).limit(limit))).all()
        for referral, agency_kind in rows:
            assert referral.respond_by is not None  # the query selects referrals with a deadline only
            escalated = kind is InboxTaskKind.referral_escalated
            task = await open_task(
                session, source_key=f"{kind.value}:{referral.id}", agency_id=referral.to_agency_id, kind=kind,
                subject_type=TaskSubject.referral.value, subject_id=referral.id, case_id=referral.case_id,
                assignee_role=access.supervisors_of(agency_kind), priority=priority.value,
                due_at=referral.respond_by + escalate_after if escalated else referral.respond_by)
            if task is None:
                continue
            opened += 1
            data = {"referral_id": str(referral.id), "status": referral.status,
                    "due_at": referral.respond_by.isoformat(), "task_id": str(task.id)}
            if escalated:
                data["escalated_at"] = now.isoformat()
            await emit(session, "referral.overdue", [referral.to_agency_id, referral.from_agency_id], data)
    return opened


async def open_expiry_tasks(session: AsyncSession, now: datetime, limit: int = DETECT_BATCH) -> int:
    """A renewal task for the owning agency's worker on the case (the assigned worker, else the case team)
    for each consent in force that expires within `consent_expiry_warning_days`, unless a later consent of
    the same person to the same agency, not revoked, already runs past it; each with `consent.expiring` to
    both agencies."""
    horizon = now + timedelta(days=get_settings().consent_expiry_warning_days)
    later = aliased(Consent)
    renewed = sa.exists().where(later.person_id == Consent.person_id,
                                later.recipient_agency_id == Consent.recipient_agency_id,
                                later.revoked_at.is_(None), later.expires_at > Consent.expires_at)
    consents = (await session.execute(
        sa.select(Consent).where(Consent.revoked_at.is_(None), Consent.valid_from <= now, Consent.expires_at > now,
                                 Consent.expires_at <= horizon, ~renewed,
                                 _without_task(InboxTaskKind.consent_expiring, Consent.id))
        .order_by(Consent.expires_at, Consent.id).limit(limit))).scalars().all()
    opened = 0
    for consent in consents:
        user_id, team_case_id = await worker_on_case(session, consent.case_id)
        task = await open_task(
            session, source_key=f"consent_expiring:{consent.id}", agency_id=consent.agency_id,
            kind=InboxTaskKind.consent_expiring, subject_type=TaskSubject.consent.value, subject_id=consent.id,
            case_id=consent.case_id, due_at=consent.expires_at, assignee_user_id=user_id,
            assignee_case_id=team_case_id)
        if task is None:
            continue
        opened += 1
        await emit(session, "consent.expiring", [consent.agency_id, consent.recipient_agency_id],
                   {"consent_id": str(consent.id), "case_id": str(consent.case_id),
                    "expires_at": consent.expires_at.isoformat(), "task_id": str(task.id)})
    return opened


async def detect_overdue_referrals(limit: int = DETECT_BATCH) -> int:
    """One background pass of open_overdue_tasks (at most `limit` referrals of each kind), in its own
    transaction; returns how many tasks it opened."""
    async with sessionmaker()() as session:
        await _lock(session)
        opened = await open_overdue_tasks(session, utcnow(), limit)
        await session.commit()
        return opened


async def detect_expiring_consents(limit: int = DETECT_BATCH) -> int:
    """One background pass of open_expiry_tasks (at most `limit` consents), in its own transaction; returns
    how many tasks it opened."""
    async with sessionmaker()() as session:
        await _lock(session)
        opened = await open_expiry_tasks(session, utcnow(), limit)
        await session.commit()
        return opened
