"""Managing webhook endpoints: agency admins only, own agency only, validated input, secret shown once."""

from __future__ import annotations

import base64
import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.outbox.models import WebhookEndpoint


def body(**kw):
    return {"url": "https://cms.agency.example/tandem", "events": ["referral.*", "consent.revoked"],
            "description": "Case management system", **kw}


async def test_admin_registers_endpoint_and_sees_the_secret_once(world):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    r = await world.post(admin, "/api/v1/webhooks", body())
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    assert created["events"] == ["referral.*", "consent.revoked"]
    assert created["active"] is True and created["agency_id"] == str(a.id)

    r = await world.get(admin, f"/api/v1/webhooks/{created['id']}")
    assert r.status_code == 200 and "secret" not in r.json() and secret not in r.text
    assert r.headers["ETag"]
    r = await world.get(admin, "/api/v1/webhooks")
    assert [e["id"] for e in r.json()["items"]] == [created["id"]]
    assert secret not in r.text and "secret" not in r.json()["items"][0]

    # Sealed at rest: the column does not hold the secret.
    async with sessionmaker()() as s:
        stored = (await s.execute(sa.select(WebhookEndpoint.secret)
                                  .where(WebhookEndpoint.id == uuid.UUID(created["id"])))).scalar_one()
    assert secret not in stored and secret[6:] not in stored


async def test_idempotent_create_replays_the_same_endpoint_and_secret(world):
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    h = {"Idempotency-Key": uuid.uuid4().hex}
    r1 = await world.post(admin, "/api/v1/webhooks", body(), headers=h)
    r2 = await world.post(admin, "/api/v1/webhooks", body(), headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert r1.json() == r2.json()
    r = await world.get(admin, "/api/v1/webhooks")
    assert len(r.json()["items"]) == 1


async def test_input_is_validated(world):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    bad = [
        body(url="ftp://cms.agency.example/x"),
        body(url="not a url"),
        body(url="https://"),
        body(url="javascript:alert(1)"),
        body(events=[]),
        body(events=["referal.*"]),
        body(events=["referral.sent; DROP"]),
        body(events=["household.*"]),  # matches no event
        body(secret="whsec_mine"),
        body(description="x" * 501),
        {"events": ["referral.*"]},
    ]
    for b in bad:
        r = await world.post(admin, "/api/v1/webhooks", b)
        assert r.status_code == 422, (b, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await world.post(admin, "/api/v1/webhooks",
                         body(url="http://203.0.114.7:8080/in", events=["*", "agreement.signed", "consultation.*"]))
    assert r.status_code == 201, r.text


async def test_only_agency_admins_manage_webhooks(world):
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    hook = (await world.post(admin, "/api/v1/webhooks", body())).json()
    for role in ("cps_worker", "cps_supervisor", "auditor"):
        u = await world.user(a, role)
        assert (await world.post(u, "/api/v1/webhooks", body())).status_code == 403
        assert (await world.get(u, "/api/v1/webhooks")).status_code == 403
        assert (await world.get(u, f"/api/v1/webhooks/{hook['id']}")).status_code == 403
    assert (await world.client.get("/api/v1/webhooks")).status_code == 401


async def test_another_agencys_endpoint_is_not_found(world):
    a = await world.agency("cps")
    b = await world.agency("dv")
    admin_a = await world.user(a, "agency_admin")
    admin_b = await world.user(b, "agency_admin")
    hook = (await world.post(admin_a, "/api/v1/webhooks", body())).json()
    for r in (
        await world.get(admin_b, f"/api/v1/webhooks/{hook['id']}"),
        await world.get(admin_b, f"/api/v1/webhooks/{hook['id']}/deliveries"),
        await world.post(admin_b, f"/api/v1/webhooks/{hook['id']}/disable"),
        await world.delete(admin_b, f"/api/v1/webhooks/{hook['id']}"),
        await world.get(admin_b, f"/api/v1/webhooks/{uuid.uuid4()}"),
    ):
        assert r.status_code == 404, r.text
    assert (await world.get(admin_b, "/api/v1/webhooks")).json()["items"] == []
    assert (await world.get(admin_a, f"/api/v1/webhooks/{hook['id']}")).json()["active"] is True


async def test_disable_and_delete_stop_the_endpoint(world):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    one = (await world.post(admin, "/api/v1/webhooks", body())).json()
    two = (await world.post(admin, "/api/v1/webhooks", body())).json()

    r = await world.get(admin, f"/api/v1/webhooks/{one['id']}")
    etag = r.headers["ETag"]
    r = await world.post(admin, f"/api/v1/webhooks/{one['id']}/disable", headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["disabled_at"]
    # The old ETag is stale now.
    r = await world.post(admin, f"/api/v1/webhooks/{one['id']}/disable", headers={"If-Match": etag})
    assert r.status_code == 412

    r = await world.delete(admin, f"/api/v1/webhooks/{two['id']}")
    assert r.status_code == 204
    r = await world.get(admin, f"/api/v1/webhooks/{two['id']}")
    assert r.json()["active"] is False
