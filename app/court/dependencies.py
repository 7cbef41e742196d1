"""Loader dependencies of court events: the event a route names, found through the caller's visibility (404
otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.court import service
from app.court.models import CourtEvent


async def visible_event(event_id: uuid.UUID, session: SessionDep, principal: Caller) -> CourtEvent:
    return await service.get_event(session, principal, event_id)


CourtEventVisible = Annotated[CourtEvent, Depends(visible_event)]
CourtEventForUpdate = Annotated[CourtEvent, Depends(for_update(visible_event))]
