"""HTTP routes of the task inbox: the caller's tasks, done, snooze."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.auth.dependencies import RequiresTaskWork, current_principal
from app.core.db import SessionDep
from app.core.http import tagged
from app.core.pagination import Page, PageParams
from app.tasks import service
from app.tasks.dependencies import InboxTaskForUpdate, InboxTaskVisible
from app.tasks.schemas import InboxTaskRead, InboxTaskStatus, TaskSnooze

router = APIRouter(prefix="/api/v1", tags=["tasks"], dependencies=[Depends(current_principal)])


@router.get("/tasks", response_model=Page[InboxTaskRead],
            description="Your tasks: addressed to you, to a role you hold in your agency (its supervisors) or to "
                        "the team of a case you are on; newest first. Ids, kinds and times only. `status`: open "
                        "(a snoozed task whose time has come is open again), done, snoozed; none: all.")
async def list_tasks(
    session: SessionDep, page: Annotated[PageParams, Depends()], principal: RequiresTaskWork,
    status: InboxTaskStatus | None = None,
) -> dict[str, Any]:
    items, cursor = await service.list_tasks(session, principal, page, status)
    return {"items": [service.task_read(t) for t in items], "next_cursor": cursor}


@router.get("/tasks/{task_id}", response_model=InboxTaskRead)
async def get_task(principal: RequiresTaskWork, task: InboxTaskVisible, response: Response) -> dict[str, Any]:
    return tagged(response, task, service.task_read(task))


@router.post("/tasks/{task_id}/done", response_model=InboxTaskRead,
             description="Mark a task done (409 when it is already done, or when its work is recorded elsewhere "
                         "with an outcome: a survivor to warn is completed at its `action`, which closes it).")
async def mark_task_done(
    session: SessionDep, response: Response, principal: RequiresTaskWork, task: InboxTaskForUpdate,
) -> dict[str, Any]:
    task = await service.mark_done(session, principal, task)
    return tagged(response, task, service.task_read(task))


@router.post("/tasks/{task_id}/snooze", response_model=InboxTaskRead,
             description="Put a task aside until `until`; it is open again from then.")
async def snooze_task(
    data: TaskSnooze, session: SessionDep, response: Response, principal: RequiresTaskWork,
    task: InboxTaskForUpdate,
) -> dict[str, Any]:
    task = await service.snooze(session, principal, task, data)
    return tagged(response, task, service.task_read(task))
