"""The disclosure rule: "may agency X receive category C of person P for purpose U now?"

`decide` is the one function that answers it. It is evaluated afresh at every request (nothing is cached),
category by category, and denies by default:

0. The requesting agency must have a link to the person (`no_link`, answered as 404), as the domain the
   request comes through has established it (`Reach`).
1. The caller must hold a role that may request disclosures.
   A request that comes through a referral which no longer links the two agencies (withdrawn, declined,
   closed) releases nothing (`referral_not_active`).
2. The agency that holds the person's record needs no consent (basis `own_agency`).
3. A legal mandate in force (a statute or court order; never a bare subpoena) naming X, P and C releases C
   (basis `legal_mandate`) until its `expires_at` or its withdrawal; after that it releases nothing
   (`mandate_expired`, `mandate_withdrawn`, unless consent releases C). The survivor is warned first: from
   the mandate coming into force, release waits until its warning task is done or the configured notice
   hours have passed (`mandate_notice_pending`), unless the court ordered immediate release.
4. Otherwise an active data-sharing agreement between the owner and X must cover C and U today, and an
   active consent of P (or, for a child, a non-abusive parent or guardian) must name X, U and C, be within
   valid_from..expires_at and not be revoked (basis `consent`). A consent that names only some elements of
   the category releases those (`CategoryDecision.elements`; the disclosure path cuts the data down to them,
   `elements.restrict`); one naming children by person id releases nothing of another child
   (`elements_not_consented`).

Anything else is withheld with a reason code (`Reason`). Whether data exists (`no_data`) is checked after
the rule, only for categories it released, so a refusal never reveals what is on file.

Data that concerns no recorded person whose consent could release it (notes on the safety of the adult
survivor of a case that records none) is withheld too (`no_subject`, `without_subject`): there is no one to
ask and no one to account to, so the domain holding it audits the read and writes no accounting row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements import access as agreements_access
from app.auth.principal import Principal
from app.cases.models import Person
from app.consent import access, elements
from app.consent.models import Consent, LegalMandate, NotificationTask
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.vocab import CaseRole, DataCategory


class Reason(StrEnum):
    """Why a category was withheld."""

    not_permitted = "not_permitted"  # the caller's role may not request disclosures
    no_link = "no_link"  # the requesting agency has no link to the person (answered as 404)
    no_agreement = "no_agreement"
    agreement_excludes_category = "agreement_excludes_category"
    agreement_excludes_purpose = "agreement_excludes_purpose"
    no_consent = "no_consent"
    consent_expired = "consent_expired"
    consent_revoked = "consent_revoked"
    consent_not_yet_valid = "consent_not_yet_valid"
    purpose_not_consented = "purpose_not_consented"
    category_not_consented = "category_not_consented"
    elements_not_consented = "elements_not_consented"  # the consent names elements that do not reach this person
    mandate_notice_pending = "mandate_notice_pending"  # the survivor is still to be warned of the mandate
    mandate_expired = "mandate_expired"  # a mandate naming the category has run out
    mandate_withdrawn = "mandate_withdrawn"  # ... or was withdrawn
    referral_not_active = "referral_not_active"  # asked through a referral that no longer links the agencies
    part2_elements_missing = "part2_elements_missing"  # a consent naming substance_use lacks its 42 CFR 2.31 elements
    no_data = "no_data"
    no_subject = "no_subject"  # the record names no person (e.g. no adult survivor) whose consent could release it


class Basis(StrEnum):
    own_agency = "own_agency"
    legal_mandate = "legal_mandate"
    consent = "consent"


_STATUS_REASON = {
    "revoked": Reason.consent_revoked,
    "expired": Reason.consent_expired,
    "not_yet_valid": Reason.consent_not_yet_valid,
}


@dataclass(frozen=True)
class Reach:
    """How a request reaches the person, as the domain it comes through has established it: whether the
    requesting agency has any link to the person, and, for a request made through a referral, whether that
    referral still links the two agencies (None: not made through a referral)."""

    linked: bool = True
    referral_active: bool | None = None


@dataclass
class CategoryDecision:
    category: str
    basis: Basis | None = None
    reason: Reason | None = None
    consent_id: uuid.UUID | None = None
    mandate_id: uuid.UUID | None = None
    # The elements the consent releases (None: the whole category; own agency and mandates release it whole).
    elements: tuple[str, ...] | None = None

    @property
    def released(self) -> bool:
        return self.basis is not None


def consent_status(consent: Consent, now: datetime | None = None) -> str:
    """active | expired | revoked | not_yet_valid, computed from the clock at read time."""
    now = now or utcnow()
    if consent.revoked_at is not None:
        return "revoked"
    if now < consent.valid_from:
        return "not_yet_valid"
    if now >= consent.expires_at:
        return "expired"
    return "active"


def consent_active_clause(now: datetime) -> sa.ColumnElement[bool]:
    """SQL condition for consents in force at `now`."""
    return sa.and_(Consent.revoked_at.is_(None), Consent.valid_from <= now, Consent.expires_at > now)


def mandate_status(mandate: LegalMandate, now: datetime | None = None) -> str:
    """triage | active | expired | withdrawn, computed from the clock at read time."""
    now = now or utcnow()
    if mandate.status == "withdrawn":
        return "withdrawn"
    if now >= mandate.expires_at:
        return "expired"
    return mandate.status


def mandate_in_force(mandate: LegalMandate, now: datetime | None = None) -> bool:
    """A statute or court order in force and not expired; a subpoena only once a court order has been
    recorded for it."""
    if mandate_status(mandate, now) != "active":
        return False
    return mandate.basis in ("statute", "court_order") or mandate.court_order_citation is not None


def notice_pending(mandate: LegalMandate, warned: bool, now: datetime) -> bool:
    """Whether a mandate in force still waits for the survivor to be warned: its warning task is not done,
    the notice hours since it came into force have not passed, and no court ordered immediate release."""
    if mandate.immediate_release or warned:
        return False
    since = mandate.activated_at or mandate.created_at
    return now < since + timedelta(hours=get_settings().mandate_notice_hours)


async def _warned(session: AsyncSession, mandates: list[LegalMandate]) -> set[uuid.UUID]:
    """The mandates whose warning task is done."""
    if not mandates:
        return set()
    rows = await session.execute(sa.select(NotificationTask.mandate_id).where(
        NotificationTask.mandate_id.in_([m.id for m in mandates]), NotificationTask.kind == "mandate_notice",
        NotificationTask.status == "done"))
    return {r for r in rows.scalars() if r is not None}


def _mandate_gap(mandates: list[LegalMandate], pending: list[LegalMandate], now: datetime) -> Reason | None:
    """Why mandates naming a category release nothing, if one of them once could have (a subpoena in triage
    never could: it is not mentioned)."""
    if pending:
        return Reason.mandate_notice_pending
    states = {mandate_status(m, now) for m in mandates}
    if "expired" in states:
        return Reason.mandate_expired
    if "withdrawn" in states:
        return Reason.mandate_withdrawn
    return None


def grantor_problems(subject: Any, grantor: Any, relationship: str) -> list[tuple[str, str, str]]:
    """What is wrong with `grantor` granting consent for `subject`, as (field, type, message) tuples.

    An adult grants for herself (relationship self). For a child, a non-abusive parent or guardian recorded
    in the same case grants. A person recorded as using violence never grants, for anyone.
    """
    out: list[tuple[str, str, str]] = []
    if grantor.case_role == CaseRole.person_using_violence:
        out.append(("person_id", "grantor_person_using_violence",
                    "A person recorded as using violence can never grant consent."))
        return out
    is_self = grantor.id == subject.id
    if subject.case_role == CaseRole.child:
        if is_self:
            out.append(("person_id", "grantor_not_parent_or_guardian",
                        "For a child, a non-abusive parent or guardian grants consent."))
        elif grantor.case_role == CaseRole.child:
            out.append(("person_id", "grantor_not_parent_or_guardian",
                        "A child cannot grant consent for another child."))
        if relationship == "self":
            out.append(("relationship", "relationship_mismatch",
                        "For a child the relationship must be parent or guardian."))
    else:
        if not is_self:
            out.append(("person_id", "grantor_not_self", "An adult grants consent herself."))
        if relationship != "self":
            out.append(("relationship", "relationship_mismatch", "For an adult the relationship must be self."))
    return out


async def consents_in_effect(session: AsyncSession, person: Person, agency_id: uuid.UUID) -> list[Consent]:
    """Every consent of the person naming the agency whose grantor may still grant (re-checked each time:
    a grantor later recorded as using violence no longer counts)."""
    consents = list((await session.execute(
        sa.select(Consent).where(Consent.person_id == person.id, Consent.recipient_agency_id == agency_id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
    )).scalars())
    grantor_ids = {c.grantor_person_id for c in consents} - {person.id}
    grantors: dict[uuid.UUID, Any] = {person.id: person}
    if grantor_ids:
        rows = await session.execute(sa.select(Person).where(Person.id.in_(grantor_ids)))
        grantors.update({g.id: g for g in rows.scalars()})
    out = []
    for c in consents:
        g = grantors.get(c.grantor_person_id)
        if g is None or (g.id != person.id and g.case_id != person.case_id):
            continue
        if not grantor_problems(person, g, c.grantor_relationship):
            out.append(c)
    return out


def _agreement_gap(agreements: list[Any], category: str, purpose: str) -> Reason | None:
    if not agreements:
        return Reason.no_agreement
    if any(category in a.categories and purpose in a.purposes for a in agreements):
        return None
    if any(category in a.categories for a in agreements):
        return Reason.agreement_excludes_purpose
    return Reason.agreement_excludes_category


def _consent_match(
    consents: list[Consent], category: str, purpose: str, now: datetime
) -> tuple[Consent | None, Reason | None]:
    """The active consent covering `category` for `purpose`, or the most specific reason there is none."""
    if not consents:
        return None, Reason.no_consent
    covering = [c for c in consents if category in elements.scope(c.categories) and purpose in c.purposes]
    if category == DataCategory.substance_use:
        # 42 CFR 2.31: only a consent holding the program, the amount and kind, and the right to revoke releases it.
        complete = [c for c in covering if c.part2_revocation_explained]
        if covering and not complete:
            return None, Reason.part2_elements_missing
        covering = complete
    for c in covering:
        if consent_status(c, now) == "active":
            return c, None
    if covering:  # newest first: the state of her latest word on this category and purpose
        return None, _STATUS_REASON[consent_status(covering[0], now)]
    pool = [c for c in consents if consent_status(c, now) == "active"] or consents
    if any(category in elements.scope(c.categories) for c in pool):
        return None, Reason.purpose_not_consented
    return None, Reason.category_not_consented


def without_subject(categories: Iterable[str]) -> list[CategoryDecision]:
    """The rule's answer for data held about no recorded person whose consent could release it (a case that
    records no adult survivor, for the notes about her safety): withheld, `no_subject`. No one to account to:
    the caller audits the read and writes no accounting row."""
    return [CategoryDecision(c, reason=Reason.no_subject) for c in categories]


async def decide(
    session: AsyncSession, principal: Principal, person: Person, purpose: str, categories: Iterable[str],
    reach: Reach = Reach(),
) -> list[CategoryDecision]:
    """Apply the disclosure rule to each category for the caller's agency, now. Deny by default."""
    categories = list(categories)
    requester = access.disclosure_requester(principal)
    if not reach.linked:
        return [CategoryDecision(c, reason=Reason.no_link) for c in categories]
    if requester is None:
        return [CategoryDecision(c, reason=Reason.not_permitted) for c in categories]
    return await decide_for_agency(session, requester, person, purpose, categories, reach)


async def decide_for_agency(
    session: AsyncSession, requester: uuid.UUID, person: Person, purpose: str, categories: Iterable[str],
    reach: Reach = Reach(), proposed: Consent | None = None,
) -> list[CategoryDecision]:
    """The rule for a requesting agency (`decide` once the caller's own standing is checked; a preview names
    the recipient agency it asks about, and may count a consent she has not signed yet, `proposed`, as her
    newest word: never stored, and only ever passed by the preview). Deny by default."""
    categories = list(categories)
    if not reach.linked:
        return [CategoryDecision(c, reason=Reason.no_link) for c in categories]
    if reach.referral_active is False:
        return [CategoryDecision(c, reason=Reason.referral_not_active) for c in categories]
    if requester == person.agency_id:
        return [CategoryDecision(c, basis=Basis.own_agency) for c in categories]

    now = utcnow()
    mandates = list((await session.execute(
        sa.select(LegalMandate).where(LegalMandate.person_id == person.id, LegalMandate.agency_id == person.agency_id,
                                      LegalMandate.recipient_agency_id == requester)
        .order_by(LegalMandate.created_at, LegalMandate.id)
    )).scalars())
    in_force = [m for m in mandates if mandate_in_force(m, now)]
    warned = await _warned(session, in_force)
    pending = [m for m in in_force if notice_pending(m, m.id in warned, now)]
    releasing = [m for m in in_force if m not in pending]
    agreements = await agreements_access.active_agreements_between(session, person.agency_id, requester)
    consents = await consents_in_effect(session, person, requester)
    if proposed is not None:
        consents = [proposed, *consents]

    out: list[CategoryDecision] = []
    for category in categories:
        mandate = next((m for m in releasing if category in m.categories), None)
        if mandate is not None:
            out.append(CategoryDecision(category, basis=Basis.legal_mandate, mandate_id=mandate.id))
            continue
        # A mandate naming the category that releases nothing now is the clearer reason, unless consent releases.
        mandate_reason = _mandate_gap([m for m in mandates if category in m.categories],
                                      [m for m in pending if category in m.categories], now)
        reason = _agreement_gap(agreements, category, purpose)
        if reason is not None:
            out.append(CategoryDecision(category, reason=mandate_reason or reason))
            continue
        consent, reason = _consent_match(consents, category, purpose, now)
        if consent is None:
            out.append(CategoryDecision(category, reason=mandate_reason or reason))
            continue
        named = elements.scope(consent.categories)[category]
        if named is not None and not elements.applies_to(category, named, person.id):
            out.append(CategoryDecision(category, reason=mandate_reason or Reason.elements_not_consented))
        else:
            out.append(CategoryDecision(category, basis=Basis.consent, consent_id=consent.id, elements=named))
    return out
