"""Verifying the audit chain through the API: the hashing runs off the event loop, a repeat resumes from the
stored checkpoint (`tandem audit verify --full` starts over), an agency is told only its own events' count
and newest hash, and one caller may verify once per TANDEM_AUDIT_VERIFY_MIN_INTERVAL_SECONDS, one
verification at a time per process."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.audit import service
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from app.trail.recorder import chain_hash
from tests.audit.test_audit import _exec, _fresh_events, events_of, hook_body, run_cli

VERIFY = "/api/v1/audit-events/verify"


def later(t: datetime, steps: int = 1) -> datetime:
    """A moment past the verification interval of one caller, `steps` intervals after t."""
    return t + timedelta(seconds=steps * (get_settings().audit_verify_min_interval_seconds + 1))


async def test_verification_hashes_off_the_event_loop_and_one_runs_at_a_time(world, monkeypatch):
    admin, _ = await _fresh_events(world, 3)
    auditor = await world.user(admin.agency, "auditor")
    entered, release = threading.Event(), threading.Event()
    stalled: list[str] = []

    def gated(prev: str, ev: object) -> str:
        """The real hash, held back until the test has seen the API answer other requests meanwhile."""
        entered.set()
        if not release.wait(timeout=5):
            stalled.append(threading.current_thread().name)
            release.set()
        return chain_hash(prev, ev)

    monkeypatch.setattr(service, "chain_hash", gated)
    running = asyncio.create_task(world.get(admin, VERIFY))
    for _ in range(1000):
        if entered.is_set():
            break
        await asyncio.sleep(0.01)
    assert entered.is_set()
    assert stalled == [], "the hashing held the event loop: nothing else was served meanwhile"

    # While the hashing is held, the same app answers another request at once ...
    assert (await world.get(auditor, "/api/v1/me")).status_code == 200
    # ... and turns a second verification away instead of running two.
    busy = await world.get(auditor, VERIFY)
    assert busy.status_code == 429, busy.text
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert int(busy.headers["Retry-After"]) >= 1

    release.set()
    r = await running
    assert r.status_code == 200 and r.json()["ok"] is True
    assert stalled == []
    # The turned-away caller was not charged for it.
    assert (await world.get(auditor, VERIFY)).status_code == 200


async def test_a_repeat_verifies_from_the_checkpoint_and_full_verifies_from_the_start(world, clock):
    t = datetime.now(UTC)
    clock.set(t)
    admin, evs = await _fresh_events(world, 3)
    chain = str(admin.agency.id)
    table = AuditEvent.__table__
    assert (await world.get(admin, VERIFY)).json()["ok"] is True  # checkpoint: the head as of now
    old = evs[1]
    try:
        # An edit of an event older than the checkpoint is not read again by the API or the default CLI ...
        await _exec(table.update().where(table.c.id == old.id).values(action="webhook.disable"))
        clock.set(later(t))
        r = await world.get(admin, VERIFY)
        assert r.status_code == 200 and r.json()["ok"] is True
        code, out = await run_cli("audit", "verify", "--chain", chain)
        assert code == 0 and json.loads(out.strip().splitlines()[-1])["ok"] is True, out
        # ... only a full verification, from the first event, finds it.
        code, out = await run_cli("audit", "verify", "--full", "--chain", chain)
        assert code == 1, out
        printed = json.loads(out.strip().splitlines()[-1])
        assert (printed["ok"], printed["first_broken_seq"], printed["reason"]) == (False, old.seq, "hash_mismatch")

        # Events after the checkpoint are verified by the API.
        for _ in range(2):
            assert (await world.post(admin, "/api/v1/webhooks", hook_body())).status_code == 201
        new = (await events_of(admin.agency.id))[-2]
        await _exec(table.update().where(table.c.id == new.id).values(outcome="failed"))
        clock.set(later(t, 2))
        body = (await world.get(admin, VERIFY)).json()
        assert (body["ok"], body["first_broken_seq"], body["reason"]) == (False, new.seq, "hash_mismatch")
        await _exec(table.update().where(table.c.id == new.id).values(outcome=new.outcome))
    finally:
        await _exec(table.update().where(table.c.id == old.id).values(action=old.action))
    clock.set(later(t, 3))
    assert (await world.get(admin, VERIFY)).json()["ok"] is True
    code, out = await run_cli("audit", "verify", "--full")
    assert code == 0, out


async def test_history_rewritten_up_to_the_head_is_caught_at_the_checkpoint(world, clock):
    """Someone who edits an old event and re-hashes every event after it leaves a chain that is consistent
    in itself; the stored checkpoint no longer matches it, for the API and for --full."""
    t = datetime.now(UTC)
    clock.set(t)
    admin, evs = await _fresh_events(world, 3)
    assert (await world.get(admin, VERIFY)).json()["ok"] is True
    table = AuditEvent.__table__
    async with sessionmaker()() as s:
        saved = list((await s.execute(sa.select(table).where(table.c.chain == evs[0].chain,
                                                              table.c.seq >= evs[0].seq)
                                      .order_by(table.c.seq))).mappings().all())
    try:
        prev = saved[0]["prev_hash"]
        for i, row in enumerate(saved):
            forged = AuditEvent(**{**row, "action": "webhook.disable" if i == 0 else row["action"]})
            forged.prev_hash = prev
            prev = forged.hash = chain_hash(prev, forged)
            await _exec(table.update().where(table.c.id == row["id"])
                        .values(action=forged.action, prev_hash=forged.prev_hash, hash=forged.hash))
        clock.set(later(t))
        body = (await world.get(admin, VERIFY)).json()
        assert (body["ok"], body["reason"]) == (False, "checkpoint_mismatch")
        code, out = await run_cli("audit", "verify", "--full", "--chain", evs[0].chain)
        assert code == 1 and json.loads(out.strip().splitlines()[-1])["reason"] == "checkpoint_mismatch", out
    finally:
        for row in saved:
            await _exec(table.update().where(table.c.id == row["id"])
                        .values(action=row["action"], prev_hash=row["prev_hash"], hash=row["hash"]))
    clock.set(later(t, 2))
    assert (await world.get(admin, VERIFY)).json()["ok"] is True


async def test_an_agency_is_told_only_its_own_events_count_and_newest_hash(world, clock):
    t = datetime.now(UTC)
    clock.set(t)
    a = await world.agency("dv")
    b = await world.agency("cps")
    admin_a = await world.user(a, "agency_admin")
    admin_b = await world.user(b, "agency_admin")
    for who, n in ((admin_a, 3), (admin_b, 2)):
        for _ in range(n):
            assert (await world.post(who, "/api/v1/webhooks", hook_body())).status_code == 201

    mine = await events_of(a.id)
    first = (await world.get(admin_a, VERIFY)).json()
    assert first == {"ok": True, "length": len(mine), "head_hash": mine[-1].hash}

    # Another agency's activity does not change what agency A is told.
    for _ in range(3):
        assert (await world.post(admin_b, "/api/v1/webhooks", hook_body())).status_code == 201
    clock.set(later(t))
    assert (await world.get(admin_a, VERIFY)).json() == first
    theirs = await events_of(b.id)
    assert (await world.get(admin_b, VERIFY)).json() == {"ok": True, "length": len(theirs),
                                                          "head_hash": theirs[-1].hash}


async def test_one_caller_verifies_at_most_once_per_interval(world, clock):
    t = datetime.now(UTC)
    clock.set(t)
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    auditor = await world.user(a, "auditor")
    assert (await world.get(admin, VERIFY)).status_code == 200
    clock.set(t + timedelta(seconds=1))
    r = await world.get(admin, VERIFY)
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    interval = get_settings().audit_verify_min_interval_seconds
    assert 1 <= int(r.headers["Retry-After"]) <= interval
    assert (await world.get(auditor, VERIFY)).status_code == 200  # per caller, not per agency
    clock.set(t + timedelta(seconds=interval))
    assert (await world.get(admin, VERIFY)).status_code == 200
