"""Read the audit trail: list the caller's own agency's events, and verify the hash chain (off the event loop,
from a checkpoint, rate limited; see the verification section). Appending is app.trail.recorder's."""

from __future__ import annotations

import base64
import json
import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import access
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import get_engine, own_transaction
from app.core.errors import Invalid, TooManyRequests
from app.core.pagination import PageParams
from app.trail.models import AuditCheckpoint, AuditEvent
from app.trail.recorder import GENESIS, chain_hash

# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class AuditFilters:
    actor_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


# The largest value `audit_events.seq` holds on every database (INTEGER: 32 bits on PostgreSQL). A cursor
# past it was never issued, and binding it would overflow the column type.
MAX_SEQ = 2**31 - 1


def _encode_seq_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode().rstrip("=")


def _decode_seq_cursor(cursor: str) -> int:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        seq = raw["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
            raise ValueError
        return seq
    except Exception:
        raise Invalid("The cursor is not valid.", loc=["query", "cursor"])


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def list_events(
    session: AsyncSession, principal: Principal, page: PageParams, filters: AuditFilters
) -> tuple[list[AuditEvent], str | None]:
    """The caller's own agency's events, newest first (keyset on seq). `from` is inclusive, `to` exclusive."""
    stmt = sa.select(AuditEvent).where(access.audit_event_visible_clause(principal))
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.object_type is not None:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEvent.action == filters.action)
    start = _aware(filters.from_) if filters.from_ is not None else None
    end = _aware(filters.to) if filters.to is not None else None
    if start is not None and end is not None and start >= end:
        raise Invalid("`from` must be earlier than `to`.", loc=["query", "from"])
    if start is not None:
        stmt = stmt.where(AuditEvent.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.at < end)
    if page.cursor:
        stmt = stmt.where(AuditEvent.seq < _decode_seq_cursor(page.cursor))
    stmt = stmt.order_by(AuditEvent.seq.desc()).limit(page.limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = _encode_seq_cursor(rows[-1].seq)
    return rows, next_cursor


# ---------------------------------------------------------------- verification
#
# Verification reads the chain in keyset batches (async, constant memory) and recomputes the hashes of
# each batch in a worker thread, so a long verification never holds the event loop. The API resumes from
# the newest checkpoint (the head as of the last verification that found the chain intact): a repeat reads
# only the events written since, after checking that the checkpointed event still carries the checkpointed
# hash (so history rewritten and re-hashed up to the head is caught). The trade-off: an edit of an older
# event that was NOT re-hashed forward breaks only its own link, which a resumed verification no longer
# reads; `tandem audit verify --full` recomputes from the first event and also checks every checkpoint, and
# should run on a schedule.

VERIFY_BATCH = 5000
_CHAIN_COLUMNS = [
    AuditEvent.seq, AuditEvent.id, AuditEvent.at, AuditEvent.actor_type, AuditEvent.actor_id,
    AuditEvent.agency_id, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
    AuditEvent.request_id, AuditEvent.outcome, AuditEvent.prev_hash, AuditEvent.hash,
]

HASH_MISMATCH = "hash_mismatch"
MISSING_SEQ = "missing_seq"
PREV_HASH_MISMATCH = "prev_hash_mismatch"
UNEXPECTED_SEQ = "unexpected_seq"
CHECKPOINT_MISMATCH = "checkpoint_mismatch"

REASON_TEXT = {
    HASH_MISMATCH: "the event's stored hash does not match its contents",
    MISSING_SEQ: "a sequence number is missing (an event was removed)",
    PREV_HASH_MISMATCH: "the event does not link to the hash of the event before it",
    UNEXPECTED_SEQ: "a sequence number is out of order",
    CHECKPOINT_MISMATCH: "the event no longer has the hash it had when the chain was last verified "
                         "(history before it was rewritten)",
}


@dataclass(frozen=True)
class _Break:
    seq: int
    reason: str


def _check_rows(
    rows: Sequence[Any], prev: str, expected: int, checkpoints: dict[int, str]
) -> tuple[str, int, _Break | None]:
    """The CPU part of verification (run in a worker thread): check one batch of rows that should continue
    the chain at `expected` after `prev`. Returns the new (prev, expected) and the first break, if any."""
    for row in rows:
        brk = None
        if row.seq != expected:
            brk = _Break(expected, MISSING_SEQ) if row.seq > expected else _Break(row.seq, UNEXPECTED_SEQ)
        elif row.prev_hash != prev:
            brk = _Break(row.seq, PREV_HASH_MISMATCH)
        elif chain_hash(row.prev_hash, row) != row.hash:
            brk = _Break(row.seq, HASH_MISMATCH)
        elif checkpoints.get(row.seq, row.hash) != row.hash:
            brk = _Break(row.seq, CHECKPOINT_MISMATCH)
        if brk is not None:
            return prev, expected, brk
        prev = row.hash
        expected += 1
    return prev, expected, None


async def _read(stmt: Any) -> list[Any]:
    """Rows of one short read transaction of its own: verification never keeps a transaction open while it
    hashes (on SQLite an open transaction holds the database lock every other request waits for)."""
    async with get_engine().connect() as conn:
        return list((await conn.execute(stmt)).all())


async def verify_chain(*, batch_size: int = VERIFY_BATCH, full: bool = False) -> dict[str, Any]:
    """Recompute the chain in keyset batches of `batch_size` rows: from the newest checkpoint, or with
    `full` from the first event (then every checkpoint must match too). An intact chain gets a checkpoint
    at its head. Reads and writes in short transactions of its own.

    Intact: {"ok": true, "length", "head_hash"} of the whole chain. Broken: "ok" false, "length" and
    "head_hash" of the trail as stored, "first_broken_seq", "reason" (a code), "detail", and
    "verified_length" (intact events before it).
    """
    prev, expected = GENESIS, 1
    last_seq: int | None = None
    found = await _read(sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                        .order_by(AuditCheckpoint.seq.desc()).limit(1))
    newest = found[0] if found else None
    if newest is not None and not full:
        stored = await _read(sa.select(AuditEvent.hash).where(AuditEvent.seq == newest.seq))
        if not stored or stored[0].hash != newest.hash:
            return await _broken(newest.seq, CHECKPOINT_MISMATCH if stored else MISSING_SEQ, newest.seq - 1)
        prev, expected, last_seq = newest.hash, newest.seq + 1, newest.seq
    while True:
        stmt = sa.select(*_CHAIN_COLUMNS).order_by(AuditEvent.seq).limit(batch_size)
        if last_seq is not None:
            stmt = stmt.where(AuditEvent.seq > last_seq)
        rows = await _read(stmt)
        if not rows:
            break
        checkpoints: dict[int, str] = {}
        if full:
            checkpoints = {r.seq: r.hash for r in await _read(
                sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                .where(AuditCheckpoint.seq.between(rows[0].seq, rows[-1].seq)))}
        prev, expected, brk = await anyio.to_thread.run_sync(_check_rows, rows, prev, expected, checkpoints)
        if brk is not None:
            return await _broken(brk.seq, brk.reason, expected - 1)
        last_seq = rows[-1].seq
        if len(rows) < batch_size:
            break
    head = expected - 1
    if newest is not None and newest.seq > head:  # events were cut off the end of the chain
        return await _broken(head + 1, MISSING_SEQ, head)
    if head > 0 and (newest is None or head > newest.seq):
        await _save_checkpoint(head, prev)
    return {"ok": True, "length": head, "head_hash": prev}


async def _save_checkpoint(seq: int, hash_: str) -> None:
    """Record an intact head; a concurrent verification that recorded the same head first wins."""
    insert = pg_insert if get_engine().dialect.name == "postgresql" else sqlite_insert
    async with own_transaction() as s:
        await s.execute(insert(AuditCheckpoint).values(seq=seq, hash=hash_, verified_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["seq"]))


async def _broken(seq: int, reason: str, verified: int) -> dict[str, Any]:
    [length] = await _read(sa.select(sa.func.count()).select_from(AuditEvent))
    head = await _read(sa.select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    return {
        "ok": False, "length": length[0], "head_hash": head[0].hash if head else GENESIS, "first_broken_seq": seq,
        "reason": reason, "detail": REASON_TEXT[reason], "verified_length": verified,
    }


# ---------------------------------------------------------------- verification through the API

_running = threading.Lock()  # one verification at a time in this process
_last_run: dict[str, datetime] = {}  # caller ref -> when it last started one (this process)
_MAX_REMEMBERED = 10_000


@contextmanager
def _admitted(principal: Principal) -> Iterator[None]:
    """Admit one verification for the caller, or raise 429 with Retry-After: a caller verifies at most
    once per TANDEM_AUDIT_VERIFY_MIN_INTERVAL_SECONDS, and one verification runs at a time per process
    (a caller turned away because another one runs is not charged). Both limits are per process."""
    interval = timedelta(seconds=get_settings().audit_verify_min_interval_seconds)
    now = utcnow()
    last = _last_run.get(principal.ref)
    if last is not None and timedelta(0) <= now - last < interval:
        wait = max(1, math.ceil((interval - (now - last)).total_seconds()))
        raise TooManyRequests("This account verified the audit trail moments ago; retry later.",
                              headers={"Retry-After": str(wait)})
    if not _running.acquire(blocking=False):
        raise TooManyRequests("Another verification of the audit trail is running; retry shortly.",
                              headers={"Retry-After": "5"})
    try:
        if len(_last_run) >= _MAX_REMEMBERED:
            for ref in [r for r, at in _last_run.items() if not timedelta(0) <= now - at < interval]:
                del _last_run[ref]
        _last_run[principal.ref] = now
        yield
    finally:
        _running.release()


async def verify_for(principal: Principal) -> dict[str, Any]:
    """`GET /audit-events/verify`: verify from the checkpoint, answered in the caller's own terms.

    An agency is told whether the whole chain is intact, but counts only its own events: `length` is the
    number of its events in the verified chain and `head_hash` the chain hash at its own newest event. The
    hash of the whole chain's head changes with every event of every agency, so showing it (or the
    checkpoint's hash) would let one agency watch when and how much the others do. The hash at its own
    newest event changes only when the agency itself acts, yet commits to the whole chain before it: an
    agency can keep it outside Tandem and later check that its history was not rewritten.
    A principal without an agency (an operator) gets the whole chain's figures.
    Runs in short transactions of its own (see _read), like the webhook worker.
    """
    with _admitted(principal):
        result = await verify_chain()
    own = access.verification_scope_clause(principal)
    if own is None:
        return result
    upto = AuditEvent.seq <= result["length"] if result["ok"] else sa.true()
    [count] = await _read(sa.select(sa.func.count()).select_from(AuditEvent).where(own, upto))
    head = await _read(sa.select(AuditEvent.hash).where(own, upto).order_by(AuditEvent.seq.desc()).limit(1))
    answer = {**result, "length": count[0], "head_hash": head[0].hash if head else GENESIS}
    if not result["ok"]:
        [before] = await _read(sa.select(sa.func.count()).select_from(AuditEvent)
                               .where(own, AuditEvent.seq < result["first_broken_seq"]))
        answer["verified_length"] = before[0]
    return answer
