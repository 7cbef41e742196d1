"""app.core.sql.Prebuilt: a hot statement built once and, on PostgreSQL, sent straight on the driver connection of
the session. The same rows and types as through the session on every database; on PostgreSQL, reads that open
no transaction, writes that do, a deferred write sent with the commit's audit append (or before anything that
could refer to it) and dropped with a rollback, errors raised as SQLAlchemy raises them, and the checkout ping
only after an idle spell."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import db as core_db
from app.core.db import UTCDateTime, get_engine, own_transaction, sessionmaker
from app.core.sql import Prebuilt, any_of, rows_together
from app.trail.recorder import record
from tests.statements import statements

pg_only = pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                             reason="the driver path runs on PostgreSQL (asyncpg)")


@pytest.fixture
async def probe(world) -> AsyncIterator[sa.Table]:
    """A scratch table of this test's own, dropped after it."""
    table = sa.Table(f"prebuilt_probe_{uuid.uuid4().hex[:8]}", sa.MetaData(),
                     sa.Column("id", sa.Uuid(), primary_key=True),
                     sa.Column("at", UTCDateTime(), nullable=False),
                     sa.Column("tags", sa.JSON(), nullable=False),
                     sa.Column("note", sa.String(40)))
    async with get_engine().begin() as conn:
        await conn.run_sync(table.create)
    try:
        yield table
    finally:
        async with get_engine().begin() as conn:
            await conn.run_sync(table.drop)


def _insert(table: sa.Table) -> Prebuilt:
    return Prebuilt(table.insert().values({c.key: sa.bindparam(c.key, type_=c.type) for c in table.c}))


def _by_ids(table: sa.Table) -> Prebuilt:
    return Prebuilt(sa.select(table.c.id, table.c.at, table.c.tags, table.c.note)
                    .where(any_of(table.c.id, "ids")).order_by(table.c.at))


async def _count(table: sa.Table) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()


async def test_rows_read_as_the_session_reads_them(probe):
    insert, select = _insert(probe), _by_ids(probe)
    a, b = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    async with own_transaction() as s:
        await insert.run(s, {"id": a, "at": at, "tags": ["x", "y"], "note": "first"})
        await insert.run(s, {"id": b, "at": at + timedelta(hours=1), "tags": [], "note": None})
    async with sessionmaker()() as s:
        rows = await select.rows(s, {"ids": [a, b, uuid.uuid4()]})
        through_session = (await s.execute(select.statement, {"ids": [a, b]})).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in through_session]
    first = rows[0]
    assert (first.id, first.at, first.tags, first.note) == (a, at, ["x", "y"], "first")
    assert isinstance(first.id, uuid.UUID)
    assert first.at.tzinfo is not None and first.at.utcoffset() == timedelta(0)
    assert rows[1]._asdict() == {"id": b, "at": at + timedelta(hours=1), "tags": [], "note": None}


async def test_listeners_see_each_statement(probe):
    async with sessionmaker()() as s:
        with statements() as seen:
            await _by_ids(probe).rows(s, {"ids": [uuid.uuid4()]})
    assert len([st for st in seen if probe.name in st]) == 1  # (SQLite's BEGIN is counted too)


@pg_only
async def test_a_read_opens_no_transaction_and_a_write_does(probe):
    """As the server reports it to the driver (its transaction status after each statement)."""
    select, insert = _by_ids(probe), _insert(probe)
    async with sessionmaker()() as s:
        conn = await s.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await select.rows(s, {"ids": [uuid.uuid4()]})
        assert not raw.is_in_transaction()
        await insert.run(s, {"id": uuid.uuid4(), "at": datetime.now(UTC), "tags": [], "note": None})
        assert raw.is_in_transaction()
        await select.rows(s, {"ids": [uuid.uuid4()]})  # a read after a write stays in its transaction
        assert raw.is_in_transaction()
        await s.rollback()
    assert await _count(probe) == 0


@pg_only
async def test_a_deferred_write_goes_with_the_audit_append_and_alone_needs_no_transaction(probe):
    insert = _insert(probe)
    row = uuid.uuid4()
    with statements() as seen:
        async with own_transaction() as s:
            await insert.defer(s, {"id": row, "at": datetime.now(UTC), "tags": ["held"], "note": None})
            assert await _count(probe) == 0  # not sent yet
            await record(s, None, "probe.write", "probe", row)
    assert await _count(probe) == 1
    mine = [st for st in seen if f"INSERT INTO {probe.name}" in st]
    assert len(mine) == 1 and "audit_append" in mine[0] and mine[0].lstrip().upper().startswith("WITH")


@pg_only
async def test_a_deferred_write_is_dropped_with_a_rollback(probe):
    async with sessionmaker()() as s:
        await _insert(probe).defer(s, {"id": uuid.uuid4(), "at": datetime.now(UTC), "tags": [], "note": None})
        await s.rollback()
    async with own_transaction() as s:
        await record(s, None, "probe.write", "probe", None)
    assert await _count(probe) == 0


@pg_only
async def test_a_deferred_write_is_sent_before_any_statement_that_could_refer_to_it(probe):
    row = uuid.uuid4()
    async with own_transaction() as s:
        await _insert(probe).defer(s, {"id": row, "at": datetime.now(UTC), "tags": [], "note": "held"})
        # A statement through the session after it sees it (and would find it to refer to).
        seen = (await s.execute(sa.select(probe.c.note).where(probe.c.id == row))).scalar_one_or_none()
    assert seen == "held"
    # And a later Prebuilt statement too.
    row2 = uuid.uuid4()
    async with own_transaction() as s:
        await _insert(probe).defer(s, {"id": row2, "at": datetime.now(UTC), "tags": [], "note": "again"})
        rows = await _by_ids(probe).rows(s, {"ids": [row2]})
    assert [r.note for r in rows] == ["again"]


@pg_only
async def test_two_deferred_writes_alone_at_the_commit_are_all_or_nothing(probe):
    """Without audit events, held writes are sent at the commit; two of them in one transaction: the second
    fails (same key), and the first is not kept either."""
    row = uuid.uuid4()
    with pytest.raises(IntegrityError):
        async with own_transaction() as s:
            for note in ("one", "two"):
                await _insert(probe).defer(s, {"id": row, "at": datetime.now(UTC), "tags": [], "note": note})
    assert await _count(probe) == 0


@pg_only
async def test_database_errors_are_raised_as_sqlalchemy_raises_them(probe):
    row = uuid.uuid4()
    async with own_transaction() as s:
        await _insert(probe).run(s, {"id": row, "at": datetime.now(UTC), "tags": [], "note": None})
    with pytest.raises(IntegrityError):
        async with own_transaction() as s:
            await _insert(probe).run(s, {"id": row, "at": datetime.now(UTC), "tags": [], "note": None})
    assert await _count(probe) == 1


@pytest.fixture
async def engine():
    """An engine of the test's own: used by one session at a time, its pool holds one connection."""
    from app.core.config import get_settings
    engine = core_db.make_engine(get_settings())
    try:
        yield engine
    finally:
        await engine.dispose()


async def _pid(engine) -> int:
    async with AsyncSession(engine) as s:
        return (await s.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()


async def _terminate(pid: int) -> None:
    """End the server process of a connection sitting in the pool (and wait until it has gone)."""
    async with sessionmaker()() as other:
        assert (await other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})).scalar_one()


@pg_only
async def test_a_connection_lost_while_busy_fails_one_statement_then_the_pool_reconnects(probe, engine, monkeypatch):
    """Handed back moments ago, the connection is not pinged at checkout: its loss is found by the first
    statement (raised as a lost connection, the 503 of the API) and the pool is replaced."""
    monkeypatch.setattr(core_db, "PING_AFTER_IDLE", 3600.0)
    select = _by_ids(probe)
    await _terminate(await _pid(engine))
    async with AsyncSession(engine) as s:
        with pytest.raises(DBAPIError) as lost:
            await select.rows(s, {"ids": []})
        assert lost.value.connection_invalidated
    async with AsyncSession(engine) as s:
        assert await select.rows(s, {"ids": []}) == []


@pg_only
async def test_a_connection_lost_while_idle_is_replaced_at_checkout(probe, engine, monkeypatch):
    monkeypatch.setattr(core_db, "PING_AFTER_IDLE", 0.0)
    select = _by_ids(probe)
    await _terminate(await _pid(engine))
    async with AsyncSession(engine) as s:
        assert await select.rows(s, {"ids": []}) == []


async def test_selects_read_together_are_read_as_each_alone(probe):
    """rows_together: several selects (here the same one with other parameters, and one that finds nothing)
    answer as each would alone, values, types and order; on PostgreSQL in one statement."""
    insert, select = _insert(probe), _by_ids(probe)
    rows = [(uuid.uuid4(), datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(minutes=i), [f"t{i}"], f"n{i}" if i else None)
            for i in range(3)]
    async with own_transaction() as s:
        for id_, at, tags, note in rows:
            await insert.run(s, {"id": id_, "at": at, "tags": tags, "note": note})
    asks = [{"ids": [r[0] for r in rows]}, {"ids": [rows[2][0], rows[0][0]]}, {"ids": [uuid.uuid4()]}]
    async with sessionmaker()() as s:
        alone = [await select.rows(s, params) for params in asks]
        with statements() as seen:
            together = await rows_together(s, [(select, params) for params in asks])
    assert [[tuple(r) for r in rs] for rs in together] == [[tuple(r) for r in rs] for rs in alone]
    assert [r.note for r in together[0]] == [None, "n1", "n2"]  # sorted by `at`, as the select sorts
    assert isinstance(together[0][0].id, uuid.UUID) and together[0][0].at.tzinfo is not None
    if get_engine().dialect.name == "postgresql":
        assert len([st for st in seen if probe.name in st]) == 1
