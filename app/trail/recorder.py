"""The audit recorder: append one event to the hash chain, in the caller's transaction.

Every layer above records through this module, so it imports nothing but app.core and the trail's tables. It
knows the caller only as an `Actor` (a Principal is one): who acted, of which kind, for which agency.
Reading and verifying the trail (with the caller's visibility) is app.audit's business.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.context import request_id_var
from app.trail.models import AuditEvent

GENESIS = "0" * 64
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # the same bytes as json.dumps(...)
_PG_LOCK_KEY = 7_234_001  # advisory lock id that serialises chain appends on PostgreSQL


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
        actor_type=str(principal.kind) if principal else "system",
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
