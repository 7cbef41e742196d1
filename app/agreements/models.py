"""Data-sharing agreements between agencies, and each party's signature."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class Agreement(Versioned, table=True):
    __tablename__ = "agreements"

    id: uuid.UUID = id_field()
    title: str = Field(max_length=200)
    categories: list[str] = json_field()
    purposes: list[str] = json_field()
    effective_from: date
    expires_on: date
    document_sha256: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=16, index=True)  # draft|active|suspended|terminated
    status_reason: str | None = Field(default=None, max_length=500)
    created_by_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id")
    # The party that suspended the agreement; only that party may resume it.
    suspended_by_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id")
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AgreementParty(SQLModel, table=True):
    __tablename__ = "agreement_parties"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "agency_id"),)

    id: uuid.UUID = id_field()
    agreement_id: uuid.UUID = Field(foreign_key="agreements.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    signed_by: uuid.UUID | None = None
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_field()
