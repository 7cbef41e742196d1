"""Loader dependencies of the keys domain: a key change found through the caller's visibility (404 otherwise)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.keys import service
from app.keys.models import KeyChange


async def visible_key_change(change_id: uuid.UUID, session: SessionDep, principal: Caller) -> KeyChange:
    return await service.get_change(session, principal, change_id)


KeyChangeVisible = Annotated[KeyChange, Depends(visible_key_change)]
