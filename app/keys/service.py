"""An agency's key: what protects its data, and changes of its key-encryption key (provider and key).

Every step writes an audit event naming only ids: `agency_key.read`, `key_change.request`,
`key_change.approve`, `key_change.reject`, and `agency_key.rewrap` when the agency's data keys are wrapped by
another key-encryption key.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core import keyring
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.keys import access
from app.keys.models import KeyChange
from app.keys.schemas import KeyChangeCreate, KeyChangeStatus
from app.trail.recorder import record


async def agency_key(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> dict[str, object]:
    access.ensure_sees_keys(principal, agency_id)
    config, current = await keyring.agency_key(session, agency_id)
    await record(session, principal, "agency_key.read", "agency", agency_id, agency_id=agency_id)
    return {"provider": config.provider, "key_id": config.kek_id, "rotated_at": config.rotated_at,
            "data_key_id": current.id if current else None}


async def _apply(session: AsyncSession, principal: Principal, change: KeyChange) -> None:
    if not keyring.kek_usable(change.provider, change.kek_id):
        raise Invalid("This key cannot be used (no such key, token or PIN, or the HSM is unreachable); nothing "
                      "changed.", loc=["body", "key_id"], type="key_unusable")
    await keyring.rewrap(session, change.agency_id, change.provider, change.kek_id)
    await record(session, principal, "agency_key.rewrap", "agency", change.agency_id, agency_id=change.agency_id)


async def request_change(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, data: KeyChangeCreate
) -> KeyChange:
    """The agency's own admin: applied now (the new key is checked first; if it cannot be used nothing
    changes). A platform admin: a pending change for the agency's admin."""
    access.ensure_sees_keys(principal, agency_id, "agency")
    config, _ = await keyring.agency_key(session, agency_id)
    if (config.provider, config.kek_id) == (data.provider.value, data.key_id):
        raise Invalid("This key already protects the agency's data.", loc=["body", "key_id"])
    pending = (await session.execute(select(KeyChange.id).where(
        KeyChange.agency_id == agency_id, KeyChange.status == KeyChangeStatus.pending.value))).first()
    if pending is not None:
        raise Conflict("A key change for this agency is already waiting; approve or reject it first.")
    change = KeyChange(agency_id=agency_id, provider=data.provider.value, kek_id=data.key_id,
                       requested_by=principal.ref)
    session.add(change)
    await session.flush()
    await record(session, principal, "key_change.request", "key_change", change.id, agency_id=agency_id)
    if access.change_applies_at_once(principal, agency_id):
        await _apply(session, principal, change)
        _decide(change, principal, KeyChangeStatus.approved)
        await session.flush()
        await record(session, principal, "key_change.approve", "key_change", change.id, agency_id=agency_id)
    return change


async def list_changes(
    session: AsyncSession, principal: Principal, page: PageParams, status: KeyChangeStatus | None
) -> tuple[list[KeyChange], str | None]:
    stmt = select(KeyChange).where(access.own_agency_clause(principal, KeyChange.agency_id))
    if status is not None:
        stmt = stmt.where(KeyChange.status == status.value)
    return await paginate(session, stmt, KeyChange, page)


async def get_change(session: AsyncSession, principal: Principal, change_id: uuid.UUID) -> KeyChange:
    change = await session.get(KeyChange, change_id)
    if change is None:
        raise NotFound("key change")
    access.ensure_sees_keys(principal, change.agency_id, "key change")
    return change


def _ensure_pending(change: KeyChange) -> None:
    if change.status != KeyChangeStatus.pending.value:
        raise Conflict(f"This key change was already {change.status}.")


def _decide(change: KeyChange, principal: Principal, status: KeyChangeStatus) -> None:
    change.status = status.value
    change.decided_by = principal.ref
    change.decided_at = utcnow()


async def approve(session: AsyncSession, principal: Principal, change: KeyChange) -> KeyChange:
    access.ensure_may_approve(principal, change.agency_id)
    _ensure_pending(change)
    await _apply(session, principal, change)
    _decide(change, principal, KeyChangeStatus.approved)
    await session.flush()
    await record(session, principal, "key_change.approve", "key_change", change.id, agency_id=change.agency_id)
    return change


async def reject(session: AsyncSession, principal: Principal, change: KeyChange) -> KeyChange:
    """The agency's admin refuses it, or the platform admin withdraws it; the key stays as it is."""
    _ensure_pending(change)
    _decide(change, principal, KeyChangeStatus.rejected)
    await session.flush()
    await record(session, principal, "key_change.reject", "key_change", change.id, agency_id=change.agency_id)
    return change
