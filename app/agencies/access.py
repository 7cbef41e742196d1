"""Who administers which agencies, offices, users and agency systems, and which roles they may grant.

A platform admin administers every agency; an agency admin only their own. An object of another agency is
answered as 404, never 403.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.agreements.access import partner_agency_clause
from app.auth.permissions import CASEWORK_ROLES, AgencyKind, P, Role, role_fits_agency
from app.auth.principal import Principal
from app.core.errors import Forbidden, Invalid, NotFound
from app.identity.models import Office


def is_platform_admin(principal: Principal) -> bool:
    return Role.platform_admin in principal.roles


def own_agency_clause(principal: Principal, agency_col: sa.SQLColumnExpression[uuid.UUID | None]) -> sa.ColumnElement[bool]:
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


def ensure_not_own_roles(principal: Principal, user_id: uuid.UUID) -> None:
    """Nobody changes their own roles (403), not even a platform admin."""
    if principal.user_id == user_id:
        raise Forbidden("Nobody changes their own roles; another admin must do it.")


def role_change_needs_second_admin(principal: Principal, before: list[str], after: list[Role]) -> bool:
    """An agency admin who adds a casework role to an admin-role holder, or agency_admin to a caseworker, asks a
    second admin to approve; a platform admin's change applies at once."""
    if is_platform_admin(principal):
        return False
    old = {Role(r) for r in before}
    held = old | set(after)
    added = set(after) - old
    return (bool(added & (CASEWORK_ROLES | {Role.agency_admin}))
            and Role.agency_admin in held and bool(held & CASEWORK_ROLES))


def ensure_may_create_with_roles(principal: Principal, roles: list[Role]) -> None:
    """A new account holding admin and casework roles together is a grant that needs a second admin: an agency
    admin creates it with one kind and asks for the other (a platform admin may create it directly)."""
    if role_change_needs_second_admin(principal, [], roles):
        raise Forbidden("An account holding agency_admin and a casework role needs a second admin: create it "
                        "with one of them, then change its roles for another admin to approve.")


def ensure_may_decide_role_change(principal: Principal, requested_by: str, user_id: uuid.UUID) -> None:
    """A pending role change is approved by a second admin: not the one who asked, not the one it concerns."""
    if principal.ref == requested_by:
        raise Forbidden("A second admin must approve a role change you asked for.")
    ensure_not_own_roles(principal, user_id)


def ensure_user_visible(principal: Principal, user_agency_id: uuid.UUID | None, user_id: uuid.UUID) -> None:
    """A user sees themself; staff with user:read see their own agency's users."""
    if principal.user_id == user_id:
        return
    if not principal.can(P.user_read):
        raise NotFound("user")
    ensure_own_agency(principal, user_agency_id, "user")


def office_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Offices of the caller's own agency (every office for a platform admin); DV staff also see the offices
    of CPS agencies their agency has an agreement in force with today (where its advocates may work)."""
    own = own_agency_clause(principal, Office.agency_id)
    if principal.agency_kind is AgencyKind.dv and principal.agency_id is not None:
        return sa.or_(own, partner_agency_clause(principal.agency_id, Office.agency_id))
    return own
