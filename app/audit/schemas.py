"""Read schemas of the audit trail (events hold no personal data)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    seq: int
    at: datetime
    actor_type: str
    actor_id: str | None
    agency_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    request_id: str | None
    outcome: str
    prev_hash: str
    hash: str


class ChainVerification(BaseModel):
    """The caller's own agency's chain."""

    ok: bool
    length: int
    head_hash: str
    first_broken_seq: int | None = None
    reason: str | None = None
    detail: str | None = None
    verified_length: int | None = None
