"""Delivery through the outbox to a real receiver on 127.0.0.1 (allowed explicitly: allow_private):
Standard Webhooks signatures, ids-only payloads, retries with backoff, failure and re-send, leases that survive a crashed worker, and concurrent
workers that send every event exactly once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.config import get_settings
from app.core.db import sessionmaker
from app.outbox.events import emit
from app.outbox.models import WebhookEvent
from app.trail.models import AuditEvent
from app.webhooks import delivery as worker

ROOT = Path(__file__).resolve().parents[2]
TANDEM = str(Path(sys.executable).parent / "tandem")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def endpoint(world, receiver, admin, events=("referral.*",)):
    """Register an endpoint on a path of its own; returns (endpoint json, path)."""
    path = f"/hook/{uuid.uuid4().hex}"
    r = await world.post(admin, "/api/v1/webhooks", {"url": receiver.url(path), "events": list(events)})
    assert r.status_code == 201, r.text
    return r.json(), path


async def emit_one(event_type: str, agency_id: uuid.UUID, data: dict) -> None:
    async with sessionmaker()() as s:
        await emit(s, event_type, [agency_id], data)
        await s.commit()


def verify_signature(secret: str, req) -> bool:
    msg_id, ts = req.headers["webhook-id"], req.headers["webhook-timestamp"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + req.body, hashlib.sha256).digest())
    sigs = [s.split(",", 1)[1] for s in req.headers["webhook-signature"].split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected.decode(), s) for s in sigs)


async def deliveries(world, admin, hook_id):
    r = await world.get(admin, f"/api/v1/webhooks/{hook_id}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_signed_delivery_with_ids_only(world, receiver, allow_private, clock):
    t = now_utc()
    clock.set(t)
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin, events=("referral.*",))
    other, other_path = await endpoint(world, receiver, admin, events=("consent.revoked",))
    referral_id = str(uuid.uuid4())
    # Committed in the outbox; nothing is sent until a worker runs (a crash here loses nothing).
    await emit_one("referral.sent", a.id, {"referral_id": referral_id, "status": "sent", "at": t.isoformat()})
    assert receiver.at(path) == []
    assert [d["status"] for d in await deliveries(world, admin, hook["id"])] == ["pending"]

    await worker.run_until_idle()
    [req] = receiver.at(path)
    assert receiver.at(other_path) == []  # not subscribed to referral events
    assert verify_signature(hook["secret"], req)
    assert not verify_signature(other["secret"], req)
    assert req.headers["content-type"] == "application/json"
    assert int(req.headers["webhook-timestamp"]) == int(t.timestamp())
    payload = json.loads(req.body)
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "referral.sent"
    assert payload["data"] == {"referral_id": referral_id, "status": "sent", "at": t.isoformat()}
    async with sessionmaker()() as s:
        ev = (await s.execute(sa.select(WebhookEvent).where(WebhookEvent.id == uuid.UUID(req.headers["webhook-id"])))
              ).scalar_one()
    assert ev.type == "referral.sent" and ev.agency_id == a.id

    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered" and d["attempts"] == 1 and d["last_status_code"] == 200
    assert d["event_type"] == "referral.sent" and d["delivered_at"] and d["next_attempt_at"] is None
    assert await deliveries(world, admin, other["id"]) == []


async def test_payloads_refuse_anything_but_ids_times_and_status_codes(world, receiver, allow_private):
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    await endpoint(world, receiver, admin, events=("referral.*",))
    for data in ({"referral_id": "Jane Doe"}, {"name": "Jane Doe"}, {"status": "Jane Doe"},
                 {"at": "yesterday at the shelter"}, {"note": "call after 5pm"}):
        with pytest.raises(ValueError):
            await emit_one("referral.sent", a.id, data)


async def test_failed_attempts_are_retried_with_backoff_then_delivered(world, receiver, allow_private, clock):
    t = now_utc()
    clock.set(t)
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin)
    receiver.plans[path] = [500, 503]
    await emit_one("referral.accepted", a.id, {"referral_id": str(uuid.uuid4())})

    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "pending" and d["attempts"] == 1 and d["last_status_code"] == 500
    assert d["last_error"] == "http_500"
    due = datetime.fromisoformat(d["next_attempt_at"])
    base = get_settings().webhook_backoff_base_seconds
    assert t <= due <= t + timedelta(seconds=base)
    assert len(receiver.at(path)) == 1

    clock.set(t + timedelta(seconds=base + 1))
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["attempts"] == 2 and d["status"] == "pending" and d["last_status_code"] == 503
    assert datetime.fromisoformat(d["next_attempt_at"]) <= t + timedelta(seconds=base + 1 + 2 * base)

    clock.set(t + timedelta(seconds=10 * base))
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered" and d["attempts"] == 3 and d["last_status_code"] == 200
    reqs = receiver.at(path)
    assert len(reqs) == 3
    assert len({r.headers["webhook-id"] for r in reqs}) == 1  # the same message id on every retry
    assert all(verify_signature(hook["secret"], r) for r in reqs)


async def test_backoff_is_exponential_with_full_jitter():
    base = get_settings().webhook_backoff_base_seconds
    for attempts in (1, 2, 3, 6):
        values = [worker.backoff_seconds(attempts) for _ in range(200)]
        assert all(0 <= v <= base * 2 ** (attempts - 1) for v in values)
        assert max(values) > base * 2 ** (attempts - 1) / 2  # spread over the whole window
    assert worker.backoff_seconds(60) <= worker.MAX_BACKOFF_SECONDS


async def test_gives_up_after_max_attempts_and_a_failed_delivery_can_be_resent(world, receiver, allow_private,
                                                                                  clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_max_attempts", 2)
    t = now_utc()
    clock.set(t)
    a = await world.agency("cps")
    b = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    admin_b = await world.user(b, "agency_admin")
    hook, path = await endpoint(world, receiver, admin, events=("agreement.*",))
    receiver.plans[path] = [500, 500]
    await emit_one("agreement.signed", a.id, {"agreement_id": str(uuid.uuid4()), "status": "active"})
    await worker.run_until_idle()
    clock.set(t + timedelta(minutes=1))
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "failed" and d["attempts"] == 2 and d["last_status_code"] == 500
    clock.set(t + timedelta(minutes=2))
    await worker.run_until_idle()
    assert len(receiver.at(path)) == 2
    async with sessionmaker()() as s:
        audit = (await s.execute(sa.select(AuditEvent).where(AuditEvent.object_id == d["id"]))).scalars().all()
    assert [(e.action, e.outcome, e.agency_id) for e in audit] == [("webhook.delivery_failed", "failed", a.id)]

    # Only the owning agency can re-send; only a failed delivery can be re-sent.
    assert (await world.post(admin_b, f"/api/v1/webhooks/deliveries/{d['id']}/resend")).status_code == 404
    r = await world.post(admin, f"/api/v1/webhooks/deliveries/{d['id']}/resend")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["attempts"] == 0
    assert (await world.post(admin, f"/api/v1/webhooks/deliveries/{d['id']}/resend")).status_code == 409
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered" and d["attempts"] == 1
    assert len(receiver.at(path)) == 3
    r = await world.post(admin, f"/api/v1/webhooks/deliveries/{d['id']}/resend")
    assert r.status_code == 409


async def test_unreachable_receiver_is_retried(world, receiver, allow_private, clock):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    t = now_utc()
    clock.set(t)
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    r = await world.post(admin, "/api/v1/webhooks", {"url": f"http://127.0.0.1:{port}/in", "events": ["consent.*"]})
    hook = r.json()
    await emit_one("consent.revoked", a.id, {"consent_id": str(uuid.uuid4())})
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "pending" and d["attempts"] == 1 and d["last_status_code"] is None
    assert d["last_error"] == "connection_failed"
    assert (await world.delete(admin, f"/api/v1/webhooks/{hook['id']}")).status_code == 204
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "failed" and d["last_error"] == "endpoint_disabled"
    clock.set(t + timedelta(minutes=5))
    await worker.run_until_idle()
    [d] = await deliveries(world, admin, hook["id"])
    assert d["attempts"] == 1
    assert (await world.post(admin, f"/api/v1/webhooks/deliveries/{d['id']}/resend")).status_code == 409
    # A disabled endpoint gets no new events.
    await emit_one("consent.revoked", a.id, {"consent_id": str(uuid.uuid4())})
    assert len(await deliveries(world, admin, hook["id"])) == 1


async def test_a_claim_whose_worker_crashed_is_delivered_after_the_lease(world, receiver, allow_private, clock):
    t = now_utc()
    clock.set(t)
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin, events=("consultation.*",))
    await emit_one("consultation.routed", a.id, {"consultation_id": str(uuid.uuid4())})

    crashed = [c for c in await worker.claim_due(1000) if c.endpoint_id == uuid.UUID(hook["id"])]
    assert len(crashed) == 1  # claimed, then the worker died before sending
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "in_flight" and d["attempts"] == 1

    await worker.run_until_idle()  # still leased: nobody else sends it
    assert receiver.at(path) == []

    clock.set(t + timedelta(seconds=worker.lease_seconds() + 1))
    await worker.run_until_idle()
    [req] = receiver.at(path)
    assert verify_signature(hook["secret"], req)
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered" and d["attempts"] == 2

    # The crashed worker waking up late cannot overwrite the newer outcome.
    assert await worker.finish(crashed[0], worker.Outcome(500, "http_500")) is None
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered"


async def test_two_concurrent_workers_send_each_event_exactly_once(world, receiver, allow_private, clock):
    clock.set(now_utc())
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    hooks = [await endpoint(world, receiver, admin) for _ in range(2)]
    async with sessionmaker()() as s:
        for _ in range(30):
            await emit(s, "referral.created", [a.id], {"referral_id": str(uuid.uuid4())})
        await s.commit()

    claimed = await asyncio.gather(worker.run_until_idle(batch_size=4), worker.run_until_idle(batch_size=4))
    assert sum(claimed) >= 60
    for hook, path in hooks:
        ids = Counter(r.headers["webhook-id"] for r in receiver.at(path))
        assert len(ids) == 30 and set(ids.values()) == {1}
        ds = await world.get(admin, f"/api/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100})
        assert [d["status"] for d in ds.json()["items"]] == ["delivered"] * 30
        assert {d["attempts"] for d in ds.json()["items"]} == {1}


async def test_tandem_deliver_once_in_two_processes(world, receiver, allow_private, clock):
    clock.set(None)
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin)
    async with sessionmaker()() as s:
        for _ in range(12):
            await emit(s, "referral.sent", [a.id], {"referral_id": str(uuid.uuid4())})
        await s.commit()

    async def deliver() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            TANDEM, "deliver", "--once", "--batch-size", "100", cwd=ROOT,
            env={**os.environ, "TANDEM_WEBHOOK_ALLOW_PRIVATE_URLS": "true"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        return proc.returncode, out.decode() + err.decode()

    results = await asyncio.gather(deliver(), deliver())
    assert [code for code, _ in results] == [0, 0], results
    ids = Counter(r.headers["webhook-id"] for r in receiver.at(path))
    assert len(ids) == 12 and set(ids.values()) == {1}
    assert all(verify_signature(hook["secret"], r) for r in receiver.at(path))


async def test_worker_runs_in_the_background_and_in_the_app_lifespan(world, receiver, allow_private, clock,
                                                                      monkeypatch):
    import app.main as main

    clock.set(None)
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin)

    async def keep_engine() -> None:
        return None

    monkeypatch.setattr(get_settings(), "webhook_worker_enabled", True)
    monkeypatch.setattr(get_settings(), "webhook_poll_seconds", 0.05)
    monkeypatch.setattr(main, "dispose_engine", keep_engine)
    app = main.create_app()
    async with app.router.lifespan_context(app):
        await emit_one("referral.closed", a.id, {"referral_id": str(uuid.uuid4())})
        for _ in range(500):
            if receiver.at(path):
                break
            receiver.arrived.clear()
            try:
                await asyncio.wait_for(receiver.arrived.wait(), timeout=0.05)
            except TimeoutError:
                pass
    assert len(receiver.at(path)) == 1
    [d] = await deliveries(world, admin, hook["id"])
    assert d["status"] == "delivered"


async def test_one_subjects_events_arrive_in_order_and_a_retry_holds_back_its_successors(
        world, receiver, allow_private, clock):
    """`referral.sent` never overtakes `referral.created`: an endpoint gets one subject's events in the order
    they were emitted (the same clock reading for all, as within a fast sequence of requests), a retried one
    holds back only its own subject's later events."""
    t = now_utc()
    clock.set(t)
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    hook, path = await endpoint(world, receiver, admin)
    receiver.plans[path] = [500]  # the first attempt (referral.created of `first`) fails
    first, other = str(uuid.uuid4()), str(uuid.uuid4())
    await emit_one("referral.created", a.id, {"referral_id": first})
    for status in ("sent", "acknowledged"):
        await emit_one(f"referral.{status}", a.id, {"referral_id": first, "status": status, "at": t.isoformat()})

    def seen() -> list[tuple[str, str]]:
        return [(json.loads(r.body)["type"], json.loads(r.body)["data"]["referral_id"]) for r in receiver.at(path)]

    await worker.run_until_idle()
    assert seen() == [("referral.created", first)]  # failed; its subject's later events wait for its retry
    # Another subject's event, while `first` waits for its retry: it is not held back.
    await emit_one("referral.created", a.id, {"referral_id": other})
    await worker.run_until_idle()
    assert seen() == [("referral.created", first), ("referral.created", other)]

    clock.set(t + timedelta(seconds=10 * get_settings().webhook_backoff_base_seconds))
    await worker.run_until_idle()
    assert [e for e in seen() if e[1] == first] == [
        ("referral.created", first), ("referral.created", first), ("referral.sent", first),
        ("referral.acknowledged", first)]
    assert {d["status"] for d in await deliveries(world, admin, hook["id"])} == {"delivered"}


async def test_events_of_a_referral_made_through_the_api_arrive_created_then_sent(world, receiver, allow_private,
                                                                               clock):
    from tests.referrals.scene import build_scene

    clock.set(now_utc())
    s = await build_scene(world)
    hook, path = await endpoint(world, receiver, s["cps_admin"])
    ref = await s.referral("sent")
    await worker.run_until_idle()
    got = [json.loads(r.body)["type"] for r in receiver.at(path) if json.loads(r.body)["data"]["referral_id"] == ref["id"]]
    assert got == ["referral.created", "referral.sent"]
