"""Append to the audit hash chain (in the caller's transaction), list it, and verify it."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app import policy
from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.context import request_id_var
from app.core.errors import Invalid
from app.core.pagination import PageParams

GENESIS = "0" * 64
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # the same bytes as json.dumps(...)
_PG_LOCK_KEY = 7_234_001  # advisory lock id that serialises chain appends on PostgreSQL


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
    principal: Principal | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    *,
    outcome: str = "success",
    agency_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Write one audit event in the current transaction. Never pass personal data in any argument."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = (
        await session.execute(sa.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ev = AuditEvent(
        seq=seq,
        at=utcnow().astimezone(UTC),
        actor_type=principal.kind if principal else "system",
        actor_id=str(principal.id) if principal else None,
        agency_id=agency_id if agency_id is not None else (principal.agency_id if principal else None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        request_id=request_id_var.get(),
        outcome=outcome,
        prev_hash=prev,
        hash="",
    )
    ev.hash = chain_hash(prev, ev)
    session.add(ev)
    await session.flush()
    return ev


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
    stmt = sa.select(AuditEvent).where(policy.audit_event_visible_clause(principal))
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

REASON_TEXT = {
    HASH_MISMATCH: "the event's stored hash does not match its contents",
    MISSING_SEQ: "a sequence number is missing (an event was removed)",
    PREV_HASH_MISMATCH: "the event does not link to the hash of the event before it",
    UNEXPECTED_SEQ: "a sequence number is out of order",
}


async def verify_chain(session: AsyncSession, *, batch_size: int = VERIFY_BATCH) -> dict[str, Any]:
    """Recompute the whole chain in keyset batches of `batch_size` rows (constant memory).

    Intact: {"ok": true, "length", "head_hash"}. Broken: "ok" false, "length" and "head_hash" of the trail as
    stored, "first_broken_seq", "reason" (a code), "detail", and "verified_length" (intact events before it).
    """
    prev = GENESIS
    expected = 1
    last_seq: int | None = None
    conn = await session.connection()  # Core rows: no ORM identity map, so memory stays flat
    while True:
        stmt = sa.select(*_CHAIN_COLUMNS).order_by(AuditEvent.seq).limit(batch_size)
        if last_seq is not None:
            stmt = stmt.where(AuditEvent.seq > last_seq)
        rows = (await conn.execute(stmt)).all()
        if not rows:
            break
        for row in rows:
            reason = None
            if row.seq != expected:
                reason = MISSING_SEQ if row.seq > expected else UNEXPECTED_SEQ
                broken_seq = expected if row.seq > expected else row.seq
            elif row.prev_hash != prev:
                reason, broken_seq = PREV_HASH_MISMATCH, row.seq
            elif chain_hash(row.prev_hash, row) != row.hash:
                reason, broken_seq = HASH_MISMATCH, row.seq
            if reason is not None:
                return await _broken(session, broken_seq, reason, expected - 1)
            prev = row.hash
            expected += 1
        last_seq = rows[-1].seq
        if len(rows) < batch_size:
            break
    return {"ok": True, "length": expected - 1, "head_hash": prev}


async def _broken(session: AsyncSession, seq: int, reason: str, verified: int) -> dict[str, Any]:
    length = (await session.execute(sa.select(sa.func.count()).select_from(AuditEvent))).scalar_one()
    head = (await session.execute(sa.select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))).scalar()
    return {
        "ok": False, "length": length, "head_hash": head or GENESIS, "first_broken_seq": seq, "reason": reason,
        "detail": REASON_TEXT[reason], "verified_length": verified,
    }
