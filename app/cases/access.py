"""Who sees which cases and people, and who may open a case or join its team.

Visibility is a SQL condition applied inside queries; a case outside it is answered as 404, never 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import P, Role, permissions_for
from app.auth.principal import Principal, PrincipalKind
from app.cases.models import Case, CaseTeamMember, Person, PersonLink
from app.core.errors import Invalid, NotFound


def case_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Cases the caller may see, as a SQL condition: own agency only; supervisors (case:read_all) and
    agency systems see all of it, other staff only cases whose team they are on. Admin roles: none."""
    if principal.agency_id is None or not principal.can(P.case_read):
        return sa.false()
    own = Case.agency_id == principal.agency_id
    if sees_every_case_of_agency(principal):
        return own
    if principal.user_id is None:
        return sa.false()
    on_team = sa.exists().where(CaseTeamMember.case_id == Case.id, CaseTeamMember.user_id == principal.user_id)
    return sa.and_(own, on_team)


def team_cases_of(user_id: uuid.UUID) -> sa.Select[Any]:
    """The ids of the cases whose team the user is on (work addressed to a case team reaches its members)."""
    return sa.select(CaseTeamMember.case_id).where(CaseTeamMember.user_id == user_id)


def sees_every_case_of_agency(principal: Principal) -> bool:
    """Whether the caller sees every case of its agency (supervisors and agency systems), not only its teams'."""
    return principal.can(P.case_read) and (principal.can(P.case_read_all) or principal.kind is PrincipalKind.client)


def case_scoped_clause(principal: Principal, case_id_col: sa.SQLColumnExpression[uuid.UUID]) -> sa.ColumnElement[bool]:
    """Rows attached to a case the caller may see (consents, mandates, notification tasks, junctures)."""
    return sa.exists().where(Case.id == case_id_col, case_visible_clause(principal))


def person_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """People the caller may see: those in cases the caller may see."""
    return sa.exists().where(Case.id == Person.case_id, case_visible_clause(principal))


async def get_visible_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    """The case if the caller may see it, else 404."""
    case = (
        await session.execute(sa.select(Case).where(Case.id == case_id, case_visible_clause(principal)))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("case")
    return case


async def case_is_visible(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller may see the case (without loading it)."""
    found = await session.execute(sa.select(Case.id).where(Case.id == case_id, case_visible_clause(principal)))
    return found.first() is not None


async def person_visible_to(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> bool:
    """Whether the caller may see the person's case (the owning agency's staff on it, or its supervisors)."""
    found = await session.execute(
        sa.select(Person.id).where(Person.id == person_id, person_visible_clause(principal)).limit(1))
    return found.first() is not None


def ensure_may_open_case(principal: Principal) -> uuid.UUID:
    """A case belongs to the agency of the staff who opens it (422 for a caller outside any agency);
    returns that agency."""
    if principal.agency_id is None:
        raise Invalid("Only agency staff can open cases.", loc=["body"])
    return principal.agency_id


def creator_team_member(principal: Principal) -> uuid.UUID | None:
    """Who a new case puts on its team: its creator when a staff user (an agency system joins no team)."""
    return principal.user_id


def may_work_cases(roles: Iterable[str]) -> bool:
    """Whether a set of role names includes a casework role (one that may read cases)."""
    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError:
        return False
    return P.case_read in permissions_for(parsed)


def ensure_may_join_case_team(case: Case, user: Any) -> None:
    """Only active staff of the case's own agency who hold a casework role join its team.

    A user of another agency is reported as 404 (the caller may not see them); an admin-only user is 422.
    """
    if user is None or user.agency_id != case.agency_id:
        raise NotFound("user")
    if not user.active:
        raise Invalid("This user is deactivated.", loc=["path", "user_id"], type="user_inactive")
    if not may_work_cases(user.roles):
        raise Invalid("Only staff holding a casework role can join a case team.", loc=["path", "user_id"],
                      type="not_casework_role")


# ------------------------------------------------------------------ person links


def person_id_visible(principal: Principal, person_id_col: sa.SQLColumnExpression[uuid.UUID]) -> sa.ColumnElement[bool]:
    """Whether the person a column names is one the caller may see (a person of a case it may see)."""
    return sa.exists().where(Person.id == person_id_col, Case.id == Person.case_id, case_visible_clause(principal))


def person_link_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Links the caller may see: active links of which one side is a person the caller may see (its own
    agency's record). The other side is shown as an id only."""
    return sa.and_(PersonLink.ended_at.is_(None),
                   sa.or_(person_id_visible(principal, PersonLink.person_id),
                          person_id_visible(principal, PersonLink.linked_person_id)))


def agency_linked_by_person_link_clause(
    person_id: sa.ColumnElement[uuid.UUID], agency_id: sa.ColumnElement[uuid.UUID]
) -> sa.ColumnElement[bool]:
    """SQL condition: an active person link ties the person to a record of `agency_id` (a link for the
    disclosure rule, registered with consent; either may be a column of the enclosing query or a bind
    parameter)."""
    return sa.exists().where(PersonLink.ended_at.is_(None), sa.or_(
        sa.and_(PersonLink.person_id == person_id, PersonLink.linked_agency_id == agency_id),
        sa.and_(PersonLink.linked_person_id == person_id, PersonLink.agency_id == agency_id)))


async def own_people_linked(
    session: AsyncSession, agency_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """For each of `person_ids` (records of other agencies), the agency's own record linked to it by an active
    person link, where there is one."""
    if not person_ids:
        return {}
    rows = await session.execute(sa.select(PersonLink.person_id, PersonLink.linked_person_id, PersonLink.agency_id,
                                           PersonLink.linked_agency_id).where(
        PersonLink.ended_at.is_(None),
        sa.or_(sa.and_(PersonLink.person_id.in_(person_ids), PersonLink.linked_agency_id == agency_id),
               sa.and_(PersonLink.linked_person_id.in_(person_ids), PersonLink.agency_id == agency_id))))
    out: dict[uuid.UUID, uuid.UUID] = {}
    for person_id, linked_person_id, owner, linked_agency in rows.all():
        if linked_agency == agency_id:
            out[person_id] = linked_person_id
        elif owner == agency_id:
            out[linked_person_id] = person_id
    return out
