"""Create / Update / Read schemas for agencies, offices, users and clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.auth.permissions import AgencyKind, Role
from app.core.types import Input, NotNull

Name = Field(min_length=1, max_length=200)


class AgencyCreate(Input):
    name: str = Name
    kind: AgencyKind
    jurisdiction: str = Field("", max_length=200)


class AgencyUpdate(Input):
    name: Annotated[str | None, NotNull] = Field(None, min_length=1, max_length=200)
    jurisdiction: Annotated[str | None, NotNull] = Field(None, max_length=200)


class AgencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: AgencyKind
    jurisdiction: str
    created_at: datetime


class OfficeCreate(Input):
    name: str = Name
    timezone: str = Field(min_length=1, max_length=64, examples=["America/Chicago"])

    @field_validator("timezone")
    @classmethod
    def _iana(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as America/Chicago")
        return v


class OfficeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    name: str
    timezone: str


class UserCreate(Input):
    email: EmailStr
    full_name: str = Name
    agency_id: uuid.UUID | None = None
    roles: list[Role] = Field(min_length=1, max_length=7)
    password: str = Field(min_length=12, max_length=256)


class UserUpdate(Input):
    full_name: Annotated[str | None, NotNull] = Field(None, min_length=1, max_length=200)
    roles: Annotated[list[Role] | None, NotNull] = Field(None, min_length=1, max_length=7)
    password: Annotated[str | None, NotNull] = Field(None, min_length=12, max_length=256)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    full_name: str
    agency_id: uuid.UUID | None
    roles: list[Role]
    active: bool


class ClientCreate(Input):
    name: str = Name
    agency_id: uuid.UUID | None = None
    roles: list[Role] = Field(min_length=1, max_length=7)


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    client_id: str
    name: str
    agency_id: uuid.UUID
    roles: list[Role]
    active: bool


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; store it now.")


class ClientCreated(ClientRead):
    client_secret: str | None = Field(
        None, description="Shown once, in the first answer; absent from a replay of the same Idempotency-Key.")


class RoleChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class RoleChangeRead(BaseModel):
    """A change of a user's roles that needs a second admin; ids and role names only."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    user_id: uuid.UUID
    roles_before: list[Role]
    roles_after: list[Role]
    status: RoleChangeStatus
    requested_by: str = Field(description="Who asked for it: `user:<id>`, `client:<id>` or `external:<id>`.")
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
