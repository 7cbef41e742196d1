"""HTTP routes of the webhooks domain: an agency's endpoints and their deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresWebhookManage, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.outbox.models import WebhookEndpoint
from app.webhooks import service
from app.webhooks.dependencies import WebhookForUpdate, WebhookVisible
from app.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead

router = APIRouter(prefix="/api/v1", tags=["webhooks"], dependencies=[Depends(current_principal)])


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def create_webhook(
    data: WebhookCreate, session: SessionDep, principal: RequiresWebhookManage, idem: IdempotencyDep,
) -> WebhookCreated:
    # A retried create gets the signing secret again from the endpoint's sealed column (never from the record).
    return await idem.create(principal.ref, lambda: service.create_endpoint(session, principal, data),
                             lambda webhook_id: service.read_created_endpoint(session, principal, webhook_id),
                             lambda made: WebhookCreated(**WebhookRead.model_validate(made[0]).model_dump(),
                                                         secret=made[1]))


@router.get("/webhooks", response_model=Page[WebhookRead])
async def list_webhooks(session: SessionDep, principal: RequiresWebhookManage, page: Annotated[PageParams, Depends()]) -> dict[str, Any]:
    items, cursor = await service.list_endpoints(session, principal, page)
    return page_of(items, cursor, WebhookRead)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
async def get_webhook(principal: RequiresWebhookManage, ep: WebhookVisible, response: Response) -> WebhookEndpoint:
    return tagged(response, ep)


@router.post("/webhooks/{webhook_id}/disable", response_model=WebhookRead)
async def disable_webhook(
    session: SessionDep, principal: RequiresWebhookManage, response: Response, ep: WebhookForUpdate,
) -> WebhookEndpoint:
    return tagged(response, await service.disable_endpoint(session, principal, ep))


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(session: SessionDep, principal: RequiresWebhookManage, ep: WebhookForUpdate) -> Response:
    """Disables the endpoint (its deliveries stay listed for the record)."""
    await service.disable_endpoint(session, principal, ep)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryRead])
async def list_deliveries(
    webhook_id: uuid.UUID, session: SessionDep, principal: RequiresWebhookManage, page: Annotated[PageParams, Depends()],
) -> dict[str, Any]:
    items, cursor = await service.list_deliveries(session, principal, webhook_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/webhooks/deliveries/{delivery_id}/resend", response_model=DeliveryRead)
async def resend_delivery(delivery_id: uuid.UUID, session: SessionDep, principal: RequiresWebhookManage) -> dict[str, Any]:
    return await service.resend_delivery(session, principal, delivery_id)
