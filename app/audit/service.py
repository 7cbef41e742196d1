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
from app.trail.models import AuditChainHead, AuditCheckpoint, AuditEvent
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
# Each chain (one per agency, one for the platform's events) is verified on its own. Verification reads a
# chain in keyset batches (async, constant memory) and recomputes the hashes of each batch in a worker thread,
# so a long verification never holds the event loop. It reads the chain's head row first and checks the events
# up to it (appends made meanwhile wait for the next run): the newest event must carry the head's seq and hash
# (the next append links to that hash), so events cut off the end, or a head altered, are caught too. The API resumes from the chain's newest checkpoint (its head as of
# the last verification that found it intact): a repeat reads only the events written since, after checking
# that the checkpointed event still carries the checkpointed hash (so history rewritten and re-hashed up to
# the head is caught). The trade-off: an edit of an older event that was NOT re-hashed forward breaks only its
# own link, which a resumed verification no longer reads; `tandem audit verify --full` recomputes from the
# first event and also checks every checkpoint, and should run on a schedule.

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
HEAD_MISMATCH = "head_mismatch"

REASON_TEXT = {
    HASH_MISMATCH: "the event's stored hash does not match its contents",
    MISSING_SEQ: "a sequence number is missing (an event was removed)",
    PREV_HASH_MISMATCH: "the event does not link to the hash of the event before it",
    UNEXPECTED_SEQ: "a sequence number is out of order",
    CHECKPOINT_MISMATCH: "the event no longer has the hash it had when the chain was last verified "
                         "(history before it was rewritten)",
    HEAD_MISMATCH: "the chain's head does not match its newest event (the head was removed or altered)",
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
    hashes."""
    async with get_engine().connect() as conn:
        return list((await conn.execute(stmt)).all())


async def chains() -> list[str]:
    """Every chain: those with a head, and any with events but no head (which fails its verification)."""
    heads = sa.select(AuditChainHead.chain)
    found = sa.union(heads, sa.select(AuditEvent.chain).distinct()).subquery()
    return [r[0] for r in await _read(sa.select(found.c[0]).order_by(found.c[0]))]


async def verify_chain(chain: str, *, batch_size: int = VERIFY_BATCH, full: bool = False) -> dict[str, Any]:
    """Recompute one chain in keyset batches of `batch_size` rows, up to its head as read first: from the
    chain's newest checkpoint, or with `full` from its first event (then every checkpoint must match too).
    An intact chain gets a checkpoint at its head. Reads and writes in short transactions of its own.

    Intact: {"ok": true, "length", "head_hash"} of the chain. Broken: "ok" false, "length" and "head_hash"
    of the chain as stored, "first_broken_seq", "reason" (a code), "detail", and "verified_length" (intact
    events before it).
    """
    in_chain = AuditEvent.chain == chain
    found_head = await _read(sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.chain == chain))
    top = found_head[0].seq if found_head else 0
    prev, expected = GENESIS, 1
    last_seq: int | None = None
    found = await _read(sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                        .where(AuditCheckpoint.chain == chain).order_by(AuditCheckpoint.seq.desc()).limit(1))
    newest = found[0] if found else None
    if newest is not None and not full:
        stored = await _read(sa.select(AuditEvent.hash).where(in_chain, AuditEvent.seq == newest.seq))
        if not stored or stored[0].hash != newest.hash:
            return await _broken(chain, newest.seq, CHECKPOINT_MISMATCH if stored else MISSING_SEQ, newest.seq - 1)
        prev, expected, last_seq = newest.hash, newest.seq + 1, newest.seq
    while True:
        stmt = sa.select(*_CHAIN_COLUMNS).where(in_chain, AuditEvent.seq <= top).order_by(AuditEvent.seq)
        if last_seq is not None:
            stmt = stmt.where(AuditEvent.seq > last_seq)
        rows = await _read(stmt.limit(batch_size))
        if not rows:
            break
        checkpoints: dict[int, str] = {}
        if full:
            checkpoints = {r.seq: r.hash for r in await _read(
                sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                .where(AuditCheckpoint.chain == chain, AuditCheckpoint.seq.between(rows[0].seq, rows[-1].seq)))}
        prev, expected, brk = await anyio.to_thread.run_sync(_check_rows, rows, prev, expected, checkpoints)
        if brk is not None:
            return await _broken(chain, brk.seq, brk.reason, expected - 1)
        last_seq = rows[-1].seq
        if len(rows) < batch_size:
            break
    last = expected - 1
    if last < top or (newest is not None and newest.seq > last):  # events were cut off the end of the chain
        return await _broken(chain, last + 1, MISSING_SEQ, last)
    if not found_head and await _read(sa.select(AuditEvent.seq).where(in_chain).limit(1)):
        return await _broken(chain, 1, HEAD_MISMATCH, 0)
    if found_head and found_head[0].hash != prev:  # the next append would link to a hash that is not the newest
        return await _broken(chain, last + 1, HEAD_MISMATCH, last)
    if last > 0 and (newest is None or last > newest.seq):
        await _save_checkpoint(chain, last, prev)
    return {"ok": True, "length": last, "head_hash": prev}


async def verify_all(*, batch_size: int = VERIFY_BATCH, full: bool = False) -> dict[str, Any]:
    """Every chain, each verified on its own: {"ok": all intact, "chains": [{"chain", ...its result}]}."""
    results = [{"chain": c, **await verify_chain(c, batch_size=batch_size, full=full)} for c in await chains()]
    return {"ok": all(r["ok"] for r in results), "chains": results}


async def _save_checkpoint(chain: str, seq: int, hash_: str) -> None:
    """Record an intact head; a concurrent verification that recorded the same head first wins."""
    insert = pg_insert if get_engine().dialect.name == "postgresql" else sqlite_insert
    async with own_transaction() as s:
        await s.execute(insert(AuditCheckpoint).values(chain=chain, seq=seq, hash=hash_, verified_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["chain", "seq"]))


async def _broken(chain: str, seq: int, reason: str, verified: int) -> dict[str, Any]:
    in_chain = AuditEvent.chain == chain
    [length] = await _read(sa.select(sa.func.count()).select_from(AuditEvent).where(in_chain))
    head = await _read(sa.select(AuditEvent.hash).where(in_chain).order_by(AuditEvent.seq.desc()).limit(1))
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
    """`GET /audit-events/verify`: verify the caller's own agency's chain from its checkpoint, and only it:
    `length` is the number of its events and `head_hash` the hash of its newest one (which commits to its
    whole history: an agency can keep it outside Tandem and later check that the history was not rewritten).
    Other agencies' activity changes nothing in the answer. Every chain at once is the operator's CLI's
    (`tandem audit verify`). Runs in short transactions of its own (see _read), like the webhook worker.
    """
    with _admitted(principal):
        return await verify_chain(access.verification_chain(principal))
