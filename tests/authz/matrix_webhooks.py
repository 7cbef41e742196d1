"""Authorization rows for webhook endpoints and their deliveries.

Endpoints belong to one agency and only its agency admins manage them: "own" is an endpoint of the actor's
agency, "partner" one of the partner agency, "unrelated" one of the unrelated agency of the actor's kind
(both 404). No other role, the platform admin included, holds webhook:manage.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.outbox.models import WebhookDelivery, WebhookEvent
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario

MANAGERS = ("cps_admin", "dv_admin")
BODY = {"url": "https://hooks.matrix.example/tandem", "events": ["referral.*", "agreement.*"],
        "description": "Matrix endpoint"}


async def _fresh_endpoint(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    """A new endpoint of the target agency, registered through the API by one of its admins."""
    agency = scn.target(actor, rel)
    admin = await scn.once(("webhook-admin", agency.id), lambda: scn.world.user(agency, "agency_admin"))
    r = await scn.world.post(admin, "/api/v1/webhooks", BODY)
    assert r.status_code == 201, r.text
    return r.json()


async def _endpoint(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    return await scn.once(("webhook", actor, rel), lambda: _fresh_endpoint(scn, actor, rel))


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/webhooks/{(await _endpoint(scn, actor, rel))['id']}", None


async def _deliveries(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/webhooks/{(await _endpoint(scn, actor, rel))['id']}/deliveries", None


async def _disable(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/webhooks/{(await _fresh_endpoint(scn, actor, rel))['id']}/disable", None


async def _delete(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/webhooks/{(await _fresh_endpoint(scn, actor, rel))['id']}", None


async def _resend(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A failed delivery to a (still active) endpoint of the target agency."""
    ep = await _endpoint(scn, actor, rel)
    now = utcnow()
    async with sessionmaker()() as s:
        event = WebhookEvent(agency_id=uuid.UUID(ep["agency_id"]), type="referral.sent",
                             data={"referral_id": str(uuid.uuid4())})
        s.add(event)
        await s.flush()
        delivery = WebhookDelivery(event_id=event.id, endpoint_id=uuid.UUID(ep["id"]), status="failed",
                                   attempts=8, next_attempt_at=now, last_attempt_at=now, last_status_code=500,
                                   last_error="http_500")
        s.add(delivery)
        await s.commit()
        return f"/api/v1/webhooks/deliveries/{delivery.id}/resend", None


def _each(status: Any) -> dict[str, Any]:
    return dict.fromkeys(MANAGERS, status)


ROWS: list[Row] = [
    Row("POST", "/api/v1/webhooks", static("/api/v1/webhooks", BODY), _each(201)),
    Row("GET", "/api/v1/webhooks", static("/api/v1/webhooks"), _each(200)),
    Row("GET", "/api/v1/webhooks/{webhook_id}", _get, _each((200, 404, 404))),
    Row("GET", "/api/v1/webhooks/{webhook_id}/deliveries", _deliveries, _each((200, 404, 404))),
    Row("POST", "/api/v1/webhooks/{webhook_id}/disable", _disable, _each((200, 404, 404))),
    Row("DELETE", "/api/v1/webhooks/{webhook_id}", _delete, _each((204, 404, 404))),
    Row("POST", "/api/v1/webhooks/deliveries/{delivery_id}/resend", _resend, _each((200, 404, 404))),
]
