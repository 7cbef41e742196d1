"""Webhook delivery: claim due deliveries from the outbox, sign and send them, record the outcome. The loop
that runs it in the background (with the other jobs) is app/worker.py.

Each pass: (1) a short transaction claims up to `batch_size` due deliveries (PostgreSQL: FOR UPDATE SKIP
LOCKED, so concurrent workers never claim the same row; SQLite: writers are serialised) and marks them
in_flight with a lease (next_attempt_at = end of lease) and attempts + 1; (2) sends them with httpx outside
any transaction, through a transport that refuses internal addresses and connects to the address it checked
(egress.py); (3) a short transaction per delivery records the result, fenced on (status, attempts) so a
worker whose lease ran out cannot overwrite a newer claim. A worker that dies after (1) loses nothing: when
the lease ends the delivery is due again. Receivers deduplicate on webhook-id (the event id).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import aliased

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import DecryptionError, decrypt
from app.core.db import sessionmaker
from app.core.errors import KeyUnavailable
from app.core.keyring import ensure_loaded
from app.core.metrics import metrics
from app.outbox.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, endpoint_secret_aad
from app.trail.recorder import record
from app.webhooks.egress import AddressNotAllowed, check_url, delivery_client, error_class
from app.webhooks.signing import sign

log = logging.getLogger("tandem.webhooks")
# httpx logs every request URL at INFO; endpoint URLs may carry a receiver's access token.
logging.getLogger("httpx").setLevel(logging.WARNING)

LEASE_GRACE_SECONDS = 30.0  # a claim's lease is the send timeout plus this
MAX_BACKOFF_SECONDS = 6 * 3600.0
DEFAULT_BATCH = 20
MAX_CONCURRENT_SENDS = 10


@dataclass(frozen=True)
class Claim:
    delivery_id: uuid.UUID
    attempts: int
    agency_id: uuid.UUID
    url: str
    secret_sealed: str
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    event_data: dict[str, Any]
    event_created_at: datetime


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def lease_seconds() -> float:
    return get_settings().webhook_timeout_seconds + LEASE_GRACE_SECONDS


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempts-1))]."""
    base = get_settings().webhook_backoff_base_seconds
    return random.uniform(0, min(MAX_BACKOFF_SECONDS, base * 2 ** max(attempts - 1, 0)))


def payload(claim: Claim) -> bytes:
    """The body sent: {"type","timestamp","data"}; data holds ids and timestamps only."""
    ts = claim.event_created_at.isoformat().replace("+00:00", "Z")
    return json.dumps({"type": claim.event_type, "timestamp": ts, "data": claim.event_data},
                      separators=(",", ":"), sort_keys=True).encode()


async def claim_due(batch_size: int = DEFAULT_BATCH) -> list[Claim]:
    """Claim up to `batch_size` due deliveries of active endpoints in one short transaction.

    Per subject in order: a delivery waits while the same endpoint still has an earlier event of the same
    subject (`referral:<id>`) pending or in flight, so `referral.sent` never overtakes `referral.created`, and
    a delivery being retried holds back its subject's later events (a delivered or failed one does not)."""
    now = utcnow()
    async with sessionmaker()() as session:
        active = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active)
        earlier_d = aliased(WebhookDelivery)
        earlier_e = aliased(WebhookEvent)
        waits = (
            sa.select(earlier_d.id)
            .join(earlier_e, earlier_e.id == earlier_d.event_id)
            .where(earlier_d.endpoint_id == WebhookDelivery.endpoint_id,
                   earlier_d.status.in_(("pending", "in_flight")),
                   earlier_e.subject == WebhookEvent.subject,
                   earlier_e.subject_seq < WebhookEvent.subject_seq)
        )
        ids = (await session.execute(
            sa.select(WebhookDelivery.id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.status.in_(("pending", "in_flight")), WebhookDelivery.next_attempt_at <= now,
                   WebhookDelivery.endpoint_id.in_(active), ~sa.exists(waits))
            .order_by(WebhookDelivery.next_attempt_at, WebhookEvent.subject_seq, WebhookDelivery.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )).scalars().all()
        if not ids:
            await session.rollback()
            return []
        await session.execute(
            sa.update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
            .values(status="in_flight", attempts=WebhookDelivery.attempts + 1, last_attempt_at=now,
                    next_attempt_at=now + timedelta(seconds=lease_seconds()))
            .execution_options(synchronize_session=False)
        )
        rows = (await session.execute(
            sa.select(WebhookDelivery.id, WebhookDelivery.attempts, WebhookEndpoint.agency_id, WebhookEndpoint.url,
                      WebhookEndpoint.secret, WebhookEndpoint.id, WebhookEvent.id, WebhookEvent.type,
                      WebhookEvent.data, WebhookEvent.created_at)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(ids))
        )).all()
        await session.commit()
    return [Claim(*r) for r in rows]


async def send(client: httpx.AsyncClient, claim: Claim) -> Outcome:
    """POST one signed delivery; the receiver's response body is never read.

    The outcome's error is a class: address_not_allowed (refused before connecting, see egress.py),
    timeout, connection_failed, tls_error, http_<status>, secret_unavailable."""
    try:
        secret = decrypt(claim.secret_sealed, endpoint_secret_aad(claim.endpoint_id)).decode()
    except (DecryptionError, KeyUnavailable):  # damaged, or the agency's key is unreachable or destroyed
        return Outcome(None, "secret_unavailable")
    try:  # endpoints stored before registration checked URLs as it does now get the same check
        check_url(claim.url, allow_private=get_settings().webhook_allow_private_urls)
    except ValueError:
        return Outcome(None, "address_not_allowed")
    body = payload(claim)
    timestamp = int(utcnow().timestamp())
    msg_id = str(claim.event_id)
    headers = {
        "content-type": "application/json",
        "user-agent": "Tandem-Webhooks/1.0",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    try:
        async with client.stream("POST", claim.url, content=body, headers=headers) as resp:
            code = resp.status_code
    except (AddressNotAllowed, httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as e:
        # A coarse class only: an exception's message would tell a receiver's closed ports from open ones.
        return Outcome(None, error_class(e))
    return Outcome(code, None if 200 <= code < 300 else f"http_{code}")


async def finish(claim: Claim, outcome: Outcome) -> str | None:
    """Record the result of one attempt; returns the new status, or None when the claim was superseded."""
    now = utcnow()
    values: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    status: str
    if outcome.ok:
        status = "delivered"
        values.update(delivered_at=now, last_error=None)
    elif claim.attempts >= get_settings().webhook_max_attempts:
        status = "failed"
    else:
        status = "pending"
        values.update(next_attempt_at=now + timedelta(seconds=backoff_seconds(claim.attempts)))
    values["status"] = status
    async with sessionmaker()() as session:
        res = cast(CursorResult[Any], await session.execute(  # an UPDATE answers with a cursor result
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.status == "in_flight",
                   WebhookDelivery.attempts == claim.attempts)
            .values(**values)
            .execution_options(synchronize_session=False)
        ))
        if res.rowcount != 1:
            await session.rollback()
            return None
        if status in ("delivered", "failed"):
            action = "webhook.delivered" if outcome.ok else "webhook.delivery_failed"
            await record(session, None, action, "webhook_delivery", claim.delivery_id,
                         outcome="success" if outcome.ok else "failed", agency_id=claim.agency_id)
        await session.commit()
    metrics.delivery_attempted("retry" if status == "pending" else status)
    log.info("webhook delivery attempt", extra={
        "delivery_id": str(claim.delivery_id), "attempt": claim.attempts, "status": status,
        "status_code": outcome.status_code, "error_class": outcome.error})
    return status


async def run_once(batch_size: int = DEFAULT_BATCH, client: httpx.AsyncClient | None = None) -> int:
    """One pass: claim, send, record. Returns how many deliveries were attempted."""
    claims = await claim_due(batch_size)
    if not claims:
        return 0
    await ensure_loaded()  # the agencies' keys that open the endpoints' secrets (no query once loaded)
    own_client = client is None
    if client is None:
        client = delivery_client()
    sem = asyncio.Semaphore(MAX_CONCURRENT_SENDS)

    async def one(c: Claim) -> None:
        async with sem:
            outcome = await send(client, c)
        await finish(c, outcome)

    try:
        await asyncio.gather(*(one(c) for c in claims))
    finally:
        if own_client:
            await client.aclose()
    return len(claims)


async def run_until_idle(batch_size: int = DEFAULT_BATCH, client: httpx.AsyncClient | None = None) -> int:
    """Passes until nothing is due; returns the total attempted."""
    total = 0
    while n := await run_once(batch_size, client):
        total += n
    return total
