"""Key operations run by the operator (`tandem rotate-data-key`, `shred-agency-key`, `migrate-data-keys`), each
recorded in the audit trail (ids and counts only, never key material)."""

from __future__ import annotations

import uuid
from typing import Any

from app.core import keyring
from app.core.crypto import ring
from app.core.db import own_transaction
from app.core.errors import NotFound
from app.core.kek import new_local_kek_id
from app.core.models import AgencyKey
from app.trail.recorder import record


async def _agency_ids(agency_id: uuid.UUID | None) -> list[uuid.UUID]:
    await keyring.ensure_loaded()
    if agency_id is None:
        return sorted(ring.current, key=str)
    async with own_transaction() as session:
        if await session.get(AgencyKey, agency_id) is None:
            raise NotFound("agency")
    return [agency_id]


async def rotate(agency_id: uuid.UUID | None, *, kek: bool = False, kek_id: str | None = None,
                 batch_size: int = 500) -> dict[str, Any]:
    """Rotate one agency's keys (or every agency's). Data key (default): a new current data key, then that
    agency's values are sealed again under it. `kek`: a new key-encryption key wraps the agency's data keys
    again (rows are not touched): a new local key, or `kek_id` in the agency's current provider."""
    done: dict[str, Any] = {"agencies": [], "values": 0, "keys_rewrapped": 0}
    for aid in await _agency_ids(agency_id):
        async with own_transaction() as session:
            if kek:
                config, _ = await keyring.agency_key(session, aid)
                target = kek_id or (new_local_kek_id() if config.provider == "local" else None)
                if target is None:
                    raise ValueError("--kek-id is required to rotate a pkcs11 key-encryption key")
                n = await keyring.rewrap(session, aid, config.provider, target)
                done["keys_rewrapped"] += n
                await record(session, None, "agency_key.rotate_kek", "agency", aid, agency_id=aid)
            else:
                key = await keyring.add_data_key(session, aid)
                await record(session, None, "agency_key.rotate", "data_key", key.kid, agency_id=aid)
        if not kek:
            n = await keyring.reseal_rows(aid, batch_size=batch_size)
            done["values"] += n
        done["agencies"].append(str(aid))
    return done


async def shred(agency_id: uuid.UUID) -> keyring.Shredded:
    await _agency_ids(agency_id)
    async with own_transaction() as session:
        result = await keyring.shred(session, agency_id)
        await record(session, None, "agency_key.shred", "agency", agency_id, agency_id=agency_id)
    return result


async def migrate(batch_size: int = 500) -> int:
    """Seal every value still under the platform key ("v1:") under its agency's key; resumable."""
    n = await keyring.reseal_rows(None, legacy_only=True, batch_size=batch_size)
    async with own_transaction() as session:
        await record(session, None, "agency_key.migrate", "platform", None)
    return n
