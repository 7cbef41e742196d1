"""The audit trail: own-agency listing with filters and keyset pages; one unbroken hash chain per agency under
concurrent writers, appended at commit (nothing of a rolled-back transaction); tampering (edit, delete,
re-hash) detected and located, through the API and `tandem audit verify`. (Verification's checkpoints, limits
and own-chain answer: test_verify.py; the migration to per-agency chains: test_chain_migration.py.)"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit.service import verify_chain
from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.trail.models import PLATFORM_CHAIN, AuditChainHead, AuditEvent
from app.trail.recorder import GENESIS, chain_hash, record

ROOT = Path(__file__).resolve().parents[2]
TANDEM = str(Path(sys.executable).parent / "tandem")


def hook_body(**kw):
    return {"url": "https://cms.agency.example/hooks", "events": ["referral.*"], **kw}


async def run_cli(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        TANDEM, *args, cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode() + err.decode()


@pytest.fixture
def verify_often(monkeypatch) -> None:
    """These tests verify again and again as one caller: no minimum interval between verifications."""
    monkeypatch.setattr(get_settings(), "audit_verify_min_interval_seconds", 0)


async def events_of(agency_id: uuid.UUID) -> list[AuditEvent]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(AuditEvent).where(AuditEvent.agency_id == agency_id)
                               .order_by(AuditEvent.seq))
        return list(rows.scalars().all())


async def test_auditor_and_admin_list_own_agency_events_filtered_and_paged(world, clock):
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock.set(t0)  # tokens below are issued at t0 and live 15 minutes
    a = await world.agency("dv")
    b = await world.agency("cps")
    admin_a = await world.user(a, "agency_admin")
    auditor_a = await world.user(a, "auditor")
    admin_b = await world.user(b, "agency_admin")
    worker_a = await world.user(a, "dv_advocate")

    ids = []
    for i in range(3):
        clock.set(t0 + timedelta(minutes=i))
        r = await world.post(admin_a, "/api/v1/webhooks", hook_body(description=f"hook {i}"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    clock.set(t0 + timedelta(minutes=5))
    r = await world.post(admin_a, f"/api/v1/webhooks/{ids[0]}/disable")
    assert r.status_code == 200
    r = await world.post(admin_b, "/api/v1/webhooks", hook_body())
    assert r.status_code == 201
    b_hook = r.json()["id"]

    for who in (admin_a, auditor_a):
        r = await world.get(who, "/api/v1/audit-events")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert {e["agency_id"] for e in items} == {str(a.id)}
        assert b_hook not in {e["object_id"] for e in items}
        seqs = [e["seq"] for e in items]
        # The seq shown is the agency's own chain's: the new agency's events are 1, 2, ... whatever the others do.
        assert seqs == list(range(len(seqs), 0, -1))
        assert items[-1]["prev_hash"] == GENESIS
        assert [e["action"] for e in items[:4]] == ["webhook.disable", "webhook.create", "webhook.create",
                                                     "webhook.create"]

    # Another agency's trail is not theirs to read; case workers have no audit access at all.
    r = await world.get(admin_b, "/api/v1/audit-events", params={"object_id": ids[0]})
    assert r.status_code == 200 and r.json()["items"] == []
    assert (await world.get(worker_a, "/api/v1/audit-events")).status_code == 403
    assert (await world.get(worker_a, "/api/v1/audit-events/verify")).status_code == 403

    r = await world.get(auditor_a, "/api/v1/audit-events", params={"object_id": ids[0]})
    assert [e["action"] for e in r.json()["items"]] == ["webhook.disable", "webhook.create"]
    r = await world.get(auditor_a, "/api/v1/audit-events",
                        params={"action": "webhook.create", "object_type": "webhook_endpoint"})
    assert [e["object_id"] for e in r.json()["items"]] == ids[::-1]
    r = await world.get(auditor_a, "/api/v1/audit-events", params={"actor_id": str(admin_a.id)})
    assert len(r.json()["items"]) == 4
    assert all(e["actor_id"] == str(admin_a.id) and e["actor_type"] == "user" for e in r.json()["items"])
    r = await world.get(auditor_a, "/api/v1/audit-events", params={"actor_id": str(auditor_a.id)})
    assert r.json()["items"] == []
    r = await world.get(auditor_a, "/api/v1/audit-events", params={
        "from": (t0 + timedelta(minutes=1)).isoformat(), "to": (t0 + timedelta(minutes=5)).isoformat()})
    assert [e["object_id"] for e in r.json()["items"]] == [ids[2], ids[1]]
    r = await world.get(auditor_a, "/api/v1/audit-events", params={
        "from": (t0 + timedelta(minutes=5)).isoformat(), "to": t0.isoformat()})
    assert r.status_code == 422

    # Keyset pages: newest first, no overlap, no gap.
    seen = []
    cursor = None
    while True:
        params = {"limit": 2, "action": "webhook.create"}
        if cursor:
            params["cursor"] = cursor
        r = await world.get(auditor_a, "/api/v1/audit-events", params=params)
        assert r.status_code == 200
        seen += [e["object_id"] for e in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    r = await world.get(auditor_a, "/api/v1/audit-events", params={"cursor": "not-a-cursor"})
    assert r.status_code == 422

    # Events carry ids and codes only (no description or URL of the endpoint).
    r = await world.get(auditor_a, "/api/v1/audit-events")
    text = r.text
    assert "hook 0" not in text and "cms.agency.example" not in text


async def test_verify_reports_length_and_head_and_streams_in_batches(world):
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    for _ in range(4):
        assert (await world.post(admin, "/api/v1/webhooks", hook_body())).status_code == 201
    r = await world.get(admin, "/api/v1/audit-events/verify")
    assert r.status_code == 200, r.text
    mine = await events_of(a.id)
    # The agency's own chain: its events' count and the hash of its newest one.
    assert [e.seq for e in mine] == list(range(1, len(mine) + 1)) and len(mine) >= 4
    assert r.json() == {"ok": True, "length": len(mine), "head_hash": mine[-1].hash}
    whole = {"ok": True, "length": len(mine), "head_hash": mine[-1].hash}
    # Read 3 rows and 1 row at a time (batch boundaries keep the link).
    assert await verify_chain(str(a.id), batch_size=3, full=True) == whole
    assert await verify_chain(str(a.id), batch_size=1, full=True) == whole


async def test_concurrent_writers_leave_one_contiguous_unbroken_chain_per_agency(world):
    a = await world.agency("dv")
    b = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    admin_b = await world.user(b, "agency_admin")
    principal = Principal(id=admin.id, kind="user", agency_id=a.id, agency_kind=AgencyKind.dv,
                          roles=frozenset({Role.agency_admin}))
    marker = uuid.uuid4().hex

    async def writer(n: int) -> None:
        for i in range(5):
            async with sessionmaker()() as s:
                await record(s, principal, "test.concurrent", "test_object", f"{marker}-{n}-{i}")
                # The same transaction also records for the other agency and for the platform.
                await record(s, principal, "test.concurrent", "test_object", f"{marker}-{n}-{i}-b",
                             agency_id=b.id)
                await record(s, None, "test.concurrent", "test_object", f"{marker}-{n}-{i}-p")
                await s.commit()

    async def http_writer(who) -> int:
        r = await world.post(who, "/api/v1/webhooks", hook_body())
        return r.status_code

    results = await asyncio.gather(*(writer(n) for n in range(16)), *(http_writer(admin) for _ in range(8)),
                                   *(http_writer(admin_b) for _ in range(8)))
    assert results[16:] == [201] * 16

    async with sessionmaker()() as s:
        for chain in (str(a.id), str(b.id), PLATFORM_CHAIN):
            seqs = (await s.execute(sa.select(AuditEvent.seq).where(AuditEvent.chain == chain)
                                    .order_by(AuditEvent.seq))).scalars().all()
            assert seqs == list(range(1, len(seqs) + 1)), chain
            head = (await s.execute(sa.select(AuditChainHead.seq).where(AuditChainHead.chain == chain))).scalar_one()
            assert head == len(seqs)
        mine = (await s.execute(sa.select(AuditEvent.chain, sa.func.count()).where(
            AuditEvent.object_id.like(f"{marker}-%")).group_by(AuditEvent.chain))).all()
        assert dict(mine) == {str(a.id): 80, str(b.id): 80, PLATFORM_CHAIN: 80}
    r = await world.get(admin, "/api/v1/audit-events/verify")
    assert r.json()["ok"] is True and r.json()["length"] == len(await events_of(a.id)) == 88
    r = await world.get(admin_b, "/api/v1/audit-events/verify")
    assert r.json()["ok"] is True and r.json()["length"] == len(await events_of(b.id)) == 88
    for chain in (str(a.id), str(b.id), PLATFORM_CHAIN):
        assert (await verify_chain(chain, full=True))["ok"] is True


async def test_events_are_appended_at_commit_and_dropped_with_a_rollback(world):
    a = await world.agency("dv")
    principal = Principal(id=uuid.uuid4(), kind="user", agency_id=a.id, agency_kind=AgencyKind.dv,
                          roles=frozenset({Role.agency_admin}))
    async with sessionmaker()() as s:
        ev = await record(s, principal, "test.rolled_back", "test_object", "x")
        assert ev.seq == 0 and ev.hash == ""  # queued: not in any chain before the commit
        await s.rollback()
        await s.commit()
    assert await events_of(a.id) == []
    async with sessionmaker()() as s:
        first = await record(s, principal, "test.kept", "test_object", "1")
        second = await record(s, principal, "test.kept", "test_object", "2")
        await s.commit()
    # The events returned by record() carry their place in the chain once committed.
    assert (first.seq, first.prev_hash, second.seq, second.prev_hash) == (1, GENESIS, 2, first.hash)
    assert [(e.action, e.seq, e.hash) for e in await events_of(a.id)] == [
        ("test.kept", 1, first.hash), ("test.kept", 2, second.hash)]


async def _chain_row(ev: AuditEvent) -> dict:
    async with sessionmaker()() as s:
        row = (await s.execute(sa.select(AuditEvent.__table__).where(AuditEvent.id == ev.id))).mappings().one()
        return dict(row)


async def _exec(stmt) -> None:
    async with sessionmaker()() as s:
        await s.execute(stmt)
        await s.commit()


async def _fresh_events(world, n: int) -> tuple:
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    for _ in range(n):
        assert (await world.post(admin, "/api/v1/webhooks", hook_body())).status_code == 201
    evs = await events_of(a.id)
    return admin, evs


def _cli_result(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


async def test_editing_one_row_is_detected_and_located_by_api_and_cli(world, verify_often):
    admin, evs = await _fresh_events(world, 3)
    other, _ = await _fresh_events(world, 2)
    target = evs[1]
    chain = str(admin.agency.id)
    table = AuditEvent.__table__
    try:
        await _exec(table.update().where(table.c.id == target.id).values(action="webhook.disable"))
        r = await world.get(admin, "/api/v1/audit-events/verify")
        body = r.json()
        assert r.status_code == 200
        assert body["ok"] is False
        assert body["first_broken_seq"] == target.seq == 2
        assert body["reason"] == "hash_mismatch"
        assert body["verified_length"] == 1  # the agency's own intact events before it
        # Another agency's chain is intact, and its admin is told so.
        assert (await world.get(other, "/api/v1/audit-events/verify")).json()["ok"] is True

        for args in (("audit", "verify"), ("audit", "verify", "--full")):
            code, out = await run_cli(*args)
            assert code == 1, out
            printed = _cli_result(out)
            assert printed["ok"] is False
            broken = [c for c in printed["chains"] if not c["ok"]]
            assert [(c["chain"], c["first_broken_seq"], c["verified_length"]) for c in broken] == [
                (chain, target.seq, target.seq - 1)]
        code, out = await run_cli("audit", "verify", "--chain", str(other.agency.id))
        assert code == 0 and _cli_result(out)["ok"] is True, out
    finally:
        await _exec(table.update().where(table.c.id == target.id).values(action=target.action))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True
    code, out = await run_cli("audit", "verify", "--full")
    assert code == 0, out
    assert _cli_result(out)["ok"] is True


async def test_deleting_one_row_is_detected_as_a_missing_sequence_number(world, verify_often):
    admin, evs = await _fresh_events(world, 3)
    target = evs[1]
    saved = await _chain_row(target)
    table = AuditEvent.__table__
    try:
        await _exec(table.delete().where(table.c.id == target.id))
        body = (await world.get(admin, "/api/v1/audit-events/verify")).json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == target.seq
        assert body["reason"] == "missing_seq"
    finally:
        await _exec(table.insert().values(**saved))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True


async def test_cutting_the_newest_events_off_is_detected_by_the_head(world, verify_often):
    admin, evs = await _fresh_events(world, 3)
    saved = [await _chain_row(e) for e in evs[-2:]]
    table = AuditEvent.__table__
    try:
        await _exec(table.delete().where(table.c.id.in_([e.id for e in evs[-2:]])))
        body = (await world.get(admin, "/api/v1/audit-events/verify")).json()
        assert (body["ok"], body["first_broken_seq"], body["reason"]) == (False, evs[-2].seq, "missing_seq")
    finally:
        for row in saved:
            await _exec(table.insert().values(**row))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True


async def test_a_rehashed_edit_breaks_the_next_link(world, verify_often):
    """Someone who edits a row and recomputes its hash still breaks the link to the following event."""
    admin, evs = await _fresh_events(world, 3)
    target, following = evs[0], evs[1]
    table = AuditEvent.__table__
    forged = AuditEvent(**{**(await _chain_row(target)), "action": "webhook.disable"})
    forged_hash = chain_hash(forged.prev_hash, forged)
    try:
        await _exec(table.update().where(table.c.id == target.id)
                    .values(action="webhook.disable", hash=forged_hash))
        body = (await world.get(admin, "/api/v1/audit-events/verify")).json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == following.seq
        assert body["reason"] == "prev_hash_mismatch"
    finally:
        await _exec(table.update().where(table.c.id == target.id)
                    .values(action=target.action, hash=target.hash))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True


async def test_each_chain_starts_at_genesis(world):
    admin, _ = await _fresh_events(world, 1)
    async with sessionmaker()() as s:
        firsts = (await s.execute(sa.select(AuditEvent).where(AuditEvent.seq == 1))).scalars().all()
    assert str(admin.agency.id) in {e.chain for e in firsts}
    for first in firsts:
        assert first.prev_hash == GENESIS
        assert chain_hash(GENESIS, first) == first.hash
