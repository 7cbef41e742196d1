"""Loader dependencies of the task inbox: the task a route names, among the caller's own (404 otherwise); the
ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.tasks import service
from app.tasks.models import Task


async def visible_task(task_id: uuid.UUID, session: SessionDep, principal: Caller) -> Task:
    return await service.get_task(session, principal, task_id)


InboxTaskVisible = Annotated[Task, Depends(visible_task)]
InboxTaskForUpdate = Annotated[Task, Depends(for_update(visible_task))]
