"""Services a person was referred to or received (shelter, counselling, legal advocacy, ...), held by the agency
that holds the person's record.

The name of an outside provider is sealed at rest. `case_id` is kept on the row, indexed with `started_at`, so
that "the first service started for the family" is one index range per case (reports: services on day one).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field


class Service(Versioned, table=True):
    __tablename__ = "services"
    __table_args__ = (
        sa.Index("ix_services_case_started", "case_id", "started_at"),
        sa.Index("ix_services_agency_started", "agency_id", "started_at"),
        sa.Index("ix_services_person_created", "person_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")  # the agency holding the person's record
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    person_id: uuid.UUID = Field(foreign_key="people.id")
    kind: str = Field(max_length=40)  # ServiceKind
    # The provider: an agency in Tandem, or an outside provider named (sealed); exactly one of the two.
    provider_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id")
    provider_name_enc: str | None = Field(default=None, sa_type=sa.Text)
    referred_at: datetime | None = time_field()
    first_contact_at: datetime | None = time_field()
    started_at: datetime | None = time_field()
    ended_at: datetime | None = time_field()
    status: str = Field(max_length=24)  # ServiceStatus
    barriers: list[str] = json_field()  # [Barrier]
    # The referral (of the same case, sent by the same agency) this service came from.
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referrals.id", index=True)
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def service_aad(service_id: object, field: str) -> bytes:
    """Binds a sealed value to its service and field."""
    return f"service:{service_id}:{field}".encode()


register_sealed(Service, "provider_name_enc", lambda row: service_aad(row.id, "provider_name"))
