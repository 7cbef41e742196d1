"""The audit trail: own-agency listing with filters and keyset pages; one unbroken hash chain under concurrent
writers; tampering (edit, delete, re-hash) detected and located, through the API and `tandem audit verify`.
(Verification's checkpoints, limits and own-agency answer: test_verify.py.)"""

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
from app.trail.models import AuditEvent
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
        assert seqs == sorted(seqs, reverse=True)
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
    # The agency is told its own events' count and the chain hash at its newest event.
    assert r.json() == {"ok": True, "length": len(mine), "head_hash": mine[-1].hash}
    async with sessionmaker()() as s:
        count = (await s.execute(sa.select(sa.func.count()).select_from(AuditEvent))).scalar_one()
        head = (await s.execute(sa.select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))).scalar_one()
    whole = {"ok": True, "length": count, "head_hash": head}
    # The whole chain, read 3 rows and 1 row at a time (batch boundaries keep the link).
    assert await verify_chain(batch_size=3, full=True) == whole
    assert await verify_chain(batch_size=1, full=True) == whole


async def test_concurrent_writers_leave_one_contiguous_unbroken_chain(world):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    principal = Principal(id=admin.id, kind="user", agency_id=a.id, agency_kind=AgencyKind.dv,
                          roles=frozenset({Role.agency_admin}))
    marker = uuid.uuid4().hex

    async def writer(n: int) -> None:
        for i in range(5):
            async with sessionmaker()() as s:
                await record(s, principal, "test.concurrent", "test_object", f"{marker}-{n}-{i}")
                await s.commit()

    async def http_writer() -> int:
        r = await world.post(admin, "/api/v1/webhooks", hook_body())
        return r.status_code

    results = await asyncio.gather(*(writer(n) for n in range(16)), *(http_writer() for _ in range(16)))
    assert results[16:] == [201] * 16

    async with sessionmaker()() as s:
        seqs = (await s.execute(sa.select(AuditEvent.seq).order_by(AuditEvent.seq))).scalars().all()
        assert seqs == list(range(1, len(seqs) + 1))
        mine = (await s.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                .where(AuditEvent.object_id.like(f"{marker}-%")))).scalar_one()
        assert mine == 80
    r = await world.get(admin, "/api/v1/audit-events/verify")
    assert r.json()["ok"] is True and r.json()["length"] == len(await events_of(a.id)) == 96


async def _chain_row(seq: int) -> dict:
    async with sessionmaker()() as s:
        row = (await s.execute(sa.select(AuditEvent.__table__).where(AuditEvent.seq == seq))).mappings().one()
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


async def test_editing_one_row_is_detected_and_located_by_api_and_cli(world, verify_often):
    admin, evs = await _fresh_events(world, 3)
    target = evs[1]
    table = AuditEvent.__table__
    try:
        await _exec(table.update().where(table.c.seq == target.seq).values(action="webhook.disable"))
        r = await world.get(admin, "/api/v1/audit-events/verify")
        body = r.json()
        assert r.status_code == 200
        assert body["ok"] is False
        assert body["first_broken_seq"] == target.seq
        assert body["reason"] == "hash_mismatch"
        assert body["verified_length"] == 1  # the agency's own intact events before it

        for args in (("audit", "verify"), ("audit", "verify", "--full")):
            code, out = await run_cli(*args)
            assert code == 1, out
            printed = json.loads(out.strip().splitlines()[-1])
            assert printed["ok"] is False and printed["first_broken_seq"] == target.seq
            assert printed["verified_length"] == target.seq - 1  # the whole chain's, for the operator
    finally:
        await _exec(table.update().where(table.c.seq == target.seq).values(action=target.action))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True
    code, out = await run_cli("audit", "verify", "--full")
    assert code == 0, out
    assert json.loads(out.strip().splitlines()[-1])["ok"] is True


async def test_deleting_one_row_is_detected_as_a_missing_sequence_number(world, verify_often):
    admin, evs = await _fresh_events(world, 3)
    target = evs[1]
    saved = await _chain_row(target.seq)
    table = AuditEvent.__table__
    try:
        await _exec(table.delete().where(table.c.seq == target.seq))
        body = (await world.get(admin, "/api/v1/audit-events/verify")).json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == target.seq
        assert body["reason"] == "missing_seq"
    finally:
        await _exec(table.insert().values(**saved))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True


async def test_a_rehashed_edit_breaks_the_next_link(world, verify_often):
    """Someone who edits a row and recomputes its hash still breaks the link to the following event."""
    admin, evs = await _fresh_events(world, 3)
    target, following = evs[0], evs[1]
    table = AuditEvent.__table__
    forged = AuditEvent(**{**(await _chain_row(target.seq)), "action": "webhook.disable"})
    forged_hash = chain_hash(forged.prev_hash, forged)
    try:
        await _exec(table.update().where(table.c.seq == target.seq)
                    .values(action="webhook.disable", hash=forged_hash))
        body = (await world.get(admin, "/api/v1/audit-events/verify")).json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == following.seq
        assert body["reason"] == "prev_hash_mismatch"
    finally:
        await _exec(table.update().where(table.c.seq == target.seq)
                    .values(action=target.action, hash=target.hash))
    assert (await world.get(admin, "/api/v1/audit-events/verify")).json()["ok"] is True


async def test_chain_starts_at_genesis():
    async with sessionmaker()() as s:
        first = (await s.execute(sa.select(AuditEvent).where(AuditEvent.seq == 1))).scalar_one()
    assert first.prev_hash == GENESIS
    assert chain_hash(GENESIS, first) == first.hash
