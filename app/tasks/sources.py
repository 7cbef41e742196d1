"""Where tasks come from when something happens: the task inbox listens to the events the domains emit
(app.outbox.events.register_listener), in the same transaction, so the domains below never know it.

- `juncture.scheduled`: a task for each DV advocate linked to the case (who accepted a referral about it);
- `consultation.routed`: a task for the advocate it was routed to (closed when it is accepted, re-routed or
  closed);
- `notification_task.opened`: a task for the owning agency's worker on the case (the assigned worker, else
  the case team) to warn the survivor; closed when the notification task is completed with its outcome;
- a referral answered (accepted, declined, withdrawn, closed) closes its overdue tasks; a revoked consent
  closes its renewal task.

Overdue referrals and expiring consents are found on time by the background worker (app/tasks/detect.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates.models import Consultation
from app.cases.models import Case
from app.checklists.models import JunctureRecord
from app.consent.models import NotificationTask
from app.outbox.events import register_listener
from app.referrals import access as referrals_access
from app.tasks.schemas import InboxTaskKind, TaskSubject
from app.tasks.service import close_tasks_about, open_task


def _id(data: dict[str, str], key: str) -> uuid.UUID:
    return uuid.UUID(data[key])


async def worker_on_case(session: AsyncSession, case_id: uuid.UUID) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """Whom a task about a case is for at the agency that owns it, as (user, case team): its assigned worker,
    else its team."""
    case = await session.get(Case, case_id)
    if case is not None and case.assigned_worker_id is not None:
        return case.assigned_worker_id, None
    return None, case_id


async def on_juncture_scheduled(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    rec = await session.get(JunctureRecord, _id(data, "juncture_id"))
    if rec is None:
        return
    for user_id, agency_id in await referrals_access.linked_advocates(session, rec.case_id):
        await open_task(session, source_key=f"juncture_scheduled:{rec.id}:{user_id}", agency_id=agency_id,
                        kind=InboxTaskKind.juncture_scheduled, subject_type=TaskSubject.juncture.value,
                        subject_id=rec.id, case_id=rec.case_id, assignee_user_id=user_id, due_at=rec.scheduled_for)


async def on_consultation_routed(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    c = await session.get(Consultation, _id(data, "consultation_id"))
    if c is None or c.advocate_id is None or c.dv_agency_id is None:
        return
    kinds = {InboxTaskKind.consultation_routed.value}
    await close_tasks_about(session, c.id, kinds, except_user=c.advocate_id)  # routed elsewhere before
    routed_at = c.routed_at.isoformat() if c.routed_at else ""
    await open_task(session, source_key=f"consultation_routed:{c.id}:{c.advocate_id}:{routed_at}",
                    agency_id=c.dv_agency_id, kind=InboxTaskKind.consultation_routed,
                    subject_type=TaskSubject.consultation.value, subject_id=c.id, case_id=c.case_id,
                    assignee_user_id=c.advocate_id)


async def on_consultation_taken(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    await close_tasks_about(session, _id(data, "consultation_id"), {InboxTaskKind.consultation_routed.value})


async def on_notification_task_opened(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    nt = await session.get(NotificationTask, _id(data, "notification_task_id"))
    if nt is None:
        return
    user_id, team_case_id = await worker_on_case(session, nt.case_id)
    await open_task(session, source_key=f"notification_task:{nt.id}", agency_id=nt.agency_id,
                    kind=InboxTaskKind(nt.kind), subject_type=TaskSubject.notification_task.value,
                    subject_id=nt.id, case_id=nt.case_id, assignee_user_id=user_id, assignee_case_id=team_case_id)


async def on_notification_task_completed(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    await close_tasks_about(session, _id(data, "notification_task_id"),
                            {InboxTaskKind.mandate_notice.value, InboxTaskKind.release_notice.value})


async def on_referral_answered(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    await close_tasks_about(session, _id(data, "referral_id"),
                            {InboxTaskKind.referral_overdue.value, InboxTaskKind.referral_escalated.value})


async def on_consent_revoked(session: AsyncSession, event_type: str, data: dict[str, str]) -> None:
    await close_tasks_about(session, _id(data, "consent_id"), {InboxTaskKind.consent_expiring.value})


def register() -> None:
    """Listen to the events that open and close tasks (idempotent: listeners are registered by name)."""
    register_listener("juncture.scheduled", "tasks", on_juncture_scheduled)
    register_listener("consultation.routed", "tasks", on_consultation_routed)
    for event in ("consultation.accepted", "consultation.closed"):
        register_listener(event, "tasks", on_consultation_taken)
    register_listener("notification_task.opened", "tasks", on_notification_task_opened)
    register_listener("notification_task.completed", "tasks", on_notification_task_completed)
    for event in ("referral.accepted", "referral.declined", "referral.withdrawn", "referral.closed"):
        register_listener(event, "tasks", on_referral_answered)
    register_listener("consent.revoked", "tasks", on_consent_revoked)
