"""Agencies, their CPS field offices, staff users and agency systems (API clients)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field
from app.core.keyring import provision


class Agency(Versioned, table=True):
    __tablename__ = "agencies"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # cps | dv | community
    jurisdiction: str = Field(default="", max_length=200)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@event.listens_for(Agency, "after_insert")
def _agency_keys(mapper: Any, connection: Any, agency: Agency) -> None:
    """Every agency gets its own key-encryption key and data key in the transaction that creates it."""
    provision(connection, agency.id)


class Office(SQLModel, table=True):
    __tablename__ = "offices"

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    created_at: datetime = created_field()


class User(Versioned, table=True):
    __tablename__ = "users"

    id: uuid.UUID = id_field()
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})
    full_name: str = Field(max_length=200)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id", index=True)
    roles: list[str] = json_field()
    active: bool = True
    password_hash: str = Field(max_length=200)
    token_version: int = 0  # bumped on deactivation: every token issued before stops working
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiClient(SQLModel, table=True):
    """An agency system that calls Tandem with client credentials."""

    __tablename__ = "api_clients"

    id: uuid.UUID = id_field()
    client_id: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    roles: list[str] = json_field()
    active: bool = True
    secret_hash: str = Field(max_length=200)
    token_version: int = 0  # bumped on secret rotation
    created_at: datetime = created_field()


class RoleChange(Versioned, table=True):
    """A change of a user's roles that waits for a second admin (admin and casework roles held together)."""

    __tablename__ = "role_changes"

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    roles_before: list[str] = json_field()
    roles_after: list[str] = json_field()
    status: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    requested_by: str = Field(max_length=320)  # Principal.ref of the requesting admin
    decided_by: str | None = Field(default=None, max_length=320)
    decided_at: datetime | None = time_field()
    created_at: datetime = created_field()


class PersonAccount(Versioned, table=True):
    """A survivor's or non-abusive parent's access to her own view, bound to her one record of one agency.

    Created when she redeems an invitation (app.family). `username` is hers (never an email address, so it never
    collides with staff logins); the passphrase is an Argon2 hash as for staff. `locked_by` says who ended the
    access: `self` (her safety lock) or `agency` (revoked); either way only a new invitation reopens it.
    """

    __tablename__ = "person_accounts"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", sa_column_kwargs={"unique": True})
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    passphrase_hash: str = Field(max_length=200)
    active: bool = True
    locked_by: str | None = Field(default=None, max_length=8)  # self | agency
    locked_at: datetime | None = time_field()
    token_version: int = 0  # bumped on lock, revocation and each redeemed invitation: earlier tokens stop working
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
