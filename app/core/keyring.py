"""The agency data keys in the database (tables agency_keys, data_keys) and the process's key ring.

- `provision` gives an agency its KEK record and first data key, in the transaction that creates the agency
  (app/identity/models.py calls it after the agency's INSERT), so every agency can seal from its first row;
- `ensure_loaded` loads every wrapped key once per process (the session dependency runs it before each
  request: no query once loaded), and again after this process met a key it did not know;
- `add_data_key`, `rewrap`, `shred` are the key operations behind `tandem rotate-data-key`,
  `tandem shred-agency-key` and the key-change approvals; `reseal_rows` re-encrypts stored values (rotation
  and migration), batch by batch, each batch its own transaction.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core import kek
from app.core.clock import utcnow
from app.core.crypto import (
    SEALED_COLUMNS,
    DecryptionError,
    WrappedKey,
    decrypt,
    encrypt,
    new_data_key,
    ring,
    wrap_aad,
)
from app.core.db import REQUEST_HOOKS, own_transaction, sessionmaker
from app.core.errors import KeyUnavailable, NotFound
from app.core.models import AgencyKey, DataKey

_agencies = sa.table("agencies", sa.column("id", sa.Uuid()))
_load_lock = asyncio.Lock()


def _b64e(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _stored(key: WrappedKey) -> dict[str, Any]:
    return {"id": key.kid, "agency_id": key.agency_id, "provider": key.provider, "kek_id": key.kek_id,
            "wrapped": _b64e(key.wrapped) if key.wrapped is not None else None, "created_at": utcnow()}


def _wrapped_of(row: Any) -> WrappedKey:
    return WrappedKey(row.id, row.agency_id, row.provider, row.kek_id,
                      base64.b64decode(row.wrapped) if row.wrapped is not None else None)


def provision(connection: sa.Connection, agency_id: uuid.UUID) -> WrappedKey:
    """A new agency's KEK (local, generated) and first data key, written with `connection` (in the
    agency's own transaction). Added to this process's ring at once."""
    kek_id = kek.new_local_kek_id()
    kek.local.create(kek_id)
    key, _ = new_data_key(agency_id, "local", kek_id)
    connection.execute(sa.insert(AgencyKey.__table__).values(
        agency_id=agency_id, provider="local", kek_id=kek_id, rotated_at=utcnow()))
    connection.execute(sa.insert(DataKey.__table__).values(**_stored(key)))
    ring.add(key)
    return key


def _provision_in(session: Session, agency_id: uuid.UUID) -> None:
    provision(session.connection(), agency_id)


async def load_ring(session: AsyncSession) -> None:
    """Read every wrapped key into the ring; an agency without a key (made before agency keys existed, or
    written around the ORM) gets one."""
    missing = (await session.execute(
        sa.select(_agencies.c.id).where(~_agencies.c.id.in_(sa.select(AgencyKey.__table__.c.agency_id)))
    )).scalars().all()
    for agency_id in missing:
        await session.run_sync(_provision_in, agency_id)
    t = DataKey.__table__
    rows = (await session.execute(sa.select(t).order_by(t.c.agency_id, t.c.created_at, t.c.id))).all()
    ring.replace([_wrapped_of(r) for r in rows])


async def ensure_loaded() -> None:
    """Load the ring unless it is loaded and current. No query on the hot path."""
    if ring.loaded and not ring.stale:
        return
    async with _load_lock:
        if ring.loaded and not ring.stale:
            return
        async with own_transaction() as session:
            await load_ring(session)


REQUEST_HOOKS.append(ensure_loaded)


async def ensure_agency_known(agency_id: uuid.UUID | None) -> None:
    """Load the ring when it holds no key of `agency_id` (an agency another worker process made since this
    one loaded), so its staff's first write here seals under its key instead of answering key-unavailable.
    Called once the caller is known; no query when the agency is known (shredded agencies included)."""
    if agency_id is not None and agency_id not in ring.agencies:
        ring.stale = True
        await ensure_loaded()


async def agency_key(session: AsyncSession, agency_id: uuid.UUID) -> tuple[AgencyKey, DataKey | None]:
    """The agency's KEK record and current data key (None once destroyed)."""
    config = await session.get(AgencyKey, agency_id)
    if config is None:
        raise NotFound("agency")
    current = (await session.execute(
        sa.select(DataKey).where(DataKey.agency_id == agency_id, DataKey.wrapped.is_not(None))
        .order_by(DataKey.created_at.desc(), DataKey.id.desc()).limit(1)
    )).scalar_one_or_none()
    return config, current


async def add_data_key(session: AsyncSession, agency_id: uuid.UUID) -> WrappedKey:
    """A new current data key for the agency, wrapped by its KEK (older keys stay: their values still open)."""
    config, _ = await agency_key(session, agency_id)
    key, _ = new_data_key(agency_id, config.provider, config.kek_id)
    await session.execute(sa.insert(DataKey.__table__).values(**_stored(key)))
    config.rotated_at = utcnow()
    session.add(config)
    await session.flush()
    ring.add(key)
    return key


def kek_usable(provider: str, kek_id: str) -> bool:
    """Whether a key-encryption key can be used now (a local one is generated when missing)."""
    try:
        kek.provider(provider).create(kek_id)
    except (kek.KekUnavailable, ValueError):
        return False
    return True


async def rewrap(session: AsyncSession, agency_id: uuid.UUID, provider: str, kek_id: str) -> int:
    """Wrap every live data key of the agency by another KEK (`provider`, `kek_id`); rows are not touched.
    The new KEK is checked first (a local one is generated when missing). Returns how many keys."""
    config, _ = await agency_key(session, agency_id)
    target = kek.provider(provider)
    try:
        target.create(kek_id)
    except kek.KekUnavailable:
        raise KeyUnavailable("The new key-encryption key cannot be used: nothing changed.") from None
    keys = (await session.execute(
        sa.select(DataKey).where(DataKey.agency_id == agency_id, DataKey.wrapped.is_not(None))
    )).scalars().all()
    rewrapped: list[WrappedKey] = []
    for dk in keys:
        old = _wrapped_of(dk)
        try:
            plain = kek.provider(old.provider).unwrap(old.kek_id, old.wrapped or b"", wrap_aad(old.kid, agency_id))
            new = target.wrap(kek_id, plain, wrap_aad(old.kid, agency_id))
        except kek.KekUnavailable:
            raise KeyUnavailable() from None
        dk.provider, dk.kek_id, dk.wrapped = provider, kek_id, _b64e(new)
        session.add(dk)
        rewrapped.append(WrappedKey(old.kid, agency_id, provider, kek_id, new))
    config.provider, config.kek_id, config.rotated_at = provider, kek_id, utcnow()
    session.add(config)
    await session.flush()
    current = ring.current.get(agency_id)
    for key in rewrapped:
        ring.add(key, current=False)
    if current is not None:
        ring.current[agency_id] = current
    return len(rewrapped)


@dataclass(frozen=True)
class Shredded:
    keys: int
    kek_destroyed: bool
    provider: str
    kek_id: str


async def shred(session: AsyncSession, agency_id: uuid.UUID) -> Shredded:
    """Destroy the agency's data keys (their wrapped form is erased) and its KEK (key file or HSM key): every
    value sealed under them, here and in every backup, can no longer be read by anyone."""
    config, _ = await agency_key(session, agency_id)
    t = DataKey.__table__
    result: Any = await session.execute(
        sa.update(t).where(t.c.agency_id == agency_id, t.c.wrapped.is_not(None)).values(wrapped=None))
    count = result.rowcount
    destroyed = False
    try:
        destroyed = kek.provider(config.provider).destroy(config.kek_id)
    except kek.KekUnavailable:
        destroyed = False
    config.rotated_at = utcnow()
    session.add(config)
    await session.flush()
    for kid, wk in list(ring.wrapped.items()):
        if wk.agency_id == agency_id:
            ring.add(WrappedKey(kid, agency_id, wk.provider, wk.kek_id, None), current=False)
    ring.current.pop(agency_id, None)
    ring.forget(agency_id)
    return Shredded(count or 0, destroyed, config.provider, config.kek_id)


class ResealError(Exception):
    """A stored value did not open; names the row, never the value."""


async def reseal_rows(
    agency_id: uuid.UUID | None = None, *, legacy_only: bool = False, batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> int:
    """Seal again, under its owning agency's current key, every stored value that is not under it already
    (`legacy_only`: only values sealed with the platform key, "v1:"). One agency's rows, or all. Each batch
    commits on its own, so a run that stops is continued by running it again. Returns how many values."""
    await ensure_loaded()
    async with sessionmaker()() as session:
        conn = await session.connection()
        existing = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    count = 0
    for sealed in SEALED_COLUMNS:
        table = sealed.model.__table__
        if table.name not in existing:
            continue
        col = table.c[sealed.column]
        owner = sealed.owner(table).label("owner")
        last_id = None
        while True:
            async with own_transaction() as session:
                stmt = sa.select(table.c.id, col, owner).where(col.is_not(None)).order_by(table.c.id)
                if legacy_only:
                    stmt = stmt.where(col.like("v1:%"))
                if agency_id is not None:
                    stmt = stmt.where(owner == agency_id)
                if last_id is not None:
                    stmt = stmt.where(table.c.id > last_id)
                rows = (await session.execute(stmt.limit(batch_size))).all()
                if not rows:
                    break
                done = 0
                for row in rows:
                    stored, row_owner = row[1], row[2]
                    current = ring.current.get(row_owner)
                    if current is None:
                        raise ResealError(f"the agency owning {table.name} row {row[0]} has no usable data key")
                    if stored.startswith(f"v2:{current}:"):
                        continue
                    try:
                        new = encrypt(decrypt(stored, sealed.aad(row)), sealed.aad(row), owner=row_owner)
                    except (DecryptionError, KeyUnavailable, ValueError):
                        raise ResealError(
                            f"{table.name}.{sealed.column} of row {row[0]} could not be decrypted; values "
                            "re-encrypted before it stay readable") from None
                    # A plain UPDATE: the representation does not change, so neither does the row's version.
                    await session.execute(table.update().where(table.c.id == row[0], col == stored)
                                          .values({sealed.column: new}))
                    done += 1
                last_id = rows[-1][0]
            count += done
            if progress is not None and done:
                progress(f"{table.name}.{sealed.column}", done)
    return count
