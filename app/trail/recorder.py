"""The audit recorder: queue events on the caller's session; append them to their chains at commit.

Every layer above records through this module, so it imports nothing but app.core and the trail's tables. It
knows the caller only as an `Actor` (a Principal is one): who acted, of which kind, for which agency.
Reading and verifying the trail (with the caller's visibility) is app.audit's business.

Each agency has a hash chain of its own (events of no agency go to the platform's chain, `PLATFORM_CHAIN`).
`record` only queues the event on the session; just before the session commits (a `before_commit` hook, so
every commit appends: the request's, `own_transaction`'s, the jobs' and commands'), the queued events are
appended in the same transaction: one `UPDATE ... RETURNING` moves the chain's head row on by the number of
events (taking its row lock on PostgreSQL, the write lock on SQLite) and returns the head as of that lock,
with the hash of the event there (on PostgreSQL read by a statement of its own), then the events are inserted. The lock is
held only for the append and the commit, and only appends to the same chain wait for it. A rolled-back
transaction appends nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from datetime import UTC
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app.core.clock import utcnow
from app.core.context import request_id_var
from app.trail.models import AuditChainHead, AuditEvent, chain_of

GENESIS = "0" * 64
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # the same bytes as json.dumps(...)
_QUEUE = "audit_queue"  # session.info key: the events recorded in the open transaction, in order
_HEADS = AuditChainHead.__table__
_NEWEST = AuditEvent.__table__.alias("newest")
_HEAD_CHAIN = sa.literal_column("audit_chain_heads.chain", sa.String)
_HEAD_SEQ = sa.literal_column("audit_chain_heads.seq", sa.Integer)


class Actor(Protocol):
    """Who an event is recorded for (app.auth.principal.Principal satisfies it)."""

    @property
    def id(self) -> uuid.UUID | str: ...

    @property
    def kind(self) -> str: ...

    @property
    def agency_id(self) -> uuid.UUID | None: ...


def canonical(ev: Any) -> bytes:
    """The hashed form of an event (an AuditEvent or a row with the same columns)."""
    body: dict[str, Any] = {
        "seq": ev.seq,
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
    return _ENCODER.encode(body).encode()


def chain_hash(prev_hash: str, ev: Any) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(ev)).hexdigest()


async def record(
    session: AsyncSession,
    principal: Actor | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    *,
    outcome: str = "success",
    agency_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Record one audit event in the current transaction: it is appended to its agency's chain when the
    transaction commits, and dropped with it on a rollback. The returned event gets its `seq`, `prev_hash`
    and `hash` at the commit. Never pass personal data in any argument."""
    agency = agency_id if agency_id is not None else (principal.agency_id if principal else None)
    ev = AuditEvent(
        chain=chain_of(agency),
        seq=0,
        at=utcnow().astimezone(UTC),
        actor_type=str(principal.kind) if principal else "system",
        actor_id=str(principal.id) if principal else None,
        agency_id=agency,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        request_id=request_id_var.get(),
        outcome=outcome,
        prev_hash="",
        hash="",
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


def _advance_head(session: Session, chain: str, n: int) -> tuple[int, str]:
    """Take the chain's head row for this transaction and move its seq on by n: the head as of the lock (the
    seq and hash of the chain's newest event). A chain's first append creates its head row."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    take = sa.update(_HEADS).where(_HEADS.c.chain == chain).values(seq=_HEADS.c.seq + n)
    if postgresql:
        # An UPDATE that waited for the row lock returns the row as its holder committed it, but a subquery
        # of its RETURNING would still read the snapshot from before the wait: the hash is read after it.
        take = take.returning(_HEADS.c.seq)
    else:
        # On SQLite this statement runs holding the write lock on the newest data (see app.core.db), and
        # RETURNING names the head's columns unqualified: inside the subquery they mean the event's own.
        newest = sa.select(_NEWEST.c.hash).where(_NEWEST.c.chain == _HEAD_CHAIN, _NEWEST.c.seq == _HEAD_SEQ - n)
        take = take.returning(_HEADS.c.seq, newest.scalar_subquery())
    row = session.execute(take).first()
    if row is None:
        insert = pg_insert if postgresql else sqlite_insert
        session.execute(insert(_HEADS).values(chain=chain, seq=0).on_conflict_do_nothing(index_elements=["chain"]))
        row = session.execute(take).one()
    seq = row[0] - n
    if postgresql:
        prev = session.execute(sa.select(_NEWEST.c.hash).where(_NEWEST.c.chain == chain, _NEWEST.c.seq == seq)
                               ).scalar_one_or_none()
    else:
        prev = row[1]
    return seq, prev or GENESIS


def append_queued(session: Session) -> None:
    """Append the session's queued events to their chains (in chain order, so two transactions that
    append to the same chains never wait on each other in a cycle). Runs in the committing transaction."""
    queue: list[AuditEvent] | None = session.info.pop(_QUEUE, None)
    if not queue:
        return
    by_chain: dict[str, list[AuditEvent]] = defaultdict(list)
    for ev in queue:
        by_chain[ev.chain].append(ev)
    for chain in sorted(by_chain):
        events = by_chain[chain]
        seq, prev = _advance_head(session, chain, len(events))
        for ev in events:
            seq += 1
            ev.seq, ev.prev_hash = seq, prev
            ev.hash = prev = chain_hash(prev, ev)
        session.add_all(events)


@event.listens_for(Session, "before_commit")
def _append_at_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release: the events wait for the real commit
        return
    append_queued(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
