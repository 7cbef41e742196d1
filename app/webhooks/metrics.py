"""Webhook outbox gauges for /metrics, read from the database at scrape time (every replica answers the
same): the queue, its oldest pending delivery, and deliveries by status. Counts only."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.metrics import Family
from app.outbox.models import WebhookDelivery

STATUSES = ("pending", "in_flight", "delivered", "failed")


async def outbox_families(session: AsyncSession) -> list[Family]:
    by_status = dict((await session.execute(
        sa.select(WebhookDelivery.status, sa.func.count()).group_by(WebhookDelivery.status))).tuples().all())
    oldest = (await session.execute(
        sa.select(sa.func.min(WebhookDelivery.created_at))
        .where(WebhookDelivery.status.in_(("pending", "in_flight"))))).scalar_one_or_none()
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return [
        Family("tandem_webhook_queue_depth", "Webhook deliveries waiting to be sent (pending or in flight).",
               "gauge", [({}, by_status.get("pending", 0) + by_status.get("in_flight", 0))]),
        Family("tandem_webhook_oldest_pending_age_seconds", "Age of the oldest delivery not yet sent (0 when "
               "none waits).", "gauge", [({}, round(age, 3))]),
        Family("tandem_webhook_deliveries", "Webhook deliveries by status (delivered and failed are outcomes; "
               "they only grow).", "gauge", [({"status": s}, by_status.get(s, 0)) for s in STATUSES]),
    ]
