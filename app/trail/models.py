"""The audit trail: a hash chain of events that hold no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, id_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_agency_at", "agency_id", "at"),
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_agency_seq", "agency_id", "seq"),
    )

    id: uuid.UUID = id_field()
    seq: int = Field(sa_column_kwargs={"unique": True}, nullable=False)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_type: str = Field(max_length=16)
    actor_id: str | None = Field(default=None, max_length=80)
    agency_id: uuid.UUID | None = Field(default=None)
    action: str = Field(max_length=80, index=True)
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, max_length=80)
    request_id: str | None = Field(default=None, max_length=80)
    outcome: str = Field(default="success", max_length=40)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    @property
    def created_at(self) -> datetime:
        return self.at


class AuditCheckpoint(SQLModel, table=True):
    """The chain's head as of a verification that found the chain intact up to it. Verification through
    the API starts at the newest checkpoint instead of the first event; `tandem audit verify --full` starts
    over and also checks that every checkpoint still matches the chain."""

    __tablename__ = "audit_checkpoints"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    verified_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
