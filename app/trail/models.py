"""The audit trail: one hash chain of events per agency (and one for events of no agency, the platform's);
events hold no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, id_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    if TYPE_CHECKING:  # set by SQLModel on each table class; its stubs do not say so
        __table__: ClassVar[sa.Table]
    __table_args__ = (
        sa.Index("ix_audit_events_agency_at", "agency_id", "at"),
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_agency_seq", "agency_id", "seq"),
        sa.UniqueConstraint("chain", "seq"),
    )

    id: uuid.UUID = id_field()
    # The chain the event belongs to: its agency's id, or PLATFORM_CHAIN for an event of no agency.
    chain: str = Field(max_length=36)
    seq: int = Field(nullable=False)  # position in its chain, from 1
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


PLATFORM_CHAIN = "platform"


def chain_of(agency_id: uuid.UUID | None) -> str:
    """The chain an event of this agency (None: of no agency) is appended to."""
    return str(agency_id) if agency_id is not None else PLATFORM_CHAIN


class AuditChainHead(SQLModel, table=True):
    """The seq and hash of each chain's newest event. Appending takes it first, so its row lock (on SQLite
    the write lock) orders the appends of one chain only: agencies never wait on each other's chains; and the
    append reads the hash to link to from it, not from the events (app.trail.recorder).

    On SQLite a trigger on `audit_events` (created by the migration `audit_head_hash`) moves `hash` on when
    the event at the head's seq is inserted; a migration that rebuilds `audit_events` there (batch mode) must
    create it again."""

    __tablename__ = "audit_chain_heads"
    if TYPE_CHECKING:
        __table__: ClassVar[sa.Table]

    chain: str = Field(primary_key=True, max_length=36)
    seq: int = Field(nullable=False)
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A chain's head as of a verification that found it intact up to there. Verification through the API
    starts at the chain's newest checkpoint instead of its first event; `tandem audit verify --full` starts
    over and also checks that every checkpoint still matches the chain."""

    __tablename__ = "audit_checkpoints"

    chain: str = Field(primary_key=True, max_length=36)
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    verified_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AuditSealedHead(SQLModel, table=True):
    """The head (seq and hash) of the single platform-wide chain the trail was before it was split into
    one chain per agency, sealed (app.core.crypto.encrypt_json, aad SEALED_HEAD_AAD): an operator can
    still match it against a copy kept outside Tandem, and no agency learns the platform's volume from it."""

    __tablename__ = "audit_sealed_heads"

    id: int = Field(primary_key=True)
    sealed: str = Field(sa_type=sa.Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


SEALED_HEAD_AAD = b"audit_sealed_heads"
