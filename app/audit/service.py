"""Append to the audit hash chain (in the caller's transaction) and verify it."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.context import request_id_var

GENESIS = "0" * 64
_PG_LOCK_KEY = 7_234_001  # advisory lock id that serialises chain appends on PostgreSQL


def canonical(ev: AuditEvent) -> bytes:
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
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, ev: AuditEvent) -> str:
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
        at=utcnow(),
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
