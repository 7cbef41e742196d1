"""A change of where an agency's key-encryption key lives, asked by a platform admin and waiting for the
agency's own admin (the platform may not move an agency onto a key the platform holds on its own)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from app.core.db import Versioned, created_field, id_field, time_field


class KeyChange(Versioned, table=True):
    __tablename__ = "key_changes"

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    provider: str = Field(max_length=16)  # local | pkcs11
    kek_id: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    requested_by: str = Field(max_length=320)  # Principal.ref of the requesting admin
    decided_by: str | None = Field(default=None, max_length=320)
    decided_at: datetime | None = time_field()
    created_at: datetime = created_field()
