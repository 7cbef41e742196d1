"""Changing a user's roles: at once, or (admin and casework roles together) after a second admin approves.

Every step writes an audit event naming only ids: `role_change.request`, `role_change.approve`,
`role_change.reject`, and `user.roles_change` whenever a user's roles actually change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import access
from app.agencies.schemas import RoleChangeStatus
from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency, RoleChange, User
from app.trail.recorder import record


def _apply(user: User, roles: list[str]) -> None:
    user.roles = roles
    user.token_version += 1  # tokens carrying the old roles stop working
    user.updated_at = utcnow()


async def change_roles(
    session: AsyncSession, principal: Principal, user: User, roles: list[Role], agency_kind: AgencyKind | None
) -> RoleChange | None:
    """Set `user`'s roles, or file a pending change for a second admin and return it."""
    access.ensure_not_own_roles(principal, user.id)
    access.check_assignable_roles(principal, roles, agency_kind)
    after = list(dict.fromkeys(r.value for r in roles))
    if set(after) == set(user.roles):
        return None
    if not access.role_change_needs_second_admin(principal, user.roles, roles):
        _apply(user, after)
        await session.flush()
        await record(session, principal, "user.roles_change", "user", user.id, agency_id=user.agency_id)
        return None
    assert user.agency_id is not None  # casework roles exist only inside an agency
    pending = await session.execute(
        select(RoleChange.id).where(RoleChange.user_id == user.id, RoleChange.status == RoleChangeStatus.pending)
    )
    if pending.first() is not None:
        raise Conflict("A role change for this user is already waiting for approval; approve or reject it first.")
    change = RoleChange(agency_id=user.agency_id, user_id=user.id, roles_before=list(user.roles),
                        roles_after=after, requested_by=principal.ref)
    session.add(change)
    await session.flush()
    await record(session, principal, "role_change.request", "role_change", change.id, agency_id=user.agency_id)
    return change


async def list_role_changes(
    session: AsyncSession, principal: Principal, page: PageParams, status: RoleChangeStatus | None
) -> tuple[list[RoleChange], str | None]:
    stmt = select(RoleChange).where(access.own_agency_clause(principal, RoleChange.agency_id))
    if status is not None:
        stmt = stmt.where(RoleChange.status == status.value)
    return await paginate(session, stmt, RoleChange, page)


async def get_role_change(session: AsyncSession, principal: Principal, change_id: uuid.UUID) -> RoleChange:
    change = await session.get(RoleChange, change_id)
    if change is None:
        raise NotFound("role change")
    access.ensure_own_agency(principal, change.agency_id, "role change")
    return change


def _ensure_pending(change: RoleChange) -> None:
    if change.status != RoleChangeStatus.pending:
        raise Conflict(f"This role change was already {change.status}.")


async def approve(session: AsyncSession, principal: Principal, change: RoleChange) -> RoleChange:
    """A second admin approves: the roles change now, if the user still holds what the request started from."""
    access.ensure_may_decide_role_change(principal, change.requested_by, change.user_id)
    _ensure_pending(change)
    user = await session.get(User, change.user_id)
    if user is None or user.agency_id != change.agency_id:
        raise Conflict("The user of this role change is no longer in the agency.")
    if not user.active:
        raise Conflict("The user of this role change is deactivated.")
    if set(user.roles) != set(change.roles_before):
        raise Conflict("The user's roles changed after this request; reject it and ask again.")
    try:
        roles = [Role(r) for r in change.roles_after]
    except ValueError:
        raise Invalid("The requested roles are no longer valid.", loc=["path", "change_id"])
    agency = await session.get(Agency, change.agency_id)
    access.check_assignable_roles(principal, roles, AgencyKind(agency.kind) if agency else None)
    _apply(user, list(change.roles_after))
    _decide(change, principal, RoleChangeStatus.approved)
    await session.flush()
    await record(session, principal, "role_change.approve", "role_change", change.id, agency_id=change.agency_id)
    await record(session, principal, "user.roles_change", "user", user.id, agency_id=change.agency_id)
    return change


async def reject(session: AsyncSession, principal: Principal, change: RoleChange) -> RoleChange:
    """Any admin of the agency (the requester too, to withdraw it) rejects a pending change; roles stay."""
    _ensure_pending(change)
    _decide(change, principal, RoleChangeStatus.rejected)
    await session.flush()
    await record(session, principal, "role_change.reject", "role_change", change.id, agency_id=change.agency_id)
    return change


def _decide(change: RoleChange, principal: Principal, status: RoleChangeStatus) -> None:
    change.status = status.value
    change.decided_by = principal.ref
    change.decided_at = utcnow()
