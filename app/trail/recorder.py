"""The audit recorder: queue events on the caller's session; append them to their chains at commit.

Every layer above records through this module, so it imports nothing but app.core and the trail's tables. It
knows the caller only as an `Actor` (a Principal is one): who acted, of which kind, for which agency.
Reading and verifying the trail (with the caller's visibility) is app.audit's business.

Each agency has a hash chain of its own (events of no agency go to the platform's chain, `PLATFORM_CHAIN`).
`record` only queues the event on the session; just before the session commits (a `before_commit` hook, so
every commit appends: the request's, `own_transaction`'s, the jobs' and commands'), the queued events are
appended in the same transaction, after its other writes. On PostgreSQL that is one statement, whatever the
number of chains: the function audit_append takes the head row of every chain appended to (in chain order, with
its row lock), moves its seq on by the chain's number of events, links and hashes each event after its chain's
newest (the same SHA-256 as `chain_hash`, from the canonical JSON this module passes), inserts them and moves
each head's hash on. On SQLite it is two: the first takes the heads (under the write lock) and returns the seq
and hash of each chain's newest event; the events are hashed here and the second inserts them (a trigger moves
the heads' hashes on). The lock is held only for the append and the commit, and only appends to the same chain wait for it. A
rolled-back transaction appends nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app.core.clock import utcnow
from app.core.context import request_id_var
from app.core.sql import Prebuilt, send_deferred, take_deferred
from app.trail.models import AuditEvent, chain_of

GENESIS = "0" * 64
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # the same bytes as json.dumps(...)
_QUEUE = "audit_queue"  # session.info key: the events recorded in the open transaction, in order
_EVENTS = AuditEvent.__table__

# The append's statements, built once. On SQLite, two: statement 1 takes the heads: an upsert, so that a chain's
# first append creates its head row; it returns each chain's head as it stood, and runs under the write lock,
# which app.core.db takes at a transaction's first write.
_SQLITE_TAKE = sa.text("""
    INSERT INTO audit_chain_heads (chain, seq, hash)
    SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), :genesis FROM json_each(:heads) AS j
    WHERE true
    ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq + excluded.seq
    RETURNING chain, seq, hash
""")
# audit_events' columns with their PostgreSQL types.
_PG_ARRAYS = {
    "id": "uuid", "chain": "varchar", "seq": "integer", "at": "timestamptz", "actor_type": "varchar",
    "actor_id": "varchar", "agency_id": "uuid", "action": "varchar", "object_type": "varchar",
    "object_id": "varchar", "request_id": "varchar", "outcome": "varchar", "prev_hash": "varchar",
    "hash": "varchar",
}
_COLUMNS = list(_PG_ARRAYS)
if set(_COLUMNS) != set(_EVENTS.columns.keys()):
    raise RuntimeError("the audit append's column list is not audit_events' columns")
# Statement 2 on SQLite: one executemany of the events; the trigger moves the heads' hashes on.
_SQLITE_INSERT = _EVENTS.insert()
# On PostgreSQL the whole append is one round trip: the function audit_append (migration audit_append_fn) takes
# the heads as statement 1 does (the row it returns is the newest committed one even when it waited for another
# append's lock), hashes each event after its chain's newest as chain_hash does (from the event's
# canonical JSON up to its seq, `_canonical_before_seq`), inserts the events and moves the heads' hashes on.
_PG_APPEND_ARRAYS = {c: t for c, t in _PG_ARRAYS.items() if c not in ("seq", "prev_hash", "hash")}
_PG_APPEND = Prebuilt(sa.text(
    "SELECT o_seq, o_prev_hash, o_hash FROM audit_append("
    + ", ".join(f"p_{c} => CAST(:{c} AS {t}[])" for c, t in _PG_APPEND_ARRAYS.items())
    + ", p_body => CAST(:body AS text[]))").columns(
        sa.column("o_seq", sa.BigInteger()), sa.column("o_prev_hash", sa.String()), sa.column("o_hash", sa.String())))


class Actor(Protocol):
    """Who an event is recorded for (app.auth.principal.Principal satisfies it)."""

    @property
    def id(self) -> uuid.UUID | str: ...

    @property
    def kind(self) -> str: ...

    @property
    def agency_id(self) -> uuid.UUID | None: ...


def canonical(ev: Any) -> bytes:
    """The hashed form of an event (a QueuedEvent, an AuditEvent or a row with the same columns)."""
    return _ENCODER.encode({"seq": ev.seq, **_body(ev)}).encode()


def _canonical_before_seq(ev: Any) -> str:
    """The canonical form of an event up to its seq, which sorts last among its members: `canonical(ev)` is
    this, then the seq's digits, then "}" (what audit_append hashes on PostgreSQL, which alone knows the seq)."""
    return _ENCODER.encode(_body(ev))[:-1] + ',"seq":'


def _body(ev: Any) -> dict[str, Any]:
    return {
        "id": str(ev.id),
        "at": ev.at.isoformat(),
        "actor_type": ev.actor_type,
        "actor_id": ev.actor_id,
        "agency_id": str(ev.agency_id) if ev.agency_id else None,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "request_id": ev.request_id,
        "outcome": ev.outcome,
    }


def chain_hash(prev_hash: str, ev: Any) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(ev)).hexdigest()


@dataclass(slots=True)
class QueuedEvent:
    """An event recorded in the open transaction: audit_events' columns, and `seq`, `prev_hash` and `hash` once
    the commit has appended it. A plain object, not an ORM instance: the append inserts it with Core, so
    building one costs no attribute instrumentation (every audited request builds one or more)."""

    chain: str
    at: datetime
    actor_type: str
    actor_id: str | None
    agency_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    request_id: str | None
    outcome: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


async def record(
    session: AsyncSession,
    principal: Actor | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    *,
    outcome: str = "success",
    agency_id: uuid.UUID | None = None,
) -> QueuedEvent:
    """Record one audit event in the current transaction: it is appended to its agency's chain when the
    transaction commits, and dropped with it on a rollback. The returned event gets its `seq`, `prev_hash`
    and `hash` at the commit. Never pass personal data in any argument."""
    agency = agency_id if agency_id is not None else (principal.agency_id if principal else None)
    ev = QueuedEvent(
        chain=chain_of(agency),
        at=utcnow().astimezone(UTC),
        actor_type=str(principal.kind) if principal else "system",
        actor_id=str(principal.id) if principal else None,
        agency_id=agency,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        request_id=request_id_var.get(),
        outcome=outcome,
    )
    queue = session.info.get(_QUEUE)
    if queue is None:
        # Open the transaction now (no lock: a plain BEGIN), so that ending it, by a commit or a rollback,
        # also ends the queue (see _forget below).
        await session.connection()
        queue = session.info[_QUEUE] = []
    queue.append(ev)
    session.info["wrote"] = True  # a write is pending: app.core.db.end_reads refuses to drop it
    return ev


def _take_heads(conn: sa.Connection, counts: dict[str, int]) -> dict[str, tuple[int, str]]:
    """SQLite, statement 1: take the head row of every chain the commit appends to, moving each seq on by its
    number of events (a chain's first append creates its row at genesis), and return each chain's (seq, hash)
    as it stood before: the newest event to link to."""
    heads = json.dumps([[c, n] for c, n in counts.items()])
    rows = conn.execute(_SQLITE_TAKE, {"heads": heads, "genesis": GENESIS}).all()
    taken = {chain: (seq - counts[chain], hash_) for chain, seq, hash_ in rows}
    if len(taken) != len(counts):
        raise RuntimeError("the audit append did not take every chain's head")
    return taken


def _insert(conn: sa.Connection, events: list[QueuedEvent]) -> None:
    """SQLite, statement 2: insert the events (the trigger audit_events_move_head moves the heads' hashes on)."""
    conn.execute(_SQLITE_INSERT, [{c: getattr(ev, c) for c in _COLUMNS} for ev in events])


def _append_pg(conn: sa.Connection, events: list[QueuedEvent], deferred: list[Any]) -> None:
    """The whole append on PostgreSQL, one statement: audit_append returns each event's seq and hashes. The
    transaction's deferred writes (`Prebuilt.defer`, e.g. an accounting row) go in the same statement, and as
    the transaction's last statement it opens none: a request whose only write is this one sends no BEGIN and
    no COMMIT (the one statement is atomic)."""
    params: dict[str, Any] = {c: [getattr(ev, c) for ev in events] for c in _PG_APPEND_ARRAYS}
    params["body"] = [_canonical_before_seq(ev) for ev in events]
    rows = _PG_APPEND.rows_in(conn, params, first=deferred, last=True)
    if len(rows) != len(events):
        raise RuntimeError("the audit append did not append every event")
    for ev, (seq, prev_hash, hash_) in zip(events, rows, strict=True):
        ev.seq, ev.prev_hash, ev.hash = seq, prev_hash, hash_


def append_queued(session: Session) -> None:
    """Append the session's queued events to their chains, in one statement on PostgreSQL and two on SQLite,
    whatever the number of chains (the heads are taken in chain order, so two transactions that append to the
    same chains never wait on each other in a cycle). Runs in the committing transaction."""
    queue: list[QueuedEvent] | None = session.info.pop(_QUEUE, None)
    if not queue:
        send_deferred(session, last=True)
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        _append_pg(conn, queue, take_deferred(session))
        return
    by_chain: dict[str, list[QueuedEvent]] = defaultdict(list)
    for ev in queue:
        by_chain[ev.chain].append(ev)
    taken = _take_heads(conn, {chain: len(evs) for chain, evs in by_chain.items()})
    for chain, events in by_chain.items():
        seq, prev = taken[chain]
        for ev in events:
            seq += 1
            ev.seq, ev.prev_hash = seq, prev
            ev.hash = prev = chain_hash(prev, ev)
    _insert(conn, queue)


@event.listens_for(Session, "before_commit")
def _append_at_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release: the events wait for the real commit
        return
    if session.new or session.dirty or session.deleted:
        # The transaction's own writes first, so the chains' heads are held only for the append and the commit
        # (and the append, the transaction's last statement, goes in the same transaction as they do).
        session.flush()
    append_queued(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
