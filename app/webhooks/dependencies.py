"""Loader dependencies of the webhooks domain: the endpoint a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.outbox.models import WebhookEndpoint
from app.webhooks import service


async def visible_endpoint(webhook_id: uuid.UUID, session: SessionDep, principal: Caller) -> WebhookEndpoint:
    return await service.get_endpoint(session, principal, webhook_id)


WebhookVisible = Annotated[WebhookEndpoint, Depends(visible_endpoint)]
WebhookForUpdate = Annotated[WebhookEndpoint, Depends(for_update(visible_endpoint))]
