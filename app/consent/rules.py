"""The disclosure rule: "may agency X receive category C of person P for purpose U now?"

`decide` is the one function that answers it. It is evaluated afresh at every request (nothing is cached),
category by category, and denies by default. What it decides from (the person, whether the requesting agency is
linked to them, the mandates, agreements and consents with their grantors) is read in one statement per request
(`read_facts`, built once), for every person a request is about:

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements import access as agreements_access
from app.agreements.models import Agreement
from app.auth.principal import Principal
from app.cases.models import Person
from app.consent import access, elements
from app.consent.models import Consent, LegalMandate, NotificationTask
from app.core.clock import today, utcnow
from app.core.config import get_settings
from app.core.db import UTCDateTime
from app.core.sql import AnyOf, Prebuilt, any_of
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


class ConsentTerms(Protocol):
    """What the rule reads of a consent (a stored `Consent`, or the terms read with the rule's facts)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def categories(self) -> list[Any]: ...
    @property
    def purposes(self) -> list[str]: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def part2_revocation_explained(self) -> bool | None: ...


class MandateTerms(Protocol):
    """What the rule reads of a legal mandate (a stored `LegalMandate`, or the terms read with the facts)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def court_order_citation(self) -> str | None: ...
    @property
    def immediate_release(self) -> bool: ...
    @property
    def activated_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...


def consent_status(consent: ConsentTerms, now: datetime | None = None) -> str:
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


def mandate_status(mandate: MandateTerms, now: datetime | None = None) -> str:
    """triage | active | expired | withdrawn, computed from the clock at read time."""
    now = now or utcnow()
    if mandate.status == "withdrawn":
        return "withdrawn"
    if now >= mandate.expires_at:
        return "expired"
    return mandate.status


def mandate_in_force(mandate: MandateTerms, now: datetime | None = None) -> bool:
    """A statute or court order in force and not expired; a subpoena only once a court order has been
    recorded for it."""
    if mandate_status(mandate, now) != "active":
        return False
    return mandate.basis in ("statute", "court_order") or mandate.court_order_citation is not None


def notice_pending(mandate: MandateTerms, warned: bool, now: datetime) -> bool:
    """Whether a mandate in force still waits for the survivor to be warned: its warning task is not done,
    the notice hours since it came into force have not passed, and no court ordered immediate release."""
    if mandate.immediate_release or warned:
        return False
    since = mandate.activated_at or mandate.created_at
    return now < since + timedelta(hours=get_settings().mandate_notice_hours)


def _mandate_gap(mandates: list[Any], pending: list[Any], now: datetime) -> Reason | None:
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


@dataclass(frozen=True)
class _Grantor:
    """The grantor of a consent as the rule checks it (read with the consent)."""

    id: uuid.UUID
    case_role: str


def _may_grant(person: Person, grantor_id: uuid.UUID, relationship: str, grantor_case_id: uuid.UUID | None,
               grantor_case_role: str | None) -> bool:
    """Whether the grantor of a consent may still grant it for `person`: herself, or a person recorded in her
    case (read with the consent: `grantor_case_id` None when no such person exists) with nothing wrong by
    `grantor_problems`."""
    if grantor_id == person.id:
        grantor: Any = person
    elif grantor_case_id is None or grantor_case_role is None or grantor_case_id != person.case_id:
        return False
    else:
        grantor = _Grantor(grantor_id, grantor_case_role)
    return not grantor_problems(person, grantor, relationship)


_GRANTOR = Person.__table__.alias("grantor")
# A person's consents naming an agency, newest first, each with what the rule checks of its grantor.
_CONSENTS_WITH_GRANTORS = (
    sa.select(Consent, _GRANTOR.c.case_id, _GRANTOR.c.case_role)
    .outerjoin(_GRANTOR, _GRANTOR.c.id == Consent.grantor_person_id)
    .where(Consent.person_id == sa.bindparam("person_id"), Consent.recipient_agency_id == sa.bindparam("agency_id"))
    .order_by(Consent.created_at.desc(), Consent.id.desc())
)


async def consents_in_effect(session: AsyncSession, person: Person, agency_id: uuid.UUID) -> list[Consent]:
    """Every consent of the person naming the agency whose grantor may still grant (re-checked each time:
    a grantor later recorded as using violence no longer counts), read with their grantors in one statement."""
    rows = await session.execute(_CONSENTS_WITH_GRANTORS, {"person_id": person.id, "agency_id": agency_id})
    return [c for c, case_id, case_role in rows.tuples()
            if _may_grant(person, c.grantor_person_id, c.grantor_relationship, case_id, case_role)]


# ------------------------------------------------------------------ the rule's reads, in one statement


@dataclass(frozen=True)
class MandateRead:
    """A legal mandate naming the requesting agency, as the rule reads it (`warned`: its warning task is done)."""

    id: uuid.UUID
    agency_id: uuid.UUID
    categories: list[str]
    status: str
    basis: str
    expires_at: datetime
    court_order_citation: str | None
    immediate_release: bool
    activated_at: datetime | None
    created_at: datetime
    warned: bool


@dataclass(frozen=True)
class AgreementRead:
    """An agreement in force today between the holding agency and the requesting agency."""

    id: uuid.UUID
    categories: list[str]
    purposes: list[str]


@dataclass(frozen=True)
class ConsentRead:
    """A consent naming the requesting agency, as the rule reads it."""

    id: uuid.UUID
    categories: list[Any]
    purposes: list[str]
    valid_from: datetime
    expires_at: datetime
    revoked_at: datetime | None
    part2_revocation_explained: bool | None
    created_at: datetime


@dataclass
class Facts:
    """What the rule reads about one person for one requesting agency (`agency_id`), in one statement
    (`read_facts`): whether a consent, a legal mandate or a registered link of another domain names the
    agency (`linked`; the agency holding the record is linked by holding it, and is not looked up), the
    mandates of the holding agency naming it (oldest first), the agreements in force today between the two,
    and the consents naming it whose grantor may still grant (newest first)."""

    agency_id: uuid.UUID | None
    linked: bool = False
    mandates: list[MandateRead] = field(default_factory=list)
    agreements: list[AgreementRead] = field(default_factory=list)
    consents: list[ConsentTerms] = field(default_factory=list)


# The columns every part of the rule's read fills (NULL where a part has nothing there), typed once here so the
# database and the driver read each the same way whichever part a row comes from.
_SLOTS: tuple[tuple[str, Any], ...] = (
    ("person_id", sa.Uuid()), ("kind", sa.String()), ("id", sa.Uuid()), ("agency_id", sa.Uuid()),
    ("categories", sa.JSON()), ("purposes", sa.JSON()), ("created_at", UTCDateTime()),
    ("expires_at", UTCDateTime()), ("valid_from", UTCDateTime()), ("revoked_at", UTCDateTime()),
    ("activated_at", UTCDateTime()), ("flag", sa.Boolean()), ("warned", sa.Boolean()), ("status", sa.String()),
    ("basis", sa.String()), ("citation", sa.String()), ("grantor_id", sa.Uuid()), ("grantor_case_id", sa.Uuid()),
    ("relationship", sa.String()), ("grantor_case_role", sa.String()),
)


def _part(kind: str, **columns: Any) -> sa.Select[Any]:
    """One part of the rule's read (`kind`: m mandates, a agreements, c consents) over the common columns."""
    out = []
    for name, type_ in _SLOTS:
        if name == "kind":
            value: Any = sa.literal_column(f"'{kind}'")
        elif name in columns:
            value = columns[name]
        else:
            out.append(sa.cast(sa.null(), type_).label(name))
            continue
        out.append(sa.type_coerce(value, type_).label(name))
    return sa.select(*out)


def _people(column: Any) -> AnyOf:
    return any_of(column, "person_ids")


def _person(column: sa.ColumnElement[uuid.UUID]) -> sa.ColumnElement[bool]:
    return column == sa.bindparam("person_id", type_=sa.Uuid())


def _requester() -> sa.BindParameter[Any]:
    return sa.bindparam("agency_id", type_=sa.Uuid())


def _build_facts_statement(people: Callable[[Any], Any] = _people) -> sa.Select[Any]:
    """People by id (`people(column)`: by default, among the list bound as `person_ids`), each with: whether a
    registered link names the agency (`agency_id`), and the mandates, agreements in force on `today` and
    consents (with their grantors) the rule reads."""
    warned = sa.exists().where(NotificationTask.mandate_id == LegalMandate.id,
                               NotificationTask.kind == "mandate_notice", NotificationTask.status == "done")
    mandates = _part(
        "m", person_id=LegalMandate.person_id, id=LegalMandate.id, agency_id=LegalMandate.agency_id,
        categories=LegalMandate.categories, created_at=LegalMandate.created_at, expires_at=LegalMandate.expires_at,
        activated_at=LegalMandate.activated_at, flag=LegalMandate.immediate_release, warned=warned,
        status=LegalMandate.status, basis=LegalMandate.basis, citation=LegalMandate.court_order_citation,
    ).where(people(LegalMandate.person_id), LegalMandate.recipient_agency_id == _requester())
    owner = Person.__table__.alias("owner")
    agreements = _part(
        "a", person_id=owner.c.id, id=Agreement.id, categories=Agreement.categories, purposes=Agreement.purposes,
    ).select_from(owner.join(Agreement, sa.true())).where(
        people(owner.c.id),
        agreements_access.active_agreement_clause(owner.c.agency_id, _requester(),
                                                  sa.bindparam("today", type_=sa.Date())))
    grantor = Person.__table__.alias("consent_grantor")
    consents = _part(
        "c", person_id=Consent.person_id, id=Consent.id, categories=Consent.categories, purposes=Consent.purposes,
        created_at=Consent.created_at, expires_at=Consent.expires_at, valid_from=Consent.valid_from,
        revoked_at=Consent.revoked_at, flag=Consent.part2_revocation_explained,
        grantor_id=Consent.grantor_person_id, relationship=Consent.grantor_relationship,
        grantor_case_id=grantor.c.case_id, grantor_case_role=grantor.c.case_role,
    ).select_from(sa.outerjoin(Consent, grantor, grantor.c.id == Consent.grantor_person_id)).where(
        people(Consent.person_id), Consent.recipient_agency_id == _requester())
    reads = sa.union_all(mandates, agreements, consents).subquery("rule_reads")
    person_id: sa.ColumnElement[uuid.UUID] = Person.__table__.c.id
    links = [link(person_id, _requester()) for link in access.PERSON_LINKS.values()]
    linked = sa.or_(*links) if links else sa.false()
    table = Person.__table__
    return (sa.select(*table.c, linked.label("linked"), *[reads.c[name].label(f"r_{name}") for name, _ in _SLOTS[1:]])
            .select_from(table.outerjoin(reads, reads.c.person_id == table.c.id)).where(people(table.c.id)))


def facts_column(people: Callable[[Any], Any]) -> sa.ColumnElement[Any]:
    """The rows of `read_facts` for the people `people(column)` selects, as one JSON column another domain's
    statement can carry (PostgreSQL), so the rule's read travels in the same round trip as that statement;
    `facts_from_json` reads it back. Its parameters are `facts_params`'."""
    rows = _build_facts_statement(people).subquery("rule_facts")
    return sa.select(sa.func.coalesce(sa.func.json_agg(sa.func.json_build_array(*rows.c)),
                                      sa.literal_column("'[]'::json"))).scalar_subquery()


def facts_params(agency_id: uuid.UUID | None, on: date | None = None) -> dict[str, Any]:
    """The values `facts_column` is executed with, for the requesting agency."""
    return {"agency_id": agency_id, "today": on or today()}


def facts_from_json(rows: list[list[Any]], agency_id: uuid.UUID | None) -> dict[uuid.UUID, tuple[Person, Facts]]:
    """`read_facts`' answer from what `facts_column` carried (its rows, each a JSON array of the columns)."""
    return _collect(_facts_statement_now().from_json(rows), agency_id)


_PERSON_COLUMNS = tuple(c.key for c in Person.__table__.c)
# The statements of `read_facts`, built once each (again only if another domain registers a link after them):
# for a list of people, and for one. The second is not a nicety: with the list bound as one array, PostgreSQL
# prices the plan it would keep for every execution (a generic plan) as if the array held ten people, finds the
# plan made for the values at hand cheaper, and so plans the statement again on every execution, which costs
# more than ten times what running it does (1.1 ms against 0.08). With the one person bound as a scalar the
# kept plan is as cheap as a fresh one, and after five executions a connection plans it no more.
_facts_statements: dict[bool, tuple[tuple[str, ...], Prebuilt]] = {}


def _facts_statement_now(one: bool = False) -> Prebuilt:
    names = tuple(access.PERSON_LINKS)
    built = _facts_statements.get(one)
    if built is None or built[0] != names:
        built = _facts_statements[one] = (names, Prebuilt(_build_facts_statement(_person if one else _people)))
    return built[1]


async def read_facts(
    session: AsyncSession, person_ids: Iterable[uuid.UUID], agency_id: uuid.UUID | None, *, on: date | None = None,
) -> dict[uuid.UUID, tuple[Person, Facts]]:
    """The people found among `person_ids`, each with what the rule reads about them for `agency_id` (Facts),
    in one statement. An id that names no one is left out."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    if len(ids) == 1:
        rows = await _facts_statement_now(one=True).rows(session, {"person_id": ids[0], **facts_params(agency_id, on)})
    else:
        rows = await _facts_statement_now().rows(session, {"person_ids": ids, **facts_params(agency_id, on)})
    return _collect(rows, agency_id)


def _collect(rows: Iterable[Any], agency_id: uuid.UUID | None) -> dict[uuid.UUID, tuple[Person, Facts]]:
    """The people and their Facts from the rows of the rule's read (one or more per person)."""
    found: dict[uuid.UUID, tuple[Person, Facts]] = {}
    consents: dict[uuid.UUID, list[Any]] = {}
    width = len(_PERSON_COLUMNS)
    for row in rows:
        if row.id not in found:
            # A read-only copy of the record, not in the session: the rule and the sources read it, no one
            # writes through it (built without validation: the values are the database's own).
            person = Person.model_construct(**dict(zip(_PERSON_COLUMNS, row[:width], strict=True)))
            found[row.id] = (person, Facts(agency_id, linked=bool(row.linked)))
            consents[row.id] = []
        person, facts = found[row.id]
        if row.r_kind == "m":
            facts.linked = True
            if row.r_agency_id == person.agency_id:
                facts.mandates.append(MandateRead(
                    row.r_id, row.r_agency_id, list(row.r_categories), row.r_status, row.r_basis, row.r_expires_at,
                    row.r_citation, bool(row.r_flag), row.r_activated_at, row.r_created_at, bool(row.r_warned)))
        elif row.r_kind == "a":
            facts.agreements.append(AgreementRead(row.r_id, list(row.r_categories), list(row.r_purposes)))
        elif row.r_kind == "c":
            facts.linked = True
            consents[row.id].append(row)
    for person, facts in found.values():
        facts.mandates.sort(key=lambda m: (m.created_at, m.id))
        facts.consents = [
            ConsentRead(c.r_id, list(c.r_categories), list(c.r_purposes), c.r_valid_from, c.r_expires_at,
                        c.r_revoked_at, c.r_flag, c.r_created_at)
            for c in sorted(consents[person.id], key=lambda c: (c.r_created_at, c.r_id), reverse=True)
            if _may_grant(person, c.r_grantor_id, c.r_relationship, c.r_grantor_case_id, c.r_grantor_case_role)
        ]
    return found


def _agreement_gap(agreements: list[Any], category: str, purpose: str) -> Reason | None:
    if not agreements:
        return Reason.no_agreement
    if any(category in a.categories and purpose in a.purposes for a in agreements):
        return None
    if any(category in a.categories for a in agreements):
        return Reason.agreement_excludes_purpose
    return Reason.agreement_excludes_category


def _consent_match(
    consents: list[ConsentTerms], category: str, purpose: str, now: datetime
) -> tuple[ConsentTerms | None, Reason | None]:
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
    reach: Reach = Reach(), facts: Facts | None = None,
) -> list[CategoryDecision]:
    """Apply the disclosure rule to each category for the caller's agency, now. Deny by default. `facts`: what
    `read_facts` read about the person for the caller's agency in this request, if it did."""
    categories = list(categories)
    requester = access.disclosure_requester(principal)
    if not reach.linked:
        return [CategoryDecision(c, reason=Reason.no_link) for c in categories]
    if requester is None:
        return [CategoryDecision(c, reason=Reason.not_permitted) for c in categories]
    return await decide_for_agency(session, requester, person, purpose, categories, reach, facts=facts)


async def decide_for_agency(
    session: AsyncSession, requester: uuid.UUID, person: Person, purpose: str, categories: Iterable[str],
    reach: Reach = Reach(), proposed: Consent | None = None, facts: Facts | None = None,
) -> list[CategoryDecision]:
    """The rule for a requesting agency (`decide` once the caller's own standing is checked; a preview names
    the recipient agency it asks about, and may count a consent she has not signed yet, `proposed`, as her
    newest word: never stored, and only ever passed by the preview). Deny by default. The mandates,
    agreements and consents come from `facts` when they were read for this agency in this request, else they
    are read now (`read_facts`, one statement)."""
    categories = list(categories)
    if not reach.linked:
        return [CategoryDecision(c, reason=Reason.no_link) for c in categories]
    if reach.referral_active is False:
        return [CategoryDecision(c, reason=Reason.referral_not_active) for c in categories]
    if requester == person.agency_id:
        return [CategoryDecision(c, basis=Basis.own_agency) for c in categories]

    if facts is None or facts.agency_id != requester:
        found = await read_facts(session, [person.id], requester)
        facts = found[person.id][1] if person.id in found else Facts(requester)
    now = utcnow()
    mandates = facts.mandates
    in_force = [m for m in mandates if mandate_in_force(m, now)]
    pending = [m for m in in_force if notice_pending(m, m.warned, now)]
    releasing = [m for m in in_force if m not in pending]
    agreements = facts.agreements
    consents: list[ConsentTerms] = list(facts.consents)
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
