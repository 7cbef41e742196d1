"""Async engine, the session dependency (commits or rolls back a whole request), shared column types."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy import MetaData, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, declared_attr
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.errors import AppError, NotFound
from app.core.files import private_sqlite_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes; returns aware UTC on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Versioned(SQLModel):
    """Optimistic concurrency: every UPDATE checks and bumps `version` (a lost race raises StaleDataError).

    The version is also the ETag of the resource.
    """

    if TYPE_CHECKING:  # set by SQLModel on each table class; its stubs do not say so
        __table__: ClassVar[sa.Table]

    version: int = Field(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


def factory(make: Callable[[], Any]) -> Callable[[], Any]:
    """`make` as a table field's default factory that states its signature up front.

    Building a row object, SQLModel asks pydantic, for every field with a default factory, whether the factory
    takes the validated data; pydantic answers with `inspect.signature`, on every object built (for a builtin
    such as `list`, by parsing its text signature). A `__signature__` set here answers at once."""

    def make_default() -> Any:
        return make()

    make_default.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
    make_default.__name__ = getattr(make, "__name__", "make_default")
    return make_default


_NEW_ID = factory(uuid.uuid4)
_NOW = factory(utcnow)
_EMPTY: dict[Callable[[], Any], Callable[[], Any]] = {list: factory(list), dict: factory(dict)}


def id_field() -> Any:
    return Field(default_factory=_NEW_ID, primary_key=True)


def created_field() -> Any:
    return Field(default_factory=_NOW, sa_type=UTCDateTime, nullable=False, index=True)


def time_field(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Callable[[], Any] = list) -> Any:
    return Field(default_factory=_EMPTY.get(default_factory) or factory(default_factory), sa_type=sa.JSON,
                 nullable=False)


_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_SQLITE_WRITING = "tandem_sqlite_writing"  # connection info: the open transaction holds the write lock
_SQLITE_READS = frozenset({"SELECT", "PRAGMA"})  # statements that leave a transaction a reader

PING_AFTER_IDLE = 1.0  # seconds a pooled PostgreSQL connection sits unused before its checkout pings it
_LAST_USED = "tandem_last_used"  # pool record info: when the connection was last handed back
_SQLITE_BUSY_SECONDS = 30  # how long a writer waits for SQLite's write lock (and for its turn in the process)
_SQLITE_TURN = "tandem_sqlite_turn"  # connection info: the process's writer turn this transaction holds


def _end_turn(info: dict[str, Any]) -> None:
    turn = info.pop(_SQLITE_TURN, None)
    if turn is not None:
        turn.release()


def _for_update(context: Any) -> bool:
    statement = getattr(getattr(context, "compiled", None), "statement", None)
    return getattr(statement, "_for_update_arg", None) is not None



def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            private_sqlite_file(Path(path))
        engine = create_async_engine(url, echo=settings.db_echo, hide_parameters=True, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # Let SQLAlchemy own transactions so every one begins as below.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_SECONDS * 1000}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A transaction reads without the write lock (a deferred BEGIN: readers never wait) ...
            conn.info[_SQLITE_WRITING] = True
            conn.exec_driver_sql("BEGIN")
            conn.info[_SQLITE_WRITING] = False

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _sqlite_write_lock(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any) -> None:
            # ... and takes it at its first write, which in a request is at its end: the services' flushes
            # and the audit append just before the commit. Upgrading a read snapshot to a writer fails at
            # once ("database is locked", no waiting) when another writer committed since it was taken, so
            # the read part ends here (it wrote nothing) and the writes go on in a BEGIN IMMEDIATE that
            # queues for the lock (busy_timeout) and sees the newest data, as a statement under
            # PostgreSQL's READ COMMITTED does; the writes stay all-or-nothing in that one transaction.
            # A SELECT ... FOR UPDATE (which SQLite does not know) reads to write: it takes the lock too, so
            # a check-then-write (an overlap check, a claim) is serialised as on PostgreSQL.
            if conn.info.get(_SQLITE_WRITING, True) or (
                    statement.lstrip()[:6].upper() in _SQLITE_READS and not _for_update(context)):
                return
            conn.info[_SQLITE_WRITING] = True
            # The writers of this process take turns in arrival order (SQLite's busy handler retries with
            # growing sleeps, which lets a waiter starve for seconds under load); other processes still
            # queue through busy_timeout.
            turn = turns.get(asyncio.get_running_loop())
            if turn is None:
                turns.clear()
                turn = turns[asyncio.get_running_loop()] = asyncio.Lock()
            try:
                await_only(asyncio.wait_for(turn.acquire(), _SQLITE_BUSY_SECONDS))
            except TimeoutError as e:  # as SQLite's own busy timeout would answer (a 503)
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")) from e
            conn.info[_SQLITE_TURN] = turn
            raw = conn.connection.cursor()
            try:
                raw.execute("ROLLBACK")
                raw.execute("BEGIN IMMEDIATE")
            except BaseException:
                _end_turn(conn.info)
                raise
            finally:
                raw.close()

        turns: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

        @event.listens_for(engine.sync_engine, "commit")
        @event.listens_for(engine.sync_engine, "rollback")
        def _sqlite_txn_end(conn: Any) -> None:
            # Just before the COMMIT/ROLLBACK: the next writer's BEGIN IMMEDIATE waits out that moment
            # in SQLite's busy handler.
            _end_turn(conn.info)

        @event.listens_for(engine.sync_engine.pool, "reset")
        @event.listens_for(engine.sync_engine.pool, "invalidate")
        @event.listens_for(engine.sync_engine.pool, "close")
        def _sqlite_conn_end(dbapi_conn: Any, record: Any, *_: Any) -> None:
            if record is not None:
                _end_turn(record.info)

        return engine
    engine = create_async_engine(
        url,
        echo=settings.db_echo,
        hide_parameters=True,  # statement parameters are personal data: keep them out of logs and errors
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        # Pinged on checkout below, after an idle spell only: pool_pre_ping's asyncpg ping takes three round
        # trips (BEGIN, ";", ROLLBACK) on every request; this one takes one, and none on a busy connection.
        pool_pre_ping=False,
    )
    if url.startswith("postgresql+asyncpg"):

        @event.listens_for(engine.sync_engine, "checkin")
        def _used(dbapi_conn: Any, record: Any) -> None:
            record.info[_LAST_USED] = time.monotonic()

        @event.listens_for(engine.sync_engine, "checkout")
        def _ping(dbapi_conn: Any, record: Any, proxy: Any) -> None:
            """A pooled connection the database dropped while it sat idle (restart, failover, idle timeout) is
            replaced before the request uses it: DisconnectionError makes the pool reconnect. One handed back
            less than PING_AFTER_IDLE ago is not pinged: if the database went away in that moment, the
            request's first statement finds out, is answered 503, and invalidates the whole pool (every
            connection made before is replaced at its next checkout), as the ping would have."""
            if time.monotonic() - record.info.get(_LAST_USED, -PING_AFTER_IDLE) < PING_AFTER_IDLE:
                return
            try:
                await_only(record.driver_connection.fetchrow(";"))
            except Exception as e:
                raise DisconnectionError("pooled connection is gone") from e

    return engine


def get_engine() -> AsyncEngine:
    global _engine, _sessionmaker
    if _engine is None:
        _engine = make_engine(get_settings())
        _sessionmaker = async_sessionmaker(_engine, expire_on_commit=False, autoflush=False)
    return _engine


def sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


async def dispose_engine() -> None:
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None


# Committing is done here and nowhere else in a request (tests/core/test_architecture_commits.py keeps it so):
# the session dependency ends each request's transaction, and `own_transaction` is the one way to run a short
# transaction apart from it. Background jobs and commands that own their sessions are listed in that test.


async def _end(session: AsyncSession, error: BaseException | None) -> None:
    """End a transaction: commit when its block succeeded, or when it failed with an error that keeps the
    writes made so far (`AppError.keep_writes`: a refusal that must stay on record); roll back otherwise. A
    failed commit rolls back and is raised instead of the error (nothing is answered as kept that was not)."""
    if error is not None and not (isinstance(error, AppError) and error.keep_writes):
        await session.rollback()
        return
    try:
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    for hook in COMMIT_HOOKS:
        await hook(session)


# Awaited after each commit `_end` makes, before the request answers (e.g. app.auth.principal_cache waits until
# the invalidations its commit sent have gone out to every process).
COMMIT_HOOKS: list[Callable[[AsyncSession], Awaitable[None]]] = []


@asynccontextmanager
async def own_transaction() -> AsyncIterator[AsyncSession]:
    """A short transaction apart from the request's, committed when the block ends (rolled back on an error
    unless it keeps writes). For work that must hold whatever the request answers, or must not keep the
    request's transaction (and on SQLite its lock) open, e.g. a login attempt counted before the slow hash
    check."""
    async with sessionmaker()() as session:
        try:
            yield session
        except BaseException as e:
            await _end(session, e)
            raise
        await _end(session, None)


# Run before each request opens its session (e.g. loading the key ring once: app/core/keyring.py).
REQUEST_HOOKS: list[Callable[[], Awaitable[None]]] = []


async def get_session() -> AsyncIterator[AsyncSession]:
    """One session per request: commit when the route succeeds, roll back on any error, except an error that
    keeps the request's writes (`AppError.keep_writes`, e.g. a refused disclosure), which commits them before
    it is answered."""
    for hook in REQUEST_HOOKS:
        await hook()
    async with own_transaction() as session:
        yield session


# The request's session, as every route and dependency takes it (one per request: the same object throughout).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop("wrote", None)


async def end_reads(session: AsyncSession) -> None:
    """End the request's transaction while it has only read (the token check), so slow work that follows and
    reads in short transactions of its own holds no lock meanwhile (on SQLite every transaction holds the
    database's write lock). Rolling back what only read changes nothing; a session with writes is refused."""
    if session.new or session.dirty or session.deleted or session.info.get("wrote"):
        raise RuntimeError("end_reads on a session that has written")
    await session.rollback()


_Row = TypeVar("_Row")


async def one_or_404(session: AsyncSession, stmt: sa.Select[_Row], what: str) -> _Row:
    """The one object a visibility-filtered select finds, or 404 naming `what` (another agency's object, or
    one the caller may not see, is not found)."""
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(what)
    return found
