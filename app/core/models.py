"""Tables that belong to the shared conventions rather than a domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_field, id_field


class IdempotencyRecord(SQLModel, table=True):
    """What a retried create needs and nothing more (app/core/http.py `Idempotency`): never a response body.

    `key` and `request_hash` are HMACs (keyed outside the database) of the client's Idempotency-Key and of
    the request's path and body; `resource_id` is the created object, read again on a replay. Rows older than
    TANDEM_IDEMPOTENCY_TTL_HOURS are ignored and purged.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("owner", "key"),)

    id: uuid.UUID = id_field()
    owner: str = Field(max_length=80)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    resource_id: uuid.UUID
    created_at: datetime = created_field()


class LoginFailure(SQLModel, table=True):
    """Failed logins per account name (known or not, so both answer alike)."""

    __tablename__ = "login_failures"
    if TYPE_CHECKING:  # set by SQLModel on each table class; its stubs do not say so
        __table__: ClassVar[sa.Table]

    email: str = Field(primary_key=True, max_length=320)
    window_start: datetime = Field(sa_type=UTCDateTime)
    count: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AgencyKey(SQLModel, table=True):
    """Where an agency's key-encryption key (KEK) lives: `provider` ("local" or "pkcs11") and `kek_id` (a
    local key's id, or "token:label" of a key in an HSM). Never key material."""

    __tablename__ = "agency_keys"
    if TYPE_CHECKING:
        __table__: ClassVar[sa.Table]

    agency_id: uuid.UUID = Field(primary_key=True, foreign_key="agencies.id")
    provider: str = Field(max_length=16)
    kek_id: str = Field(max_length=200)
    rotated_at: datetime = Field(sa_type=UTCDateTime)


class DataKey(SQLModel, table=True):
    """One data-encryption key of an agency, stored only wrapped by the agency's KEK (`wrapped`: base64 of
    what the provider returned). The newest of an agency is its current key. `wrapped` None: destroyed."""

    __tablename__ = "data_keys"
    if TYPE_CHECKING:
        __table__: ClassVar[sa.Table]

    id: str = Field(primary_key=True, max_length=40)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    provider: str = Field(max_length=16)
    kek_id: str = Field(max_length=200)
    wrapped: str | None = Field(default=None, max_length=400)
    created_at: datetime = created_field()
