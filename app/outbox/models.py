"""Webhook endpoints and the transactional outbox of events and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class WebhookEndpoint(Versioned, table=True):
    __tablename__ = "webhook_endpoints"

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    url: str = Field(max_length=2000)
    events: list[str] = json_field()  # patterns such as "referral.*" or "consent.revoked"
    # The signing secret ("whsec_" + base64), sealed with AES-GCM; shown to the caller once, on create.
    secret: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=500)
    active: bool = True
    created_at: datetime = created_field()
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def endpoint_secret_aad(endpoint_id: object) -> bytes:
    """Binds a sealed signing secret to its endpoint row."""
    return f"webhook_endpoint:{endpoint_id}:secret".encode()


register_sealed(WebhookEndpoint, "secret", lambda row: endpoint_secret_aad(row.id))


class WebhookEvent(SQLModel, table=True):
    """One domain event for one agency, written in the same transaction as the change (the outbox)."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.Index("ix_webhook_events_subject", "agency_id", "subject", "subject_seq"),)

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(index=True)
    type: str = Field(max_length=60)
    data: dict = json_field(dict)  # ids and timestamps only, never personal data
    created_at: datetime = created_field()
    # What the event is about ("referral:<id>") and its place among that subject's events for this agency
    # (1, 2, ...): deliveries of one subject to an endpoint go out in this order (delivery.claim_due).
    subject: str | None = Field(default=None, max_length=100)
    subject_seq: int | None = None


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint.

    status: pending (due at next_attempt_at) | in_flight (claimed by a worker; next_attempt_at is the end of
    its lease, after which it is due again) | delivered | failed. `attempts` counts claims and fences a
    worker's result against a newer claim of the same delivery.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: uuid.UUID = id_field()
    event_id: uuid.UUID = Field(foreign_key="webhook_events.id", index=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoints.id", index=True)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_field()
