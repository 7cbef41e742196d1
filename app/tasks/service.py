"""The task inbox: list the caller's tasks, mark one done or snooze it; open and close tasks for the sources
(app/tasks/sources.py, app/tasks/detect.py).

A task is opened once per source (its `source_key` is unique): detecting the same thing again opens nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.tasks import access
from app.tasks.models import Task
from app.tasks.schemas import InboxTaskKind, InboxTaskStatus, TaskSnooze
from app.trail.recorder import record

SNOOZE_MAX = timedelta(days=90)
# Tasks whose work is done elsewhere, with its own outcome: they close when that work is recorded.
DONE_ELSEWHERE = {InboxTaskKind.mandate_notice.value, InboxTaskKind.release_notice.value}


def effective_status(task: Task, now: datetime | None = None) -> str:
    """open | done | snoozed; a snoozed task is open again once its time has come."""
    if task.status == InboxTaskStatus.snoozed.value and task.snoozed_until is not None:
        return task.status if task.snoozed_until > (now or utcnow()) else InboxTaskStatus.open.value
    return task.status


def _status_clause(status: InboxTaskStatus, now: datetime) -> sa.ColumnElement[bool]:
    snoozed = Task.status == InboxTaskStatus.snoozed.value
    if status is InboxTaskStatus.open:
        return sa.or_(Task.status == InboxTaskStatus.open.value, sa.and_(snoozed, Task.snoozed_until <= now))
    if status is InboxTaskStatus.snoozed:
        return sa.and_(snoozed, Task.snoozed_until > now)
    return Task.status == InboxTaskStatus.done.value


def _action(task: Task) -> str | None:
    if task.kind == InboxTaskKind.consent_expiring.value:
        return f"/api/v1/consents/{task.subject_id}/renew"
    if task.kind in DONE_ELSEWHERE:
        return f"/api/v1/notification-tasks/{task.subject_id}/complete"
    if task.kind in (InboxTaskKind.referral_overdue.value, InboxTaskKind.referral_escalated.value):
        return f"/api/v1/referrals/{task.subject_id}"
    if task.kind == InboxTaskKind.consultation_routed.value:
        return f"/api/v1/consultations/{task.subject_id}/accept"
    if task.kind == InboxTaskKind.juncture_scheduled.value and task.case_id is not None:
        return f"/api/v1/cases/{task.case_id}/checklists"
    return None


def task_read(task: Task) -> dict[str, Any]:
    out = {k: getattr(task, k) for k in (
        "id", "agency_id", "kind", "priority", "subject_type", "subject_id", "case_id", "assignee_user_id",
        "assignee_role", "assignee_case_id", "due_at", "snoozed_until", "done_at", "done_by", "created_at",
        "updated_at")}
    out["status"] = effective_status(task)
    out["action"] = _action(task)
    return out


async def list_tasks(
    session: AsyncSession, principal: Principal, page: PageParams, status: InboxTaskStatus | None = None,
) -> tuple[list[Task], str | None]:
    """The caller's tasks (its own, its role group's, its case teams'), newest first."""
    stmt = sa.select(Task).where(access.task_visible_clause(principal))
    if status is not None:
        stmt = stmt.where(_status_clause(status, utcnow()))
    return await paginate(session, stmt, Task, page)


async def get_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> Task:
    task = (await session.execute(sa.select(Task).where(
        Task.id == task_id, access.task_visible_clause(principal)))).scalar_one_or_none()
    if task is None:
        raise NotFound("task")
    return task


async def mark_done(session: AsyncSession, principal: Principal, task: Task) -> Task:
    """409 for a task already done, and for one whose work is recorded elsewhere with its own outcome (a
    survivor to warn: complete its notification task, which closes this one)."""
    if task.status == InboxTaskStatus.done.value:
        raise Conflict("This task is already done.")
    if task.kind in DONE_ELSEWHERE:
        raise Conflict(f"Complete it with its outcome at {_action(task)}; that closes this task.",
                       title="Done elsewhere")
    now = utcnow()
    task.status = InboxTaskStatus.done.value
    task.done_at, task.done_by, task.updated_at = now, principal.ref, now
    task.snoozed_until = None
    await session.flush()
    await record(session, principal, "task.done", "task", task.id, agency_id=task.agency_id)
    return task


async def snooze(session: AsyncSession, principal: Principal, task: Task, data: TaskSnooze) -> Task:
    """Put a task aside until `until` (in the future, at most 90 days ahead); it is open again from then."""
    now = utcnow()
    if data.until <= now or data.until - now > SNOOZE_MAX:
        raise Invalid("Snooze until a time in the future, at most 90 days ahead.", loc=["body", "until"],
                      type="snooze_out_of_range")
    if task.status == InboxTaskStatus.done.value:
        raise Conflict("This task is already done.")
    task.status = InboxTaskStatus.snoozed.value
    task.snoozed_until, task.updated_at = data.until, now
    await session.flush()
    await record(session, principal, "task.snooze", "task", task.id, agency_id=task.agency_id)
    return task


# ------------------------------------------------------------------ for the sources


async def open_task(
    session: AsyncSession, *, source_key: str, agency_id: uuid.UUID, kind: InboxTaskKind, subject_type: str,
    subject_id: uuid.UUID, case_id: uuid.UUID | None = None, assignee_user_id: uuid.UUID | None = None,
    assignee_role: str | None = None, assignee_case_id: uuid.UUID | None = None, due_at: datetime | None = None,
    priority: str = "normal",
) -> Task | None:
    """Open the task of `source_key` unless it was opened before (then None: nothing new). Audited as the
    service's own act."""
    found = await session.execute(sa.select(Task.id).where(Task.source_key == source_key).limit(1))
    if found.first() is not None:
        return None
    task = Task(source_key=source_key, agency_id=agency_id, kind=kind.value, subject_type=subject_type,
                subject_id=subject_id, case_id=case_id, assignee_user_id=assignee_user_id,
                assignee_role=assignee_role, assignee_case_id=assignee_case_id, due_at=due_at, priority=priority)
    session.add(task)
    await session.flush()
    await record(session, None, "task.open", "task", task.id, agency_id=agency_id)
    return task


async def close_tasks_about(
    session: AsyncSession, subject_id: uuid.UUID, kinds: set[str], *, except_user: uuid.UUID | None = None
) -> int:
    """Close the open (or snoozed) tasks about a subject once the work they asked for is done (the referral
    answered, the survivor warned, the consultation taken): done by the service itself."""
    stmt = sa.select(Task).where(Task.subject_id == subject_id, Task.kind.in_(sorted(kinds)),
                                 Task.status != InboxTaskStatus.done.value)
    if except_user is not None:
        stmt = stmt.where(sa.or_(Task.assignee_user_id.is_(None), Task.assignee_user_id != except_user))
    now = utcnow()
    tasks = list((await session.execute(stmt)).scalars())
    for task in tasks:
        task.status = InboxTaskStatus.done.value
        task.done_at, task.done_by, task.updated_at, task.snoozed_until = now, "system", now, None
        await session.flush()
        await record(session, None, "task.close", "task", task.id, agency_id=task.agency_id)
    return len(tasks)
