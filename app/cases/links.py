"""Linked records between two agencies: the case and people a receiving agency opens from what a referral
released, and the links (ids only, no data) between each pair of person records and between the cases.

A link lets either agency ask for a disclosure about the other agency's linked person by its own person id
(consent.disclosures resolves it through `resolve_linked_person`); it never gives access to anything by
itself, and either side can end it (audited, a webhook with ids only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import access
from app.cases.models import Case, CaseLink, Person, PersonLink
from app.cases.schemas import CaseCreate
from app.cases.service import create_case, get_person_for_owner, seal_person
from app.core.clock import utcnow
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.trail.recorder import record


@dataclass(frozen=True)
class LinkedPerson:
    """What the disclosure rule released of one person for the receiving agency's own record: the fields of
    the categories released (identity always: without it no record is made), None for what was withheld."""

    source: Person
    case_role: str
    full_name: str
    date_of_birth: date | None = None
    language: str | None = None
    contact: dict[str, Any] | None = None
    safe_contact_instructions: str | None = None
    address: dict[str, Any] | None = None


async def create_linked_records(
    session: AsyncSession, principal: Principal, source_case: Case, people: list[LinkedPerson],
    *, referral_id: uuid.UUID,
) -> tuple[Case, list[Person]]:
    """The caller's agency's own case (the caller joins its team) and a person record for each released
    person, sealed under the receiving agency's own rows, with a link from each source person to its new
    record and from the source case to the new case. Flushes; the caller's transaction keeps it or nothing."""
    case = await create_case(session, principal, CaseCreate(reference=f"referral {referral_id}"))
    session.add(CaseLink(case_id=source_case.id, agency_id=source_case.agency_id, linked_case_id=case.id,
                         linked_agency_id=case.agency_id, referral_id=referral_id))
    created: list[Person] = []
    for p in people:
        person = Person(case_id=case.id, agency_id=case.agency_id, case_role=p.case_role, full_name=p.full_name,
                        date_of_birth=p.date_of_birth, race_ethnicity=[], language=p.language)
        seal_person(person, "contact", p.contact)
        seal_person(person, "address", p.address)
        seal_person(person, "safe_contact_instructions", p.safe_contact_instructions)
        session.add(person)
        await session.flush()
        await record(session, principal, "person.create", "person", person.id, agency_id=case.agency_id)
        link = PersonLink(person_id=p.source.id, agency_id=p.source.agency_id, linked_person_id=person.id,
                          linked_agency_id=case.agency_id, referral_id=referral_id, created_by=str(principal.id))
        session.add(link)
        await session.flush()
        await record(session, principal, "person_link.create", "person_link", link.id, agency_id=case.agency_id)
        await record(session, principal, "person_link.create", "person_link", link.id,
                     agency_id=p.source.agency_id)
        created.append(person)
    await session.flush()
    return case, created


def links_of_referral(
    referral_id: sa.SQLColumnExpression[uuid.UUID], agency_id: sa.SQLColumnExpression[uuid.UUID] | uuid.UUID | None
) -> tuple[sa.ScalarSelect[uuid.UUID], sa.Select[Any]]:
    """The case and the people records `agency_id` made on accepting the referral (people: active links only,
    oldest first), as subqueries correlated to `referral_id` (a column of the enclosing statement or a bind
    parameter), so a referral's read takes them in its own statement."""
    case_id = sa.select(CaseLink.linked_case_id).where(
        CaseLink.referral_id == referral_id, CaseLink.linked_agency_id == agency_id).limit(1).scalar_subquery()
    people = sa.select(PersonLink.linked_person_id).where(
        PersonLink.referral_id == referral_id, PersonLink.linked_agency_id == agency_id,
        PersonLink.ended_at.is_(None)).order_by(PersonLink.created_at, PersonLink.id)
    return case_id, people


def link_read(link: PersonLink, own_person_id: uuid.UUID) -> dict[str, Any]:
    """A link seen from one side: the other agency and its person's id (no data)."""
    mine = link.person_id == own_person_id
    return {"id": link.id, "person_id": own_person_id,
            "linked_agency_id": link.linked_agency_id if mine else link.agency_id,
            "linked_person_id": link.linked_person_id if mine else link.person_id,
            "created_at": link.created_at}


async def list_links(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """The active links of one of the caller's own people (404 for a person it may not see)."""
    person = await get_person_for_owner(session, principal, person_id)
    stmt = sa.select(PersonLink).where(
        PersonLink.ended_at.is_(None),
        sa.or_(PersonLink.person_id == person.id, PersonLink.linked_person_id == person.id))
    rows, cursor = await paginate(session, stmt, PersonLink, page)
    return [link_read(link, person.id) for link in rows], cursor


async def get_link(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> PersonLink:
    """An active link one side of which the caller may see (404 otherwise, and for an ended link)."""
    link = (await session.execute(sa.select(PersonLink).where(
        PersonLink.id == link_id, access.person_link_visible_clause(principal)))).scalar_one_or_none()
    if link is None:
        raise NotFound("person link")
    return link


async def end_link(session: AsyncSession, principal: Principal, link: PersonLink) -> PersonLink:
    """End a link (either side): from now on it resolves nothing and no longer counts as a link for the
    disclosure rule. Audited in both agencies' trails; `person_link.ended` (ids only) to both agencies."""
    link.ended_at = utcnow()
    link.ended_by = str(principal.id)[:300]
    await session.flush()
    for agency_id in (link.agency_id, link.linked_agency_id):
        await record(session, principal, "person_link.end", "person_link", link.id, agency_id=agency_id)
    await emit(session, "person_link.ended", [link.agency_id, link.linked_agency_id],
               {"person_link_id": str(link.id), "ended_at": link.ended_at.isoformat()})
    return link


async def resolve_linked_person(
    session: AsyncSession, principal: Principal, own_person_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The other agency's person linked to one of the caller's own people, through an active link, with the
    link's id; None when the caller may not see the person or no active link ties it to another record."""
    visible = await access.person_visible_to(session, principal, own_person_id)
    if not visible:
        return None
    link = (await session.execute(sa.select(PersonLink).where(
        PersonLink.ended_at.is_(None),
        sa.or_(PersonLink.person_id == own_person_id, PersonLink.linked_person_id == own_person_id))
        .order_by(PersonLink.created_at.desc(), PersonLink.id.desc()).limit(1))).scalar_one_or_none()
    if link is None:
        return None
    other = link.linked_person_id if link.person_id == own_person_id else link.person_id
    return other, link.id
