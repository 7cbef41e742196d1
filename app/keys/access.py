"""Who sees and changes an agency's keys: its own admins, and the platform admin, who may look and ask but
never move an agency onto another key-encryption key without the agency's admin. Another agency's keys are
404."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.auth.permissions import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound


def is_platform_admin(principal: Principal) -> bool:
    return Role.platform_admin in principal.roles


def own_agency_clause(principal: Principal, agency_col: sa.SQLColumnExpression[uuid.UUID]) -> sa.ColumnElement[bool]:
    """Rows of the caller's own agency; every agency's for a platform admin."""
    if is_platform_admin(principal):
        return sa.true()
    if principal.agency_id is None:
        return sa.false()
    return agency_col == principal.agency_id


def ensure_sees_keys(principal: Principal, agency_id: uuid.UUID, what: str = "agency key") -> None:
    if is_platform_admin(principal):
        return
    if principal.agency_id != agency_id:
        raise NotFound(what)


def change_applies_at_once(principal: Principal, agency_id: uuid.UUID) -> bool:
    """The agency's own admin changes its key at once; anyone else's request waits for that admin."""
    return principal.agency_id == agency_id and not is_platform_admin(principal)


def ensure_may_approve(principal: Principal, agency_id: uuid.UUID) -> None:
    if not change_applies_at_once(principal, agency_id):
        raise Forbidden("Only an admin of the agency itself approves a change of its key.")
