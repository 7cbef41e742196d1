"""Create / Read schemas for consents, disclosures, legal mandates and notification tasks."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.consent import elements as element_vocab
from app.core.types import Input, Timestamp, unique_items
from app.core.vocab import DataCategory, Purpose

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ConsentStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"
    not_yet_valid = "not_yet_valid"


class SignatureMethod(StrEnum):
    written = "written"
    electronic = "electronic"


class RevocationMethod(StrEnum):
    written = "written"
    oral = "oral"


class GrantorRelationship(StrEnum):
    self = "self"
    parent = "parent"
    guardian = "guardian"


class MandateBasis(StrEnum):
    statute = "statute"
    court_order = "court_order"
    subpoena = "subpoena"


class MandateStatus(StrEnum):
    active = "active"
    triage = "triage"
    expired = "expired"
    withdrawn = "withdrawn"


class TaskKind(StrEnum):
    mandate_notice = "mandate_notice"  # warn her that a mandate is in force, before any release
    release_notice = "release_notice"  # tell her what was released under a mandate


class TaskStatus(StrEnum):
    open = "open"
    done = "done"


class TaskOutcome(StrEnum):
    notified = "notified"
    not_safe_to_contact = "not_safe_to_contact"
    unreachable = "unreachable"


@unique_items
def _unique(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


def _sha(v: str) -> str:
    v = v.lower()
    if not _SHA256.match(v):
        raise ValueError("must be 64 hexadecimal characters")
    return v


def _sha_or_none(v: str | None) -> str | None:
    return None if v is None else _sha(v)


# ------------------------------------------------------------------ consents


class RiskCode(StrEnum):
    """The specific risks of sharing explained to her before she signed.

    perpetrator_access_to_records: the person using violence may obtain the records (e.g. in discovery).
    court_subpoena: the recipient's records can be subpoenaed or ordered into court.
    mandated_reporting: the recipient must report child abuse or neglect it learns of.
    data_breach: records held elsewhere may be exposed by a breach.
    other: another risk, explained in person.
    """

    perpetrator_access_to_records = "perpetrator_access_to_records"
    court_subpoena = "court_subpoena"
    mandated_reporting = "mandated_reporting"
    data_breach = "data_breach"
    other = "other"


class Witness(Input):
    """Who witnessed her signature (sealed at rest)."""

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=100, description="e.g. advocate, interpreter, notary.")


class Grantor(Input):
    person_id: uuid.UUID
    relationship: GrantorRelationship


class Part2(Input):
    """The elements 42 CFR 2.31 requires of a consent to disclose substance use disorder records: the program
    permitted to disclose, how much and what kind of information, and that she was told she may revoke it.
    Free text is sealed at rest."""

    disclosing_program: str = Field(min_length=1, max_length=300,
                                    description="The program (or its general designation) permitted to disclose.")
    amount_and_kind: str = Field(min_length=1, max_length=2000,
                                 description="How much and what kind of information may be disclosed.")
    revocation_explained: bool = Field(description="Must be true: she was told she may revoke the consent.")

    @field_validator("revocation_explained")
    @classmethod
    def _revocation(cls, v: bool) -> bool:
        if v is not True:
            raise ValueError("she must have been told she may revoke the consent (true)")
        return v


# The elements of `part2`, each named in a 422 when a consent naming substance_use lacks it.
PART2_ELEMENTS = ("disclosing_program", "amount_and_kind", "revocation_explained")


class CategoryElements(Input):
    """Some elements of one category (the rest of it is not released under this consent)."""

    category: DataCategory
    elements: list[str] = Field(min_length=1, max_length=40, description=(
        "Elements of the category: " + element_vocab.description()))

    @model_validator(mode="after")
    def _known(self) -> CategoryElements:
        if len(set(self.elements)) != len(self.elements):
            raise ValueError("elements must not repeat")
        bad = [m for m in (element_vocab.element_error(self.category.value, e) for e in self.elements) if m]
        if bad:
            raise ValueError("; ".join(bad))
        return self


class CategoryElementsRead(BaseModel):
    category: DataCategory
    elements: list[str]


def category_names(entries: list[Any]) -> list[str]:
    """The categories a consent names, whole or by elements."""
    return [e.category.value if isinstance(e, CategoryElements) else DataCategory(e).value for e in entries]


def stored_scope(entries: list[Any]) -> list[Any]:
    """A consent's categories as stored: a category's name, or {"category", "elements"}."""
    return [{"category": c.category.value, "elements": list(c.elements)} if isinstance(c, CategoryElements)
            else DataCategory(c).value for c in entries]


def _once_each(v: list[Any]) -> list[Any]:
    names = category_names(v)
    if len(set(names)) != len(names):
        raise ValueError("each category may appear once")
    return v


class ConsentCreate(Input):
    """Every element is required; a missing one is named in the 422 `errors` (all of them at once)."""

    recipient_agency_id: uuid.UUID
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))
    categories: list[DataCategory | CategoryElements] = Field(
        min_length=1, max_length=len(DataCategory),
        description="Each a category (all of it) or `{\"category\", \"elements\"}` (only those elements; an unknown "
                    "element is a 422 naming it). A category appears once.")
    valid_from: Timestamp = Field(description="At most one day before signed_at.")
    expires_at: Timestamp = Field(description="After valid_from, and at most the configured maximum (90 days by "
                                             "default) after signed_at.")
    signed_at: Timestamp = Field(description="Not in the future, and no older than the configured maximum.")
    signature_method: SignatureMethod
    risks_explained: bool = Field(description="Must be true: the risks and benefits of sharing were explained.")
    language: str = Field(min_length=1, max_length=40, description="The language the consent was explained in.")
    grantor: Grantor
    part2: Part2 | None = Field(
        None, description="Required when `categories` names substance_use (42 CFR 2.31), each element named in the "
                          "422 when missing; refused (422) on a consent that does not name substance_use.")

    document_sha256: str | None = Field(None, min_length=64, max_length=64,
                                        description="SHA-256 of the signed consent form (64 hex characters).")
    wording_version: str | None = Field(
        None, min_length=1, max_length=40,
        description="The version of the owning agency's consent wording used (POST /consent-wordings); an "
                    "unknown or retired version is a 422.")
    risks: list[RiskCode] | None = Field(None, min_length=1, max_length=len(RiskCode),
                                         description="The specific risks explained (non-empty when given).")
    witness: Witness | None = Field(None, description="Who witnessed the signature (sealed; shown on the consent "
                                                      "read, never in lists).")

    _u = field_validator("purposes", "risks")(_unique)
    _s = field_validator("document_sha256")(_sha_or_none)

    _once = field_validator("categories")(_once_each)

    @field_validator("risks_explained")
    @classmethod
    def _explained(cls, v: bool) -> bool:
        if v is not True:
            raise ValueError("the risks and benefits must have been explained (true)")
        return v


class GrantorRead(BaseModel):
    person_id: uuid.UUID
    relationship: GrantorRelationship


class ConsentSummary(BaseModel):
    """A consent in a list: its terms and status, no free text."""

    id: uuid.UUID
    person_id: uuid.UUID
    recipient_agency_id: uuid.UUID
    purposes: list[Purpose]
    categories: list[DataCategory | CategoryElementsRead]
    valid_from: datetime
    expires_at: datetime
    signed_at: datetime
    signature_method: SignatureMethod
    grantor: GrantorRead
    status: ConsentStatus
    revoked_at: datetime | None = None
    created_at: datetime


class Part2Read(BaseModel):
    disclosing_program: str
    amount_and_kind: str
    revocation_explained: bool


class WitnessRead(BaseModel):
    name: str
    role: str


class ConsentRead(ConsentSummary):
    risks_explained: bool
    language: str
    recorded_by: str | None = None
    revoked_by: str | None = None
    revocation_method: RevocationMethod | None = None
    revocation_reason: str | None = None
    part2: Part2Read | None = Field(None, description="The 42 CFR 2.31 elements of a consent naming substance_use.")
    document_sha256: str | None = None
    wording_version: str | None = None
    risks: list[RiskCode] | None = None
    witness: WitnessRead | None = None


# ------------------------------------------------------------------ consent wordings


class WordingCreate(Input):
    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$",
                         description="The version's label, e.g. 2026-11 or v3 (letters, digits, . _ -).")
    language: str = Field(min_length=1, max_length=40, description="The language of this text, e.g. es.")
    text: str = Field(min_length=1, max_length=20000, description="The wording itself (no personal data).")


class WordingRead(BaseModel):
    """A version of the agency's consent wording in one language; `retired` ones are no longer used."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    version: str
    language: str
    text: str
    created_by: str | None = None
    created_at: datetime
    retired_at: datetime | None = None
    retired_by: str | None = None


class ConsentRevoke(Input):
    reason: str = Field(min_length=1, max_length=2000)
    method: RevocationMethod


# ------------------------------------------------------------------ disclosures


class DisclosureRequest(Input):
    """About whom: `person_id` (a person your agency is linked to), or `linked_person_id` (one of your own
    people: the request is about the other agency's record linked to it, resolved through an active link;
    404 without one). Exactly one of the two."""

    person_id: uuid.UUID | None = None
    linked_person_id: uuid.UUID | None = Field(
        None, description="Your own person, linked to another agency's record: the request is about that record.")
    purpose: Purpose
    categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))

    _u = field_validator("categories")(_unique)

    @model_validator(mode="after")
    def _one_subject(self) -> DisclosureRequest:
        if (self.person_id is None) == (self.linked_person_id is None):
            raise ValueError("give exactly one of person_id and linked_person_id")
        return self


class Withheld(BaseModel):
    category: DataCategory
    reason: str


class ReleasedMetaRead(BaseModel):
    as_of: datetime | None
    agency_id: uuid.UUID
    elements: list[str]


class DisclosureRead(BaseModel):
    """What the rule released to the caller, and what it withheld and why."""

    id: uuid.UUID
    person_id: uuid.UUID
    purpose: Purpose
    released: dict[str, Any]
    withheld: list[Withheld]
    basis: str = Field(description="own_agency | legal_mandate | consent | mixed | none")
    released_basis: dict[str, str] = Field(description="The basis of each released category.")
    released_meta: dict[str, ReleasedMetaRead] = Field(
        default_factory=dict,
        description="For each released category: the last change of the record (`as_of`), the agency holding "
                    "it and the elements released (empty: the whole category).")
    redisclosure_notice: str | None = None
    created_at: datetime


class DisclosurePreviewRequest(Input):
    recipient_agency_id: uuid.UUID = Field(description="The agency whose view is previewed (not the caller's).")
    purpose: Purpose
    categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))
    as_if_signed: list[DataCategory | CategoryElements] | None = Field(
        None, min_length=1, max_length=len(DataCategory),
        description="The scope of the consent she is about to sign (as a consent's `categories`): the preview is "
                    "then what the recipient would receive once she signed it for `purpose`, beside what her "
                    "consents in effect already allow. The agreement between the agencies still applies.")

    _u = field_validator("categories")(_unique)
    _once = field_validator("as_if_signed")(lambda v: v if v is None else _once_each(v))


class DisclosurePreviewRead(BaseModel):
    """What the recipient agency would receive now (the same rule and element cut as a disclosure); nothing was
    released, nothing accounted."""

    preview: bool = Field(True, description="Always true: nothing was released.")
    as_if_signed: bool = Field(False, description="True when the preview counted the consent she is about to sign.")
    person_id: uuid.UUID
    recipient_agency_id: uuid.UUID
    purpose: Purpose
    released: dict[str, Any]
    withheld: list[Withheld]
    basis: str = Field(description="own_agency | legal_mandate | consent | mixed | none")
    released_basis: dict[str, str]
    released_meta: dict[str, ReleasedMetaRead] = Field(default_factory=dict)
    redisclosure_notice: str | None = None
    created_at: datetime


class DisclosureRecord(BaseModel):
    """One row of the accounting of disclosures: when, to whom, what, why, on what basis (never the data)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    person_id: uuid.UUID
    created_at: datetime
    requester_agency_id: uuid.UUID | None
    requester_type: str
    requester_id: str
    purpose: Purpose
    categories_requested: list[DataCategory]
    categories_released: list[DataCategory]
    withheld: list[Withheld]
    basis: str
    released_basis: dict[str, str]
    released_elements: dict[str, list[str]] | None = Field(
        None, description="For each category released under a consent naming some of its elements: those released.")
    outcome: str = Field(description="released | partial | withheld | refused")
    consent_ids: list[str]
    mandate_ids: list[str]
    context: dict[str, Any]
    redisclosure_notice: bool


# ------------------------------------------------------------------ shared with us


class SharedKind(StrEnum):
    consent = "consent"
    legal_mandate = "legal_mandate"


class SharedItem(BaseModel):
    """A consent or legal mandate naming the caller's agency as recipient: its terms, no personal data."""

    kind: SharedKind
    id: uuid.UUID
    agency_id: uuid.UUID = Field(description="The agency that holds the person's record.")
    person_id: uuid.UUID = Field(description="The holding agency's person id (what a disclosure request names).")
    linked_person_id: uuid.UUID | None = Field(
        None, description="The caller's own person record linked to that person, where a link exists.")
    categories: list[DataCategory | CategoryElementsRead] = Field(
        description="What may be asked for: categories, or some elements of one.")
    purposes: list[Purpose] | None = Field(description="The purposes consented to; null for a mandate (any).")
    basis: str = Field(description="consent | statute | court_order | subpoena")
    valid_from: datetime
    valid_until: datetime
    status: str = Field(description="active | expired | revoked (a withdrawn mandate) | not_yet_valid | triage "
                                    "(a subpoena waiting for its court order)")
    created_at: datetime


# ------------------------------------------------------------------ legal mandates


class MandateCreate(Input):
    basis: MandateBasis
    citation: str = Field(min_length=1, max_length=300, description="The statute, order or subpoena cited.")
    recipient_agency_id: uuid.UUID
    categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))
    document_sha256: str = Field(min_length=64, max_length=64)
    expires_at: Timestamp = Field(description="When the mandate stops releasing anything: after now and at most "
                                              "365 days from now.")
    immediate_release: bool = Field(False, description="A court order only: it requires release at once, without "
                                                       "waiting for the survivor to be warned.")
    immediate_release_reason: str | None = Field(None, min_length=1, max_length=2000,
                                                 description="Required with immediate_release.")

    _u = field_validator("categories")(_unique)
    _s = field_validator("document_sha256")(_sha)


class CourtOrder(Input):
    citation: str = Field(min_length=1, max_length=300)
    document_sha256: str = Field(min_length=64, max_length=64)
    immediate_release: bool = Field(False, description="The order requires release at once, without waiting for "
                                                       "the survivor to be warned.")
    immediate_release_reason: str | None = Field(None, min_length=1, max_length=2000,
                                                 description="Required with immediate_release.")

    _s = field_validator("document_sha256")(_sha)


class MandateWithdraw(Input):
    reason: str = Field(min_length=1, max_length=2000)


class MandateSummary(BaseModel):
    """A legal mandate in a list (no free-text reasons); `status` is computed now (`expired` once `expires_at`
    has passed)."""

    id: uuid.UUID
    person_id: uuid.UUID
    recipient_agency_id: uuid.UUID
    basis: MandateBasis
    status: MandateStatus
    citation: str
    categories: list[DataCategory]
    document_sha256: str
    expires_at: datetime
    court_order_citation: str | None = None
    court_order_sha256: str | None = None
    immediate_release: bool = False
    recorded_by: str | None = None
    activated_by: str | None = None
    activated_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    created_at: datetime


class MandateRead(MandateSummary):
    immediate_release_reason: str | None = None
    withdrawal_reason: str | None = None


# ------------------------------------------------------------------ notification tasks


class TaskRead(BaseModel):
    """A task to tell a survivor, through her safe-contact instructions, of a legal mandate: `mandate_notice`
    (opened when the mandate comes into force; release under it waits until this is done or the notice hours
    have passed, unless the court ordered immediate release) or `release_notice` (opened by a release).

    The instructions themselves are read from the person's record, never copied here."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: TaskKind
    person_id: uuid.UUID
    case_id: uuid.UUID
    mandate_id: uuid.UUID | None = Field(None, description="The mandate a mandate_notice warns of.")
    disclosure_id: uuid.UUID | None = Field(None, description="The release a release_notice tells of.")
    requester_agency_id: uuid.UUID | None
    categories: list[DataCategory]
    mandate_ids: list[str]
    status: TaskStatus
    outcome: TaskOutcome | None = None
    completed_by: str | None = None
    completed_at: datetime | None = None
    created_at: datetime


class TaskComplete(Input):
    outcome: TaskOutcome


# ------------------------------------------------------------------ renewal drafts


class ConsentDraftStatus(StrEnum):
    draft = "draft"
    signed = "signed"


class ConsentDraftRead(BaseModel):
    """A renewal waiting for her signature: the scope copied from the consent it renews. It releases nothing."""

    id: uuid.UUID
    renews_consent_id: uuid.UUID
    person_id: uuid.UUID
    recipient_agency_id: uuid.UUID
    purposes: list[Purpose]
    categories: list[DataCategory | CategoryElementsRead]
    status: ConsentDraftStatus
    signed_consent_id: uuid.UUID | None = None
    created_at: datetime


class ConsentDraftSign(Input):
    """Her signature on a renewal: every element of a consent but its scope, which the draft holds."""

    valid_from: Timestamp = Field(description="At most one day before signed_at.")
    expires_at: Timestamp = Field(description="After valid_from, and at most the configured maximum after signed_at.")
    signed_at: Timestamp = Field(description="Not in the future, and no older than the configured maximum.")
    signature_method: SignatureMethod
    risks_explained: bool = Field(description="Must be true: the risks and benefits of sharing were explained.")
    language: str = Field(min_length=1, max_length=40)
    grantor: Grantor
    part2: Part2 | None = Field(None, description="Required again when the scope names substance_use.")
    document_sha256: str | None = Field(None, min_length=64, max_length=64,
                                        description="SHA-256 of the signed renewal form (64 hex characters).")
    wording_version: str | None = Field(None, min_length=1, max_length=40,
                                       description="The version of the agency's consent wording used.")
    risks: list[RiskCode] | None = Field(None, min_length=1, max_length=len(RiskCode),
                                         description="The specific risks explained (non-empty when given).")
    witness: Witness | None = Field(None, description="Who witnessed the signature (sealed).")
