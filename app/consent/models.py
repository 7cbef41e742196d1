"""Consents, legal mandates, the accounting of disclosures, and the tasks to notify a survivor of a
release under a legal mandate.

No row here holds a person's name, address or contact details; the free-text reasons written about a
person (a consent's revocation, a mandate's withdrawal or its order for immediate release) are sealed at rest.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field


class Consent(Versioned, table=True):
    """A person's informed, written, time-limited consent to share named categories with one agency.

    Its status (active, expired, revoked, not_yet_valid) is computed at read time from the clock.
    """

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_person_recipient", "person_id", "recipient_agency_id"),)

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")  # the agency that holds the person's record
    recipient_agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    purposes: list[str] = json_field()
    categories: list[str] = json_field()
    valid_from: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    signed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    signature_method: str = Field(max_length=16)  # written | electronic
    risks_explained: bool
    language: str = Field(max_length=40)
    grantor_person_id: uuid.UUID = Field(foreign_key="people.id")
    grantor_relationship: str = Field(max_length=16)  # self | parent | guardian
    recorded_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    revoked_at: datetime | None = time_field()
    revoked_by: str | None = Field(default=None, max_length=300)
    revocation_method: str | None = Field(default=None, max_length=16)  # written | oral
    revocation_reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    # A consent naming substance_use holds the 42 CFR 2.31 elements (its free text sealed); None otherwise.
    part2_disclosing_program_enc: str | None = Field(default=None, sa_type=sa.Text)
    part2_amount_and_kind_enc: str | None = Field(default=None, sa_type=sa.Text)
    part2_revocation_explained: bool | None = Field(default=None)
    # The signed form and how it was explained: its SHA-256, the version of the agency's consent wording used,
    # the specific risks explained (codes), and who witnessed it ({"name", "role"}, sealed). None: not given.
    document_sha256: str | None = Field(default=None, max_length=64)
    wording_version: str | None = Field(default=None, max_length=40)
    risks: list[str] | None = Field(default=None, sa_type=sa.JSON)
    witness_enc: str | None = Field(default=None, sa_type=sa.Text)


def consent_aad(consent_id: object, field: str) -> bytes:
    """Binds a sealed value to its consent and field."""
    return f"consent:{consent_id}:{field}".encode()


register_sealed(Consent, "revocation_reason_enc", lambda row: consent_aad(row.id, "revocation_reason"))
register_sealed(Consent, "part2_disclosing_program_enc", lambda row: consent_aad(row.id, "part2_disclosing_program"))
register_sealed(Consent, "part2_amount_and_kind_enc", lambda row: consent_aad(row.id, "part2_amount_and_kind"))
register_sealed(Consent, "witness_enc", lambda row: consent_aad(row.id, "witness"))


class ConsentWording(SQLModel, table=True):
    """A version of an agency's consent wording (the text a survivor is read or given), in one language,
    managed by the agency admin. A consent names the version it used; a retired version is no longer named by
    new consents (consents that named it keep it). Never edited: a change is a new version."""

    __tablename__ = "consent_wordings"
    __table_args__ = (sa.UniqueConstraint("agency_id", "version", "language", name="uq_consent_wordings_version"),)

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    version: str = Field(max_length=40)
    language: str = Field(max_length=40)
    text: str = Field(sa_type=sa.Text)
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    retired_at: datetime | None = time_field()
    retired_by: str | None = Field(default=None, max_length=300)


class LegalMandate(Versioned, table=True):
    """A statute or court order requiring the owner to release named categories of a person to one agency.

    A subpoena alone waits in `triage` and releases nothing until a supervisor records a court order.
    """

    __tablename__ = "legal_mandates"
    __table_args__ = (sa.Index("ix_legal_mandates_person_recipient", "person_id", "recipient_agency_id"),)

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    recipient_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    basis: str = Field(max_length=16)  # statute | court_order | subpoena
    status: str = Field(max_length=16, index=True)  # active | triage | withdrawn (expired: from expires_at)
    citation: str = Field(max_length=300)
    categories: list[str] = json_field()
    document_sha256: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # at most a year after it was recorded
    court_order_citation: str | None = Field(default=None, max_length=300)
    court_order_sha256: str | None = Field(default=None, max_length=64)
    recorded_by: str | None = Field(default=None, max_length=300)
    activated_by: str | None = Field(default=None, max_length=300)
    activated_at: datetime | None = time_field()
    # A court order may require release at once, without waiting for the survivor to be warned; the reason
    # (free text) is sealed at rest.
    immediate_release: bool = Field(default=False)
    immediate_release_reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    withdrawn_at: datetime | None = time_field()
    withdrawn_by: str | None = Field(default=None, max_length=300)
    withdrawal_reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def mandate_aad(mandate_id: object, field: str) -> bytes:
    """Binds a sealed value to its legal mandate and field."""
    return f"legal_mandate:{mandate_id}:{field}".encode()


register_sealed(LegalMandate, "withdrawal_reason_enc", lambda row: mandate_aad(row.id, "withdrawal_reason"))
register_sealed(LegalMandate, "immediate_release_reason_enc",
                lambda row: mandate_aad(row.id, "immediate_release_reason"))


class Disclosure(SQLModel, table=True):
    """One row of the accounting of disclosures: every request, granted or not. Never the released data."""

    __tablename__ = "disclosures"
    if TYPE_CHECKING:  # set by SQLModel on each table class; its stubs do not say so
        __table__: ClassVar[sa.Table]
    __table_args__ = (sa.Index("ix_disclosures_person_created", "person_id", "created_at"),)

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id")
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)  # the agency that holds the record
    requester_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id", index=True)
    requester_type: str = Field(max_length=16)  # user | client | external
    requester_id: str = Field(max_length=300)
    purpose: str = Field(max_length=32)
    categories_requested: list[str] = json_field()
    categories_released: list[str] = json_field()
    withheld: list[dict[str, Any]] = json_field()  # [{"category", "reason"}]
    released_basis: dict[str, Any] = json_field(dict)  # {category: basis}
    # {category: [element, ...]} for each category released under a consent naming some of its elements.
    released_elements: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    basis: str = Field(max_length=16)  # own_agency | legal_mandate | consent | mixed | none
    outcome: str = Field(max_length=16)  # released | partial | withheld | refused
    consent_ids: list[str] = json_field()
    mandate_ids: list[str] = json_field()
    context: dict[str, Any] = json_field(dict)  # ids only, e.g. {"referral_id": ...}
    redisclosure_notice: bool = Field(default=False)
    created_at: datetime = created_field()


class NotificationTask(Versioned, table=True):
    """A task for the owning agency to tell the survivor, through her safe-contact instructions, of a legal
    mandate: `mandate_notice` opens when the mandate comes into force, to warn her before any release (release
    waits for it, or for the notice hours); `release_notice` opens when data was released under a mandate."""

    __tablename__ = "notification_tasks"
    __table_args__ = (sa.Index("ix_notification_tasks_agency_status", "agency_id", "status"),)

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    kind: str = Field(default="release_notice", max_length=16)  # mandate_notice | release_notice
    mandate_id: uuid.UUID | None = Field(default=None, foreign_key="legal_mandates.id", index=True)  # mandate_notice
    disclosure_id: uuid.UUID | None = Field(default=None, foreign_key="disclosures.id", index=True)  # release_notice
    requester_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id")
    categories: list[str] = json_field()
    mandate_ids: list[str] = json_field()
    status: str = Field(default="open", max_length=16)  # open | done
    outcome: str | None = Field(default=None, max_length=32)  # notified | not_safe_to_contact | unreachable
    completed_by: str | None = Field(default=None, max_length=300)
    completed_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsentDraft(Versioned, table=True):
    """A renewal of a consent waiting for her signature: the old consent's scope (recipient, purposes,
    categories) copied for her to read again and sign. A draft is not a consent: the disclosure rule reads
    only `consents`, so a draft releases nothing; signing it records a new consent like any other (every
    element checked again) and links it here."""

    __tablename__ = "consent_drafts"

    id: uuid.UUID = id_field()
    renews_consent_id: uuid.UUID = Field(foreign_key="consents.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    recipient_agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    purposes: list[str] = json_field()
    categories: list[Any] = json_field()  # as the renewed consent holds them
    status: str = Field(default="draft", max_length=16)  # draft | signed
    signed_consent_id: uuid.UUID | None = Field(default=None, foreign_key="consents.id")
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
