"""Who may ask for a person's data and record legal mandates: the access side of consent.

What a disclosure releases is the disclosure rule's (app/consent/rules.py `decide`); this module decides who
may ask at all, and which consents, mandates and tasks a caller sees.

A domain above consent that links agencies to people (referrals: a sent referral names the person) registers
its link with `register_person_link` when it is imported, so consent never imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import P
from app.auth.principal import Principal, PrincipalKind
from app.cases.access import (
    agency_linked_by_person_link_clause,
    case_scoped_clause,
    own_people_linked,
    person_visible_to,
)
from app.consent.models import ConsentWording
from app.core.errors import Forbidden

# (person id, agency id) -> SQL condition: the agency has that kind of link to the person. Each is a column or a
# bind parameter of the statement that reads the rule's facts (`rules.read_facts`), so every link is asked there
# in the same round trip.
PersonLink = Callable[[sa.ColumnElement[uuid.UUID], sa.ColumnElement[uuid.UUID]], sa.ColumnElement[bool]]
PERSON_LINKS: dict[str, PersonLink] = {}


def register_person_link(name: str, link: PersonLink) -> None:
    """Let a domain above consent count its own link between an agency and a person (registered once by name)."""
    PERSON_LINKS[name] = link


# async (session, agency_id, person_ids) -> {a person of another agency: the agency's own person linked to it}.
# The person-link domain registers its resolver here (`register_linked_person`); until it does, no person is
# linked and `GET /shared-with-us` gives the holding agency's person id alone.
LinkedPersons = Callable[[AsyncSession, uuid.UUID, list[uuid.UUID]], Awaitable[dict[uuid.UUID, uuid.UUID]]]
LINKED_PERSONS: list[LinkedPersons] = []


def register_linked_person(resolver: LinkedPersons) -> None:
    """Let the domain that links two agencies' person records say which of an agency's own people is linked to
    a person of another agency (registered once)."""
    if resolver not in LINKED_PERSONS:
        LINKED_PERSONS.append(resolver)


async def linked_persons(
    session: AsyncSession, agency_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """For each person of another agency, the agency's own person linked to it (where a link exists)."""
    out: dict[uuid.UUID, uuid.UUID] = {}
    for resolver in LINKED_PERSONS:
        out.update(await resolver(session, agency_id, person_ids))
    return out


def shared_recipient(principal: Principal) -> uuid.UUID | None:
    """The agency whose received consents and mandates the caller lists: its own, when its role may request
    disclosures (the same staff who could ask); None otherwise."""
    return disclosure_requester(principal)


def wording_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Consent wordings the caller sees: its own agency's."""
    if principal.agency_id is None:
        return sa.false()
    return ConsentWording.agency_id == principal.agency_id


def wording_agency(principal: Principal) -> uuid.UUID:
    """The agency whose consent wording the caller manages (its own; a caller with no agency may not)."""
    if principal.agency_id is None:
        raise Forbidden("Consent wording belongs to an agency; act as its admin.")
    return principal.agency_id


# An active link between the person's record and the agency's own record of the same person (made when the
# agency accepted a referral and created its record) counts like a referral does.
register_person_link("person_link", agency_linked_by_person_link_clause)
# ... and `GET /shared-with-us` names the agency's own linked record of each person.
register_linked_person(own_people_linked)


def consent_visible_clause(principal: Principal, case_id_col: sa.SQLColumnExpression[uuid.UUID]) -> sa.ColumnElement[bool]:
    """Consents, mandates and notification tasks the caller sees: those of cases it may see."""
    return case_scoped_clause(principal, case_id_col)


def disclosure_requester(principal: Principal) -> uuid.UUID | None:
    """The agency a caller requests disclosures for; None when it has none or its role may not request them."""
    if principal.agency_id is None or not principal.can(P.disclosure_request):
        return None
    return principal.agency_id


async def may_ask_about(session: AsyncSession, principal: Principal, person: Any, linked: bool) -> bool:
    """Whether the caller may put a disclosure request about the person at all: its agency holds the record,
    or a consent, a legal mandate or a registered link of another domain (a sent referral names the person)
    names it (`linked`, as `rules.read_facts` read it for the caller's agency); within the holding agency only
    staff who may see the person's case. Without a link a disclosure request is answered as 404. `person` is
    a cases Person (its id and owning agency)."""
    if principal.agency_id is None:
        return False
    if principal.agency_id == person.agency_id:
        return await person_visible_to(session, principal, person.id)
    return linked


def check_court_order_recorder(principal: Principal, recorded_by: str | None) -> None:
    """Two-person rule: the court order that puts a subpoena in force is recorded by a second supervisor, a
    person other than the one who recorded the subpoena (never an agency system)."""
    if principal.kind is PrincipalKind.client:
        raise Forbidden("A court order is recorded by a supervisor in person, not by an agency system.")
    if recorded_by is not None and principal.ref == recorded_by:
        raise Forbidden("A second supervisor must record the court order: you recorded this subpoena.")
