"""Small helpers shared by the cases tests."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.trail.models import AuditEvent


async def audit_actions(object_id: Any) -> list[str]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(object_id))
                               .order_by(AuditEvent.seq))
        return list(rows.scalars())


async def count(model: Any, *where: Any) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(model).where(*where))).scalar_one()


def uid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))
