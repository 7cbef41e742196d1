"""Loader dependencies of the checklists domain: the checklist a route names with how the caller may use it,
found through the caller's visibility (404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import Caller
from app.checklists import service
from app.checklists.access import ChecklistAccess
from app.checklists.models import Checklist
from app.core.db import SessionDep
from app.core.http import IfMatch, check_if_match


async def visible_checklist(checklist_id: uuid.UUID, session: SessionDep, principal: Caller) -> tuple[Checklist, ChecklistAccess]:
    """The checklist and the caller's access to it (staff or advocate)."""
    return await service.get_checklist(session, principal, checklist_id)


async def checklist_for_update(
    loaded: Annotated[tuple[Checklist, ChecklistAccess], Depends(visible_checklist)], if_match: str | None = IfMatch,
) -> tuple[Checklist, ChecklistAccess]:
    check_if_match(if_match, loaded[0])
    return loaded


async def item_key(key: Annotated[str, Path(max_length=64)]) -> str:
    """An item's key in the path (a dependency, so it is listed after the checklist it belongs to)."""
    return key


ChecklistVisible = Annotated[tuple[Checklist, ChecklistAccess], Depends(visible_checklist)]
ChecklistForUpdate = Annotated[tuple[Checklist, ChecklistAccess], Depends(checklist_for_update)]
ItemKey = Annotated[str, Depends(item_key)]
