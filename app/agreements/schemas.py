"""Create / Read schemas for data-sharing agreements and their state changes."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from app.core.types import Input, unique_items
from app.core.vocab import DataCategory, Purpose

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AgreementStatus(StrEnum):
    draft = "draft"
    active = "active"
    suspended = "suspended"
    terminated = "terminated"


@unique_items
def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class AgreementCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    party_agency_ids: list[uuid.UUID] = Field(min_length=2, max_length=20,
                                              description="At least two distinct agencies, your own among them.")
    categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))
    effective_from: date
    expires_on: date
    document_sha256: str = Field(min_length=64, max_length=64, description="SHA-256 (hex) of the signed text.")

    _u = field_validator("party_agency_ids", "categories", "purposes")(_unique)

    @field_validator("document_sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        v = v.lower()
        if not _SHA256.match(v):
            raise ValueError("must be 64 hexadecimal characters")
        return v

    @model_validator(mode="after")
    def _dates(self) -> AgreementCreate:
        if self.effective_from > self.expires_on:
            raise ValueError("effective_from must not be after expires_on")
        return self


class StatusChange(Input):
    reason: str = Field(min_length=1, max_length=500)


class PartyRead(BaseModel):
    agency_id: uuid.UUID
    signed_at: datetime | None
    signed_by: uuid.UUID | None


class AgreementRead(BaseModel):
    id: uuid.UUID
    title: str
    party_agency_ids: list[uuid.UUID]
    parties: list[PartyRead]
    categories: list[DataCategory]
    purposes: list[Purpose]
    effective_from: date
    expires_on: date
    document_sha256: str
    status: AgreementStatus
    status_reason: str | None
    in_force: bool = Field(description="Active, and today is within effective_from..expires_on.")
    created_by_agency_id: uuid.UUID | None
    suspended_by_agency_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None
