"""Emit a domain event into the outbox, in the caller's transaction."""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.outbox.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

EVENT_TYPES = (
    "referral.created", "referral.sent", "referral.acknowledged", "referral.accepted", "referral.declined",
    "referral.withdrawn", "referral.closed", "consent.revoked", "consultation.opened",
    "consultation.routed", "consultation.accepted", "consultation.responded", "consultation.closed",
    "agreement.created", "agreement.signed", "agreement.activated", "agreement.suspended",
    "agreement.terminated", "service.created", "service.updated", "treatment.created", "treatment.updated",
    "protective_order.created", "protective_order.updated", "court_event.created",
    "court_event.updated", "assessment.created", "assessment.updated",
    "safety_plan_summary.created", "safety_plan_summary.updated",
    "child_details.created", "child_details.updated", "contact_preferences.created",
    "contact_preferences.updated", "contact_attempt.created", "note.created", "note.updated",
)


_STATUS = re.compile(r"^[a-z_]{1,40}$")


def check_payload(data: dict[str, str]) -> None:
    """Refuse anything but ids and times, so no personal data can reach an agency system through a webhook.

    Allowed keys: "<name>_id" (a UUID), "at" or "<name>_at" (an ISO 8601 time), "status" (a lowercase code).
    """
    for key, value in data.items():
        if value is None:
            continue
        ok = isinstance(value, str)
        try:
            if ok and key.endswith("_id"):
                uuid.UUID(value)
            elif ok and (key == "at" or key.endswith("_at")):
                datetime.fromisoformat(value)
            elif ok and key == "status":
                ok = bool(_STATUS.match(value))
            else:
                ok = False
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"webhook payload field {key!r} is not an id, a time or a status code")


async def emit(
    session: AsyncSession, event_type: str, agency_ids: Iterable[uuid.UUID | None], data: dict[str, str]
) -> None:
    """Queue `event_type` for each agency's subscribed endpoints. `data` holds ids and times only
    (see check_payload; anything else raises ValueError)."""
    check_payload(data)
    now = utcnow()
    for agency_id in {a for a in agency_ids if a is not None}:
        endpoints = (
            await session.execute(
                select(WebhookEndpoint).where(WebhookEndpoint.agency_id == agency_id, WebhookEndpoint.active)
            )
        ).scalars().all()
        targets = [e for e in endpoints if any(fnmatch.fnmatchcase(event_type, p) for p in e.events)]
        if not targets:
            continue
        ev = WebhookEvent(agency_id=agency_id, type=event_type, data=data, created_at=now)
        session.add(ev)
        await session.flush()
        for ep in targets:
            session.add(WebhookDelivery(event_id=ev.id, endpoint_id=ep.id, next_attempt_at=now))
    await session.flush()
