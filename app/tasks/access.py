"""Whose tasks a caller sees: its own agency's tasks addressed to it, to a role it holds, or to the team of a
case it is on. Anything else (another agency's task, a colleague's) is answered as 404."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.cases.access import team_cases_of
from app.tasks.models import Task


def task_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.agency_id is None:
        return sa.false()
    mine: list[sa.ColumnElement[bool]] = [Task.assignee_role.in_(sorted(r.value for r in principal.roles))]
    if principal.user_id is not None:
        mine.append(Task.assignee_user_id == principal.user_id)
        mine.append(Task.assignee_case_id.in_(team_cases_of(principal.user_id)))
    return sa.and_(Task.agency_id == principal.agency_id, sa.or_(*mine))


def supervisors_of(agency_kind: str) -> str:
    """The role group of an agency that answers for its overdue work."""
    return (Role.dv_supervisor if agency_kind == AgencyKind.dv else Role.cps_supervisor).value
