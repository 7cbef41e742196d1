"""Rules for webhook endpoints (own agency only) and their deliveries."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.crypto import decrypt, encrypt
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.outbox.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, endpoint_secret_aad
from app.trail.recorder import record
from app.webhooks import access
from app.webhooks.schemas import WebhookCreate
from app.webhooks.signing import new_secret

OPEN_STATUSES = ("pending", "in_flight")


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """The plaintext signing secret of an endpoint."""
    return decrypt(endpoint.secret, endpoint_secret_aad(endpoint.id)).decode()


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: WebhookCreate
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the caller's agency; returns it with its secret (shown once)."""
    agency_id = access.ensure_endpoint_owner(principal)
    secret = new_secret()
    ep = WebhookEndpoint(agency_id=agency_id, url=data.url, events=data.events,
                         description=data.description, secret="")
    ep.secret = encrypt(secret.encode(), endpoint_secret_aad(ep.id), owner=ep.agency_id)
    session.add(ep)
    await session.flush()
    await record(session, principal, "webhook.create", "webhook_endpoint", ep.id)
    return ep, secret


async def list_endpoints(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[WebhookEndpoint], str | None]:
    stmt = sa.select(WebhookEndpoint).where(access.webhook_endpoint_visible_clause(principal))
    return await paginate(session, stmt, WebhookEndpoint, page)


async def get_endpoint(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    ep = (await session.execute(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, access.webhook_endpoint_visible_clause(principal)))).scalar_one_or_none()
    if ep is None:
        raise NotFound("webhook endpoint")
    return ep


async def read_created_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    """An endpoint with its signing secret, for a retried create (the secret comes from the sealed column)."""
    ep = await get_endpoint(session, principal, endpoint_id)
    return ep, endpoint_secret(ep)


async def disable_endpoint(session: AsyncSession, principal: Principal, ep: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to the endpoint; its undelivered deliveries are marked failed. Disabling twice is a no-op."""
    if not ep.active:
        return ep
    now = utcnow()
    ep.active = False
    ep.disabled_at = now
    await session.flush()
    await session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == ep.id, WebhookDelivery.status.in_(OPEN_STATUSES))
        .values(status="failed", last_error="endpoint_disabled")
    )
    await record(session, principal, "webhook.disable", "webhook_endpoint", ep.id)
    return ep


def delivery_read(d: WebhookDelivery, event_type: str) -> dict[str, Any]:
    return {
        "id": d.id, "endpoint_id": d.endpoint_id, "event_id": d.event_id, "event_type": event_type,
        "status": d.status, "attempts": d.attempts, "last_status_code": d.last_status_code,
        "last_error": d.last_error, "created_at": d.created_at, "last_attempt_at": d.last_attempt_at,
        "next_attempt_at": d.next_attempt_at if d.status in OPEN_STATUSES else None,
        "delivered_at": d.delivered_at,
    }


async def _event_types(session: AsyncSession, event_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not event_ids:
        return {}
    rows = await session.execute(sa.select(WebhookEvent.id, WebhookEvent.type).where(WebhookEvent.id.in_(event_ids)))
    return {r[0]: r[1] for r in rows}


async def list_deliveries(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, page: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """The endpoint's deliveries, newest first."""
    ep = await get_endpoint(session, principal, endpoint_id)
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep.id)
    items, cursor = await paginate(session, stmt, WebhookDelivery, page)
    types = await _event_types(session, {d.event_id for d in items})
    return [delivery_read(d, types.get(d.event_id, "")) for d in items], cursor


async def resend_delivery(session: AsyncSession, principal: Principal, delivery_id: uuid.UUID) -> dict[str, Any]:
    """Queue a failed delivery again, with a fresh set of attempts (409 unless it failed)."""
    row = (await session.execute(
        sa.select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id, access.webhook_endpoint_visible_clause(principal))
    )).first()
    if row is None:
        raise NotFound("webhook delivery")
    delivery, ep = row
    if delivery.status != "failed":
        raise Conflict(f"Only a failed delivery can be re-sent; this one is {delivery.status}.")
    if not ep.active:
        raise Conflict("The endpoint is disabled; register a new endpoint to receive events again.")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    await session.flush()
    await record(session, principal, "webhook.delivery_resend", "webhook_delivery", delivery.id)
    types = await _event_types(session, {delivery.event_id})
    return delivery_read(delivery, types.get(delivery.event_id, ""))
