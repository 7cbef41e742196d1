"""The audit append at commit: every chain a commit touches in one statement on PostgreSQL (the database hashes
as chain_hash does) and two on SQLite, each head keeping its newest
event's seq and hash; concurrent first appends to a new chain; a head altered is caught by verification; the
migration that gave the heads their hash. (The chains under concurrent request traffic: test_audit.py.)"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.audit.service import verify_chain
from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.cli import alembic_config
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.trail.models import PLATFORM_CHAIN, AuditChainHead, AuditEvent
from app.trail.recorder import GENESIS, chain_hash, record
from tests.audit.test_audit import _exec
from tests.core.test_migrations import _on, scratch_url  # noqa: F401  (the fixture)
from tests.statements import statements


def actor(agency_id: uuid.UUID) -> Principal:
    return Principal(id=uuid.uuid4(), kind="user", agency_id=agency_id, agency_kind=AgencyKind.dv,
                     roles=frozenset({Role.agency_admin}))




async def chain_state(chain: str) -> tuple[list[AuditEvent], tuple[int, str] | None]:
    async with sessionmaker()() as s:
        events = (await s.execute(sa.select(AuditEvent).where(AuditEvent.chain == chain)
                                  .order_by(AuditEvent.seq))).scalars().all()
        head = (await s.execute(sa.select(AuditChainHead.seq, AuditChainHead.hash)
                                .where(AuditChainHead.chain == chain))).first()
    return list(events), (head.seq, head.hash) if head else None


async def test_a_commit_appends_to_every_chain_it_touches_in_one_statement_or_two(world, db_kind):
    a, b = uuid.uuid4(), uuid.uuid4()
    # Each chain already has events: the commit below links to its head, not to genesis.
    for agency in (a, b):
        async with sessionmaker()() as s:
            await record(s, actor(agency), "test.before", "test_object", "0")
            await s.commit()

    async with sessionmaker()() as s:
        # The disclosure accounting's chain and the reader's, as a referral read by the receiver touches them;
        # two events on one of them, and the platform's chain too.
        queued = [await record(s, actor(a), "test.read", "test_object", "1"),
                  await record(s, actor(a), "test.disclose", "test_object", "1", agency_id=b),
                  await record(s, actor(a), "test.read", "test_object", "2"),
                  await record(s, None, "test.platform", "test_object", "3")]
        with statements() as seen:
            await s.commit()
    assert len(seen) == (1 if db_kind == "postgresql" else 2), seen
    # Each queued event learns the seq and hashes it was stored with.
    async with sessionmaker()() as s:
        stored = {e.id: e for e in (await s.execute(
            sa.select(AuditEvent).where(AuditEvent.id.in_([q.id for q in queued])))).scalars()}
    assert [(q.chain, q.seq, q.prev_hash, q.hash) for q in queued] == [
        (stored[q.id].chain, stored[q.id].seq, stored[q.id].prev_hash, stored[q.id].hash) for q in queued]
    assert [q.seq for q in queued[:3]] == [2, 2, 3]
    assert all(chain_hash(q.prev_hash, q) == q.hash for q in queued)

    for chain, n in ((str(a), 3), (str(b), 2)):
        events, head = await chain_state(chain)
        assert [e.seq for e in events] == list(range(1, n + 1))
        assert head == (n, events[-1].hash)  # the head keeps its newest event's seq and hash
        assert events[1].prev_hash == events[0].hash
        assert await verify_chain(chain, full=True) == {"ok": True, "length": n, "head_hash": events[-1].hash}
    assert (await verify_chain(PLATFORM_CHAIN, full=True))["ok"] is True


async def test_a_long_append_hashes_every_seq_as_verification_does(world):
    agency = uuid.uuid4()
    async with sessionmaker()() as s:
        for i in range(12):  # seqs of one and two digits, in one commit
            await record(s, actor(agency), "test.many", "test_object", str(i))
        await s.commit()
    events, head = await chain_state(str(agency))
    assert [e.seq for e in events] == list(range(1, 13)) and head == (12, events[-1].hash)
    assert await verify_chain(str(agency), full=True) == {"ok": True, "length": 12, "head_hash": events[-1].hash}


def test_the_canonical_form_ends_with_the_seq():
    from app.trail.recorder import QueuedEvent, _canonical_before_seq, canonical

    ev = QueuedEvent(chain="c", at=datetime(2026, 12, 5, tzinfo=UTC), actor_type="user", actor_id="u\u00e9",
                     agency_id=uuid.uuid4(), action="a", object_type="o", object_id=None, request_id="r",
                     outcome="success")
    for seq in (1, 10, 123_456):
        ev.seq = seq
        assert canonical(ev) == f"{_canonical_before_seq(ev)}{seq}}}".encode()


async def test_concurrent_first_appends_to_new_chains_leave_gap_free_verifiable_chains(world):
    """Twenty sessions append at once to two chains that have no head row yet, each to both, in either order:
    every first append creates the head or waits for the one that did, nobody deadlocks, no seq is lost."""
    a, b = uuid.uuid4(), uuid.uuid4()

    async def writer(n: int) -> None:
        async with sessionmaker()() as s:
            first, second = (a, b) if n % 2 else (b, a)
            await record(s, actor(first), "test.first", "test_object", f"{n}-1")
            await record(s, actor(first), "test.first", "test_object", f"{n}-2", agency_id=second)
            if n % 3 == 0:
                await record(s, actor(first), "test.first", "test_object", f"{n}-3")
            await s.commit()

    await asyncio.gather(*(writer(n) for n in range(20)))

    # One event to each chain per writer, and a third to its first chain for n = 0, 3, ..., 18 (odd n: a).
    expected = {str(a): 20 + 3, str(b): 20 + 4}
    for chain, n in expected.items():
        events, head = await chain_state(chain)
        assert [e.seq for e in events] == list(range(1, n + 1)), chain
        assert events[0].prev_hash == GENESIS
        assert head == (n, events[-1].hash)
        result = await verify_chain(chain, full=True)
        assert result == {"ok": True, "length": n, "head_hash": events[-1].hash}, result


async def test_a_head_altered_is_caught_before_the_next_append_links_to_it(world):
    a = uuid.uuid4()
    for i in range(3):
        async with sessionmaker()() as s:
            await record(s, actor(a), "test.step", "test_object", str(i))
            await s.commit()
    chain = str(a)
    events, head = await chain_state(chain)
    assert head == (3, events[-1].hash)
    assert (await verify_chain(chain))["ok"] is True  # a checkpoint at the head
    heads = AuditChainHead.__table__
    try:
        await _exec(heads.update().where(heads.c.chain == chain).values(hash=events[0].hash))
        result = await verify_chain(chain, full=True)
        assert (result["ok"], result["reason"], result["first_broken_seq"], result["verified_length"]) == (
            False, "head_mismatch", 4, 3)
        assert (await verify_chain(chain))["reason"] == "head_mismatch"  # resumed from the checkpoint too
    finally:
        await _exec(heads.update().where(heads.c.chain == chain).values(hash=events[-1].hash))
    assert (await verify_chain(chain, full=True))["ok"] is True


def test_the_migration_gives_each_head_its_newest_events_hash(scratch_url, monkeypatch):  # noqa: F811
    from alembic import command

    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    cfg = alembic_config()
    command.upgrade(cfg, "family_view")
    events = sa.table("audit_events", *[sa.column(c.name, c.type) for c in AuditEvent.__table__.columns])
    heads = sa.table("audit_chain_heads", sa.column("chain", sa.String()), sa.column("seq", sa.Integer()))
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    rows, prev = [], GENESIS
    a = uuid.uuid4()
    for seq in (1, 2, 3):
        ev = AuditEvent(chain=str(a), seq=seq, at=at + timedelta(seconds=seq), actor_type="user", agency_id=a,
                        action="test.step", object_type="test", prev_hash=prev, hash="")
        ev.hash = prev = chain_hash(prev, ev)
        rows.append({c.name: getattr(ev, c.name) for c in AuditEvent.__table__.columns})
    _on(scratch_url, lambda conn: conn.execute(events.insert(), rows))
    _on(scratch_url, lambda conn: conn.execute(heads.insert(), [{"chain": str(a), "seq": 3},
                                                               {"chain": "empty", "seq": 0}]))

    command.upgrade(cfg, "audit_head_hash")
    found = dict(_on(scratch_url, lambda conn: conn.execute(sa.text(
        "SELECT chain, hash FROM audit_chain_heads")).all()))
    assert found == {str(a): rows[-1]["hash"], "empty": GENESIS}

    command.downgrade(cfg, "family_view")
    assert _on(scratch_url, lambda conn: {c["name"] for c in sa.inspect(conn).get_columns("audit_chain_heads")}
               ) == {"chain", "seq"}
    command.upgrade(cfg, "head")
