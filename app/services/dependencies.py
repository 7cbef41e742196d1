"""Loader dependencies of the services domain: the service a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.services import service
from app.services.models import Service


async def visible_service(service_id: uuid.UUID, session: SessionDep, principal: Caller) -> Service:
    return await service.get_service(session, principal, service_id)


ServiceVisible = Annotated[Service, Depends(visible_service)]
ServiceForUpdate = Annotated[Service, Depends(for_update(visible_service))]
