"""Request and answer shapes of the family's own view."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from app.core.types import Input


class InvitationRead(BaseModel):
    """A new invitation. `code` is shown this once: hand it to the person through her safe channel."""

    id: uuid.UUID
    person_id: uuid.UUID
    code: str
    expires_at: datetime


class Redeem(Input):
    """Redeem an invitation: the code the worker handed over, and the username and passphrase she chooses
    (the username is hers to log in with later: letters, digits, `.`, `_` or `-`, never an email address)."""

    code: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    passphrase: str = Field(min_length=12, max_length=256)


class MyTokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class AccessRead(BaseModel):
    """A person's access to her own view, as her agency sees it (no username, no passphrase)."""

    person_id: uuid.UUID
    active: bool
    locked_by: str | None = Field(description="self (her safety lock) | agency (revoked) | null (open)")
    locked_at: datetime | None


class MyIdentity(BaseModel):
    """Who you are in your own view: your record's name and language, and the agency that holds it."""

    id: uuid.UUID = Field(description="Your access (account) id")
    kind: str = "person"
    person_id: uuid.UUID
    username: str
    full_name: str
    language: str | None
    case_role: str
    agency_id: uuid.UUID
    agency_name: str


class LockRead(BaseModel):
    """Your access is locked: every session has ended. Only your agency can give you a new invitation."""

    locked: bool = True
    locked_at: datetime
    message: dict[str, str] = Field(description="The same message in English (`en`) and Spanish (`es`)")


class Texts(BaseModel):
    en: str
    es: str


class ConsentWordingText(BaseModel):
    version: str
    language: str
    text: str


class MyConsent(BaseModel):
    """One of your consents, as a receipt: who may receive what, why, until when, and whether it is in force.
    `text` is in your language where there is one (else English); `texts` holds every language; `wording` is the
    agency's consent wording you were given, in your language where the agency has it."""

    id: uuid.UUID
    recipient_agency_id: uuid.UUID
    recipient_agency_name: str
    categories: list[str]
    purposes: list[str]
    valid_from: datetime
    expires_at: datetime
    signed_at: datetime
    status: str
    revoked_at: datetime | None
    revoked_by_you: bool
    text: str
    texts: Texts
    wording: ConsentWordingText | None = None


class MyConsentRevoke(Input):
    """Revoke one of your consents. A reason is optional."""

    reason: str | None = Field(None, min_length=1, max_length=2000)


class MandateNotice(BaseModel):
    basis: str = Field(description="statute | court_order | subpoena")
    citation: str


class WithheldCategory(BaseModel):
    category: str
    reason: str


class MyDisclosure(BaseModel):
    """One line of your accounting of disclosures: a request about you, granted or not."""

    id: uuid.UUID
    at: datetime
    requester_agency_id: uuid.UUID | None
    requester_agency_name: str
    purpose: str
    categories_requested: list[str]
    categories_released: list[str]
    withheld: list[WithheldCategory]
    basis: str
    outcome: str
    mandates: list[MandateNotice]
    text: str
    texts: Texts


class PreviewedCategory(BaseModel):
    category: str
    basis: str | None
    elements: list[str]
    as_of: datetime | None


class MyPreview(BaseModel):
    """What the agency would receive about you now: nothing was released."""

    preview: bool = True
    recipient_agency_id: uuid.UUID
    purpose: str
    released: list[PreviewedCategory]
    withheld: list[WithheldCategory]
    text: str
    texts: Texts


# ------------------------------------------------------------------ goals, care plan, meetings, requests, feedback


class GoalStep(BaseModel):
    kind: str = Field(description="created | kept | changed | met")
    text: str | None = Field(description="Your words at that step (created, changed)")
    at: datetime


class GoalCreate(Input):
    """A goal in your own words."""

    text: str = Field(min_length=1, max_length=2000)


class GoalUpdate(Input):
    """Change a goal's words (`text`), mark it met (`status: met`) or, at a review, say it is still yours
    (`kept: true`). Send at least one."""

    text: str | None = Field(None, min_length=1, max_length=2000)
    status: Literal["met"] | None = None
    kept: StrictBool | None = None


class GoalRead(BaseModel):
    """A goal in her own words, and its history (kept, changed, met)."""

    id: uuid.UUID
    person_id: uuid.UUID
    text: str
    status: str = Field(description="open | met")
    met_at: datetime | None
    created_at: datetime
    updated_at: datetime | None
    history: list[GoalStep]


class Caregiver(Input):
    name: str = Field(min_length=1, max_length=200)
    relationship: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=1000)


class CarePlanPut(Input):
    """Who would care for your children if you could not, in the order you would want, and what you could still
    offer them meanwhile."""

    caregivers: list[Caregiver] = Field(default_factory=list, max_length=10)
    what_i_can_offer: str | None = Field(None, max_length=2000)
    wishes: str | None = Field(None, max_length=2000)


class CarePlanRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    caregivers: list[Caregiver]
    what_i_can_offer: str | None
    wishes: str | None
    created_at: datetime
    updated_at: datetime | None


class MyMeeting(BaseModel):
    """A family meeting or a hearing of your case."""

    id: uuid.UUID
    kind: str = Field(description="family_meeting | court_juncture | hearing")
    hearing_kind: str | None = None
    court: str | None = None
    scheduled_for: datetime
    text: str
    texts: Texts


class MeetingRequestCreate(Input):
    """Ask for a separate meeting (without the other parent present) or an interpreter, for one of your
    meetings (`meeting_id` from GET /my/meetings) or in general."""

    kind: Literal["separate_meeting", "interpreter"]
    meeting_id: uuid.UUID | None = None
    language: str | None = Field(None, min_length=2, max_length=40, description="For an interpreter")
    note: str | None = Field(None, max_length=2000)


class MeetingRequestRead(BaseModel):
    id: uuid.UUID
    kind: str
    meeting_id: uuid.UUID | None
    created_at: datetime
    text: str
    texts: Texts


class FeedbackCreate(Input):
    """How an agency worked with you, 1 (not at all) to 5 (very much): it treated you with respect, listened to
    you, kept you safe. Counted only with others' answers; never shown on its own."""

    agency_id: uuid.UUID
    respect: int = Field(ge=1, le=5)
    listened: int = Field(ge=1, le=5)
    safety: int = Field(ge=1, le=5)


class FeedbackReceipt(BaseModel):
    received: bool = True
    text: str
    texts: Texts


# ------------------------------------------------------------------ parent partners


class ParentPartnerInvite(Input):
    """A parent partner you want beside you: she will see your goals and your meetings, nothing else."""

    parent_partner_id: uuid.UUID


class ParentPartnerLinkRead(BaseModel):
    id: uuid.UUID
    parent_partner_id: uuid.UUID
    parent_partner_name: str
    agency_id: uuid.UUID | None
    agency_name: str | None
    created_at: datetime
    text: str
    texts: Texts


class PartneredFamily(BaseModel):
    """A family that invited you: only the name it chose for its own view (its username), and since when."""

    id: uuid.UUID = Field(description="The link id")
    display_name: str
    created_at: datetime
