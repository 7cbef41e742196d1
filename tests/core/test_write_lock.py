"""A transaction holds the write lock only for its writes: on SQLite it begins deferred and takes the lock at
its first write (the audit append, for a read), so a request that reads keeps no writer waiting while it
works; a snapshot another writer has moved past is not an error ("database is locked") but the start of the
writes on the newest data; writes stay all-or-nothing. (The same holds on PostgreSQL, where the chain head's
row lock is the only one an audited read takes.)"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.core.db import end_reads, sessionmaker
from app.identity.models import Agency
from app.trail.models import AuditEvent
from app.trail.recorder import GENESIS, chain_hash, record


def _principal(agency_id: uuid.UUID) -> Principal:
    return Principal(id=uuid.uuid4(), kind="user", agency_id=agency_id, agency_kind=AgencyKind.dv,
                     roles=frozenset({Role.agency_admin}))


async def _write_and_commit(name: str, principal: Principal) -> None:
    async with sessionmaker()() as s:
        s.add(Agency(name=name, kind="dv"))
        await record(s, principal, "test.write", "agency", name)
        await s.commit()


async def test_a_read_being_audited_keeps_no_writer_waiting(world):
    a = await world.agency("dv")
    reader, writer = _principal(a.id), _principal(a.id)
    name = f"Written meanwhile {uuid.uuid4().hex[:8]}"
    async with sessionmaker()() as s:
        # A read request: it reads, records that it read, and is still working ...
        assert (await s.execute(sa.select(Agency.name).where(Agency.id == a.id))).scalar_one() == a.name
        read = await record(s, reader, "test.read", "agency", a.id)
        # ... while another request writes and commits, without waiting for it (a lock held since the read
        # began would keep it waiting for the busy timeout, 30 s).
        await asyncio.wait_for(_write_and_commit(name, writer), timeout=5)
        await s.commit()
    async with sessionmaker()() as s:
        assert (await s.execute(sa.select(Agency).where(Agency.name == name))).first() is not None
        events = (await s.execute(sa.select(AuditEvent).where(AuditEvent.chain == str(a.id))
                                  .order_by(AuditEvent.seq))).scalars().all()
    # The read's event was appended at its commit, after the writer's, on the chain as it then stood.
    assert [e.action for e in events] == ["test.write", "test.read"]
    assert (read.seq, read.prev_hash) == (2, events[0].hash)
    prev = GENESIS
    for e in events:
        assert e.prev_hash == prev and chain_hash(prev, e) == e.hash
        prev = e.hash


async def test_writes_after_another_writer_moved_on_are_not_refused(world):
    a = await world.agency("dv")
    mine, theirs = f"Mine {uuid.uuid4().hex[:8]}", f"Theirs {uuid.uuid4().hex[:8]}"
    async with sessionmaker()() as s:
        await s.execute(sa.select(Agency.id).limit(1))  # a snapshot ...
        await asyncio.wait_for(_write_and_commit(theirs, _principal(a.id)), timeout=5)  # ... moved past
        s.add(Agency(name=mine, kind="dv"))
        await s.flush()  # no "database is locked": the writes begin on the newest data
        await record(s, _principal(a.id), "test.write", "agency", mine)
        await s.commit()
    async with sessionmaker()() as s:
        names = set((await s.execute(sa.select(Agency.name).where(Agency.name.in_([mine, theirs])))).scalars())
        assert names == {mine, theirs}
        seqs = (await s.execute(sa.select(AuditEvent.seq).where(AuditEvent.chain == str(a.id))
                                .order_by(AuditEvent.seq))).scalars().all()
    assert seqs == [1, 2]


async def test_writes_stay_all_or_nothing(world):
    a = await world.agency("dv")
    first, second = f"First {uuid.uuid4().hex[:8]}", f"Second {uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError):
        async with sessionmaker()() as s:
            await s.execute(sa.select(Agency.id).limit(1))
            s.add(Agency(name=first, kind="dv"))
            await s.flush()  # the lock is taken here
            await record(s, _principal(a.id), "test.write", "agency", first)
            s.add(Agency(name=second, kind="dv"))
            await s.flush()
            with pytest.raises(RuntimeError):
                await end_reads(s)  # a session with writes is not ended as a read
            raise RuntimeError("the request fails")
    async with sessionmaker()() as s:
        assert (await s.execute(sa.select(Agency).where(Agency.name.in_([first, second])))).first() is None
        assert (await s.execute(sa.select(AuditEvent).where(AuditEvent.chain == str(a.id)))).first() is None


async def test_end_reads_refuses_a_session_with_a_queued_audit_event(world):
    a = await world.agency("dv")
    async with sessionmaker()() as s:
        await record(s, _principal(a.id), "test.read", "agency", a.id)
        with pytest.raises(RuntimeError):
            await end_reads(s)
        await s.commit()
    async with sessionmaker()() as s:
        assert (await s.execute(sa.select(AuditEvent.action).where(AuditEvent.chain == str(a.id))
                                )).scalars().all() == ["test.read"]


async def test_a_writer_waits_its_turn_and_gives_up_as_sqlite_would(world, db_kind, monkeypatch):
    """On SQLite the writers of one process queue for the lock in arrival order; one that cannot get it
    within the busy timeout fails as SQLite's own "database is locked" does (a 503), not by hanging."""
    if db_kind != "sqlite":
        pytest.skip("the turn order is the embedded default's")
    from sqlalchemy.exc import OperationalError

    import app.core.db as db

    monkeypatch.setattr(db, "_SQLITE_BUSY_SECONDS", 0.3)
    async with sessionmaker()() as holder:
        holder.add(Agency(name=f"Holder {uuid.uuid4().hex[:8]}", kind="dv"))
        await holder.flush()  # holds the write lock (and the process's turn) until it ends
        async with sessionmaker()() as waiter:
            waiter.add(Agency(name=f"Waiter {uuid.uuid4().hex[:8]}", kind="dv"))
            with pytest.raises(OperationalError, match="database is locked"):
                await asyncio.wait_for(waiter.flush(), timeout=5)
            await waiter.rollback()
        await holder.rollback()
    # The turn was given back: the next writer goes straight in.
    await asyncio.wait_for(_write_and_commit(f"After {uuid.uuid4().hex[:8]}", _principal(uuid.uuid4())), timeout=5)
