"""Loader dependency of a child's details: found through the caller's visibility of the child's case (404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.children import service
from app.children.models import ChildDetails
from app.core.db import SessionDep


async def visible_details(person_id: uuid.UUID, session: SessionDep, principal: Caller) -> ChildDetails:
    return await service.get_details(session, principal, person_id)


ChildDetailsVisible = Annotated[ChildDetails, Depends(visible_details)]
