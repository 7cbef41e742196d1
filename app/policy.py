"""The one place that decides "may this principal do A to this object".

Routes declare a permission (app.auth.permissions); the functions here add the object-level rules:
which agency's rows a principal may see (applied inside queries), and what it may do to one object.
An object outside what the caller may see is reported as 404, never 403.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.auth.permissions import AgencyKind, P, Role, role_fits_agency
from app.auth.principal import Principal
from app.core.errors import Forbidden, Invalid, NotFound

# ---------------------------------------------------------------- agencies, offices, users, clients


def is_platform_admin(principal: Principal) -> bool:
    return Role.platform_admin in principal.roles


def own_agency_clause(principal: Principal, agency_col: Any) -> Any:
    """Rows of the caller's own agency; a platform admin administers every agency."""
    if is_platform_admin(principal):
        return sa.true()
    if principal.agency_id is None:
        return sa.false()
    return agency_col == principal.agency_id


def ensure_own_agency(principal: Principal, agency_id: uuid.UUID | None, what: str) -> None:
    """404 unless the object belongs to the caller's agency (or the caller is a platform admin)."""
    if is_platform_admin(principal):
        return
    if agency_id is None or agency_id != principal.agency_id:
        raise NotFound(what)


def ensure_may_update_agency(principal: Principal, agency_id: uuid.UUID) -> None:
    if is_platform_admin(principal):
        return
    if principal.agency_id != agency_id:
        raise Forbidden("Only your own agency can be changed.")


def check_assignable_roles(principal: Principal, roles: list[Role], agency_kind: AgencyKind | None) -> None:
    """Roles must fit the agency kind (422); only a platform admin grants platform_admin (403)."""
    if not roles:
        raise Invalid("At least one role is required.", loc=["body", "roles"])
    for r in roles:
        if r is Role.platform_admin and not is_platform_admin(principal):
            raise Forbidden("Only a platform admin can grant platform_admin.")
        if not role_fits_agency(r, agency_kind):
            where = f"a {agency_kind.value.upper()} agency" if agency_kind else "no agency"
            raise Invalid(f"Role {r.value} cannot be held in {where}.", loc=["body", "roles"],
                          type="role_agency_kind")


def ensure_user_visible(principal: Principal, user_agency_id: uuid.UUID | None, user_id: uuid.UUID) -> None:
    """A user sees themself; staff with user:read see their own agency's users."""
    if principal.user_id == user_id:
        return
    if not principal.can(P.user_read):
        raise NotFound("user")
    ensure_own_agency(principal, user_agency_id, "user")


def office_visible_clause(principal: Principal) -> Any:
    """Offices of the caller's own agency (every office for a platform admin)."""
    from app.agencies.models import Office

    return own_agency_clause(principal, Office.agency_id)


# ---------------------------------------------------------------- cases


def case_visible_clause(principal: Principal) -> Any:
    """Cases the caller may see, as a SQL condition: own agency only; supervisors (case:read_all) and
    agency systems see all of it, other staff only cases whose team they are on. Admin roles: none."""
    from app.cases.models import Case, CaseTeamMember

    if principal.agency_id is None or not principal.can(P.case_read):
        return sa.false()
    own = Case.agency_id == principal.agency_id
    if principal.can(P.case_read_all) or principal.kind == "client":
        return own
    if principal.user_id is None:
        return sa.false()
    on_team = sa.exists().where(CaseTeamMember.case_id == Case.id, CaseTeamMember.user_id == principal.user_id)
    return sa.and_(own, on_team)


async def get_visible_case(session: Any, principal: Principal, case_id: uuid.UUID) -> Any:
    """The case if the caller may see it, else 404."""
    from app.cases.models import Case

    case = (
        await session.execute(sa.select(Case).where(Case.id == case_id, case_visible_clause(principal)))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("case")
    return case


# ---------------------------------------------------------------- agreements


def active_agreement_clause(agency_a: uuid.UUID, agency_b: uuid.UUID, on: Any) -> Any:
    """SQL condition: an agreement that is active on date `on` and names both agencies as parties."""
    from app.agreements.models import Agreement, AgreementParty

    def party(agency_id: uuid.UUID) -> Any:
        return sa.exists().where(AgreementParty.agreement_id == Agreement.id, AgreementParty.agency_id == agency_id)

    return sa.and_(
        Agreement.status == "active", Agreement.effective_from <= on, Agreement.expires_on >= on,
        party(agency_a), party(agency_b),
    )


async def active_agreements_between(session: Any, agency_a: uuid.UUID, agency_b: uuid.UUID) -> list[Any]:
    """Agreements in force today between two agencies (re-read at every call; nothing is cached)."""
    from app.agreements.models import Agreement
    from app.core.clock import today

    rows = await session.execute(sa.select(Agreement).where(active_agreement_clause(agency_a, agency_b, today())))
    return list(rows.scalars().all())
