"""Shapes of the key endpoints: which provider and key protect an agency's data, and changes of it. Ids only:
never key material."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class KeyProvider(StrEnum):
    local = "local"
    pkcs11 = "pkcs11"


class KeyChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class AgencyKeyRead(BaseModel):
    """What protects an agency's sealed data. `key_id`: the key-encryption key (a local key's id, or
    "token-label:key-label" in an HSM); `rotated_at`: when its keys last changed."""

    provider: KeyProvider
    key_id: str
    rotated_at: datetime
    data_key_id: str | None = Field(description="The data key new values are sealed with (None once destroyed).")


class KeyChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: KeyProvider
    key_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$",
                        description="local: a key id of TANDEM_LOCAL_KEKS (or a new local key's id); "
                                    "pkcs11: token-label:key-label of an AES key in the agency's HSM.")


class KeyChangeRead(BaseModel):
    """A change of where an agency's key-encryption key lives. Asked by the agency's own admin it is applied
    at once; asked by a platform admin it waits for the agency's admin to approve it."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    provider: KeyProvider
    key_id: str = Field(validation_alias="kek_id")
    status: KeyChangeStatus
    requested_by: str = Field(description="Who asked for it: `user:<id>`, `client:<id>` or `external:<id>`.")
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
