"""Callers' accounts kept in memory per process, dropped the moment a change that can end or narrow a token
commits, in every process.

A request checks its token (token version, roles, agency) against the caller's account on every request, as
it always has; this module lets that account come from memory instead of the database. What is kept is only
what the check needs (`Account`), per (kind, id), at most `TANDEM_PRINCIPAL_CACHE_SIZE` entries.

Invalidation, once for every writer: any flush that updates or deletes a user, an agency system, a person
account or an agency (and any bulk UPDATE/DELETE of their tables) notes the account on the session; just
before the session commits, on PostgreSQL, `SELECT pg_notify('tandem_principals', 'user:<id>,...')` is sent in
that transaction, so it is delivered only if the transaction commits (a rollback sends nothing). After the
commit this process drops the entries at once; every process (every worker, every host) keeps one LISTEN
connection (`Listener`) and drops them when the notification arrives. While that connection is down or not
yet up the cache is off (every request reads the account) and it is cleared when the connection is back, so a
notification missed meanwhile cannot leave a stale entry.

The writing request waits (at most `WAIT_SECONDS`) until its own listener has received its notification
before it answers: PostgreSQL hands a notification to every listening connection at the commit, so once one
listener has it the others have been sent it too, and the caller's next request, to any worker, finds the
entry gone.

On SQLite the same hook drops the entries in process after the commit, and rewrites a 16-byte stamp in a file
beside the database (`<database>-principals`, mapped into memory by every process of that database, e.g. the
workers of `tandem start`): a process that finds the stamp changed clears its cache before its next lookup.

A read of the account races with a change: a request takes the cache's generation before it reads, and its
result is kept only if no invalidation came in between (a snapshot read before a commit is never stored after
its invalidation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mmap
import os
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.core.config import get_settings
from app.core.db import COMMIT_HOOKS
from app.identity.models import Agency, ApiClient, PersonAccount, User

log = logging.getLogger(__name__)

CHANNEL = "tandem_principals"
WAIT_SECONDS = 1.0  # how long a writing request waits for its own notification to come back
PING_SECONDS = 10.0  # the listener checks its connection this often when nothing arrives
MAX_AGE_SECONDS = 600.0  # a safety net only (a change made outside Tandem, e.g. by hand in psql)
APPLICATION_NAME = "tandem principal listener"  # the LISTEN connection, as pg_stat_activity names it
_PAYLOAD_BYTES = 7000  # under PostgreSQL's 8000-byte notification payload
_STAMP = 16

_KINDS: dict[type, str] = {User: "user", ApiClient: "client", PersonAccount: "person", Agency: "agency"}
_TABLES = {"users": "user", "api_clients": "client", "person_accounts": "person", "agencies": "agency"}
_CHANGED = "principals_changed"  # session.info: "<kind>:<id>" of accounts the open transaction changed
_SENT = "principals_sent"  # session.info: (items, nonce) the committing transaction sent
_WAIT = "principals_wait"  # session.info: nonces of committed notifications to wait for


@dataclass(frozen=True, slots=True)
class Account:
    """What the token check needs of a caller's account and its agency (for an agency itself, as external
    tokens need it: id = agency_id and agency_kind)."""

    id: uuid.UUID
    active: bool
    token_version: int
    roles: frozenset[str]
    agency_id: uuid.UUID | None
    agency_kind: str | None  # None: no agency, or (agency_id set) the agency is gone
    email: str | None = None
    client_id: str | None = None
    person_id: uuid.UUID | None = None
    locked: bool = False


class _Stamp:
    """16 bytes in a file beside a SQLite database, shared (mapped) by every process of that database."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _STAMP:
                os.ftruncate(fd, _STAMP)
            self._map = mmap.mmap(fd, _STAMP)
        finally:
            os.close(fd)
        self._seen = self._map[:_STAMP]

    def changed(self) -> bool:
        now = self._map[:_STAMP]
        if now == self._seen:
            return False
        self._seen = now
        return True

    def bump(self) -> None:
        # A fresh random value, never a counter: two processes writing at once still leave a value every
        # other process has not seen.
        self._map[:_STAMP] = secrets.token_bytes(_STAMP)


class PrincipalCache:
    def __init__(self, size: int, stamp: _Stamp | None = None) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, uuid.UUID], tuple[float, Account]] = OrderedDict()
        self._generation = 0
        self._on = False
        self._stamp = stamp

    @property
    def on(self) -> bool:
        return self._on

    def __len__(self) -> int:
        return len(self._entries)

    def _sync(self) -> None:
        if self._stamp is not None and self._stamp.changed():
            self.clear()

    def generation(self) -> int:
        """Take before reading an account; pass to `put` with what was read."""
        self._sync()
        return self._generation

    def get(self, kind: str, ref: uuid.UUID) -> Account | None:
        if not self._on:
            return None
        self._sync()
        key = (kind, ref)
        found = self._entries.get(key)
        if found is None:
            return None
        if time.monotonic() - found[0] > MAX_AGE_SECONDS:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, kind: str, account: Account, generation: int) -> None:
        """Keep what was read, unless an invalidation came in since `generation` was taken."""
        if not self._on:
            return
        self._sync()
        if generation != self._generation:
            return
        key = (kind, account.id)
        self._entries[key] = (time.monotonic(), account)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def invalidate(self, items: Iterable[str]) -> None:
        """Drop `<kind>:<id>` (an agency: every account of it too; `<kind>:*`: every one of that kind)."""
        self._generation += 1
        for item in items:
            kind, _, ref = item.partition(":")
            if kind == "tx":
                continue
            if ref == "*":
                for key in [k for k in self._entries if k[0] == kind]:
                    del self._entries[key]
                continue
            try:
                ident = uuid.UUID(ref)
            except ValueError:
                self._entries.clear()
                continue
            self._entries.pop((kind, ident), None)
            if kind == "agency":
                for key in [k for k, (_, a) in self._entries.items() if a.agency_id == ident]:
                    del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
        self._generation += 1

    def turn_on(self) -> None:
        self.clear()
        self._on = self.size > 0

    def turn_off(self) -> None:
        self._on = False
        self.clear()

    def bump_stamp(self) -> None:
        if self._stamp is not None:
            self._stamp.bump()


_cache: PrincipalCache | None = None


def _sqlite_stamp(url: str) -> _Stamp | None:
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None  # a database only this process can open
    return _Stamp(Path(f"{path}-principals"))


def cache() -> PrincipalCache:
    """This process's cache: on SQLite on from the start; on PostgreSQL off until the listener is up."""
    global _cache
    if _cache is None:
        settings = get_settings()
        size = settings.principal_cache_size
        if settings.is_sqlite:
            try:
                made = PrincipalCache(size, _sqlite_stamp(settings.database_url))
            except OSError as e:  # no stamp file, no way to hear other processes: stay off
                log.warning("principal cache off: no stamp file beside the database (%s)", type(e).__name__)
                made = PrincipalCache(0)
            made.turn_on()
        else:
            made = PrincipalCache(size)
        _cache = made
    return _cache


# ------------------------------------------------------------------ the listener (PostgreSQL)


class Listener:
    """One LISTEN connection per process, reconnecting with backoff; the cache is on only while it is up."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[str, asyncio.Event] = {}
        self.up = False
        self.server_pid: int | None = None  # the listening backend
        self.outages = 0  # connections lost or refused so far

    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        _cancel_elsewhere(self._task, loop)
        self._loop = loop
        self._task = loop.create_task(self._run(), name="principal-cache-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        if _cancel_elsewhere(task, asyncio.get_running_loop()):
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def expect(self, nonce: str) -> None:
        """Called before a commit that sends `nonce`: its waiter must exist before the notification arrives."""
        if self.up and self._loop is not None:
            self._waiting[nonce] = asyncio.Event()

    def forget(self, nonce: str) -> None:
        self._waiting.pop(nonce, None)

    async def wait_for(self, nonces: list[str]) -> None:
        events = [self._waiting[n] for n in nonces if n in self._waiting]
        try:
            if events:
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), WAIT_SECONDS)
        except TimeoutError:
            log.warning("principal cache: own invalidation not back within %.1f s", WAIT_SECONDS)
        finally:
            for n in nonces:
                self._waiting.pop(n, None)

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        items = payload.split(",")
        cache().invalidate(items)
        for item in items:
            if item.startswith("tx:"):
                waiting = self._waiting.get(item[3:])
                if waiting is not None:
                    waiting.set()

    def _release(self) -> None:
        for waiting in self._waiting.values():  # the cache is off now: nothing left to wait for
            waiting.set()

    async def _run(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = sa.engine.make_url(get_settings().database_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        delay = 0.1
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(dsn, timeout=PING_SECONDS,
                                             server_settings={"application_name": APPLICATION_NAME})
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                # Listening from here on: whatever changed before is cleared with the cache.
                self.server_pid = conn.get_server_pid()
                cache().turn_on()
                self.up = True
                delay = 0.1
                while not lost.is_set() and not conn.is_closed():
                    try:
                        await asyncio.wait_for(lost.wait(), PING_SECONDS)
                    except TimeoutError:  # a peer gone silent says nothing: ask
                        await conn.fetchval("SELECT 1", timeout=PING_SECONDS)
                log.warning("principal cache: listener connection lost; cache off until it is back")
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("principal cache: listener connection failed (%s); cache off until it is back",
                            type(e).__name__)
            finally:
                self.up = False
                self.outages += 1
                cache().turn_off()
                self._release()
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _cancel_elsewhere(task: asyncio.Task[None] | None, loop: asyncio.AbstractEventLoop) -> bool:
    """Cancel a listener task that runs in another event loop than `loop` (an app whose lifespan runs in a
    loop of its own, as some ASGI test clients do, beside requests served in another): a task can only be
    awaited in its own loop. True when the task was another loop's (then it is not awaited here); a task
    whose loop has closed is gone already. While two loops' listeners overlap, the one that ends turns the
    cache off, which only costs queries."""
    if task is None or task.get_loop() is loop:
        return False
    if not task.done():
        with contextlib.suppress(RuntimeError):  # its loop is closed
            task.get_loop().call_soon_threadsafe(task.cancel)
    return True


listener = Listener()


def ensure_listening() -> None:
    """Start this process's listener if it is not running in this event loop (the app's lifespan starts it;
    this covers an app run without one)."""
    if not get_settings().is_sqlite:
        listener.ensure_started()


# ------------------------------------------------------------------ invalidation at commit


def _note(session: Session, items: Iterable[str]) -> None:
    found = set(items)
    if found:
        session.info.setdefault(_CHANGED, set()).update(found)


def _pending(session: Session) -> Iterable[str]:
    return (f"{kind}:{obj.id}" for obj in chain(session.dirty, session.deleted)
            if (kind := _KINDS.get(type(obj))) is not None)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _: Any) -> None:
    _note(session, _pending(session))  # still the flushed objects here


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        kind = _TABLES.get(getattr(getattr(state.statement, "table", None), "name", ""))
        if kind is not None:
            _note(state.session, [f"{kind}:*"])


def _payloads(items: list[str], nonce: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for item in items:
        if current and sum(len(i) + 1 for i in current) + len(item) > _PAYLOAD_BYTES:
            out.append(",".join(current))
            current = []
        current.append(item)
    current.append(f"tx:{nonce}")
    out.append(",".join(current))
    return out


@event.listens_for(Session, "before_commit")
def _send(session: Session) -> None:
    if session.in_nested_transaction():
        return
    _note(session, _pending(session))  # changes the commit's own flush will write
    items = session.info.pop(_CHANGED, None)
    if not items:
        return
    if session.get_bind().dialect.name == "postgresql":
        nonce = secrets.token_hex(8)
        listener.expect(nonce)
        for payload in _payloads(sorted(items), nonce):
            # Delivered to every listener when (and only if) this transaction commits.
            session.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)))
        session.info[_SENT] = (items, nonce)
    else:
        session.info[_SENT] = (items, None)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    sent = session.info.pop(_SENT, None)
    if sent is None:
        return
    items, nonce = sent
    found = cache()
    found.invalidate(items)  # this process, at once
    if nonce is None:
        found.bump_stamp()  # SQLite: the other processes of this database, before their next lookup
    else:
        session.info.setdefault(_WAIT, []).append(nonce)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
        sent = session.info.pop(_SENT, None)  # not committed: nothing was sent
        if sent is not None and sent[1] is not None:
            listener.forget(sent[1])


async def _await_own_notification(session: AsyncSession) -> None:
    nonces = session.info.pop(_WAIT, None)
    if nonces:
        await listener.wait_for(nonces)


COMMIT_HOOKS.append(_await_own_notification)
