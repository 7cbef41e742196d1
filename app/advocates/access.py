"""Who manages and sees advocates' assignments, who is shown on duty, and who sees and acts on consultations.

The DV side's view of an office or a consultation lasts only while the two agencies have an agreement in
force (evaluated at every request).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates.models import AdvocateAssignment as A
from app.advocates.models import Consultation as C
from app.agreements.access import partner_agency_clause
from app.auth.permissions import AgencyKind, P, Role
from app.auth.principal import Principal, PrincipalKind
from app.cases.access import case_scoped_clause
from app.core.errors import Forbidden, Invalid, NotFound

# ---------------------------------------------------------------- assignments and who is on duty


def ensure_may_manage_assignments(principal: Principal) -> uuid.UUID:
    """Only a DV agency places its advocates in CPS offices; returns that agency."""
    if principal.agency_kind is not AgencyKind.dv or principal.agency_id is None:
        raise Forbidden("Only a DV agency assigns advocates to offices.")
    return principal.agency_id


def ensure_may_end_assignment(principal: Principal, assignment: A) -> None:
    """The advocate's own DV agency ends an assignment (403 for a CPS agency, 404 for another DV agency)."""
    if ensure_may_manage_assignments(principal) != assignment.dv_agency_id:
        raise NotFound("assignment")


def ensure_assignable_advocate(principal: Principal, user: Any) -> None:
    """An assignment is for an active DV advocate of the caller's own agency (404 for anyone else's user)."""
    if user is None or user.agency_id != principal.agency_id:
        raise NotFound("user")
    if not user.active:
        raise Invalid("This user is deactivated.", loc=["body", "advocate_id"], type="user_inactive")
    if Role.dv_advocate.value not in (user.roles or []):
        raise Invalid("Only a dv_advocate can be assigned to an office.", loc=["body", "advocate_id"],
                      type="not_advocate")


def may_take_consultations(user: Any) -> bool:
    """Whether a user can be routed consultations: active and still holding dv_advocate."""
    return user is not None and user.active and Role.dv_advocate.value in (user.roles or [])


def assignment_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Assignments of the caller's own DV agency, or into the offices of the caller's own CPS agency."""
    if principal.agency_id is None:
        return sa.false()
    return sa.or_(A.dv_agency_id == principal.agency_id, A.cps_agency_id == principal.agency_id)


def assignment_in_force_clause(on: date | None) -> sa.ColumnElement[bool]:
    """SQL condition: the assignment is not ended and its two agencies have an agreement in force on `on`.

    Evaluated at every request, so a suspended or ended agreement stops the assignment at once."""
    return sa.and_(A.status == "active", partner_agency_clause(A.dv_agency_id, A.cps_agency_id, on))


async def ensure_may_read_on_duty(session: AsyncSession, principal: Principal, office: Any) -> None:
    """CPS staff of the office's agency, and staff of a DV agency with an assignment there; others 404."""
    if principal.agency_id is None:
        raise NotFound("office")
    if office.agency_id == principal.agency_id:
        return
    if principal.agency_kind is AgencyKind.dv:
        found = await session.execute(sa.select(A.id).where(
            A.office_id == office.id, A.dv_agency_id == principal.agency_id, assignment_in_force_clause(None),
        ).limit(1))
        if found.first() is not None:
            return
    raise NotFound("office")


def on_duty_visible_to(principal: Principal, dv_agency_id: uuid.UUID) -> bool:
    """Which advocates on duty a caller is shown: all of them to the office's CPS agency (the caller got here
    only if it may read the office), only its own to a DV agency."""
    return principal.agency_kind is not AgencyKind.dv or dv_agency_id == principal.agency_id


# ---------------------------------------------------------------- consultations


def consultation_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Consultations the caller may see, as a SQL condition.

    CPS staff: those about cases they can see. The advocate: those routed to her; DV supervisors and agency
    systems (case:read_all): those routed to their agency's advocates. The DV side sees a consultation only
    while the two agencies have an agreement in force."""
    if principal.agency_id is None or not principal.can(P.consultation_read):
        return sa.false()
    about_visible_case = case_scoped_clause(principal, C.case_id)
    if principal.can(P.case_read_all) or principal.kind is PrincipalKind.client:
        dv_side: sa.ColumnElement[bool] = C.dv_agency_id == principal.agency_id
    elif principal.user_id is not None:
        dv_side = sa.and_(C.advocate_id == principal.user_id, C.dv_agency_id == principal.agency_id)
    else:
        dv_side = sa.false()
    in_force = partner_agency_clause(C.dv_agency_id, C.cps_agency_id)
    return sa.or_(about_visible_case, sa.and_(dv_side, in_force))


def queues_to_settle_clause(principal: Principal) -> sa.ColumnElement[bool] | None:
    """Which waiting consultations a read of the list routes first: those of the caller's CPS agency and
    those at offices where the caller's DV agency has advocates assigned. None for a caller of no agency."""
    if principal.agency_id is None:
        return None
    assigned_here = sa.select(A.office_id).where(A.dv_agency_id == principal.agency_id, A.status == "active")
    return sa.or_(C.cps_agency_id == principal.agency_id, C.office_id.in_(assigned_here))


def ensure_consultation_advocate(principal: Principal, consultation: C) -> None:
    """Accepting and answering is for the advocate the consultation is routed to (403 for anyone else)."""
    if not principal.can(P.consultation_answer) or consultation.advocate_id is None \
            or consultation.advocate_id != principal.user_id:
        raise Forbidden("Only the advocate this consultation is routed to can do this.")


def ensure_may_close_consultation(principal: Principal, consultation: C) -> None:
    """The advocate it is routed to, a DV supervisor of her agency, or CPS staff who may open consultations
    on the case (the caller already sees it) may close a consultation."""
    if principal.can(P.consultation_answer) and consultation.advocate_id == principal.user_id \
            and principal.user_id is not None:
        return
    if principal.can(P.consultation_answer) and principal.can(P.case_read_all) \
            and consultation.dv_agency_id == principal.agency_id:
        return
    if principal.can(P.consultation_open) and consultation.cps_agency_id == principal.agency_id:
        return
    raise Forbidden("You cannot close this consultation.")


def ensure_may_route_consultation(principal: Principal, consultation: C) -> None:
    """A CPS supervisor of the case's agency names the advocate (the route declares consultation:route)."""
    if consultation.cps_agency_id != principal.agency_id:
        raise Forbidden("Only the case's agency can route this consultation.")


async def answers_consultation_on_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller, from a DV agency, is the advocate an accepted or answered consultation about the
    case was routed to. Her colleagues, supervisors and her agency's systems are not."""
    if principal.agency_id is None or principal.user_id is None or principal.agency_kind is not AgencyKind.dv:
        return False
    found = await session.execute(
        sa.select(C.id).where(C.case_id == case_id, C.advocate_id == principal.user_id,
                              C.dv_agency_id == principal.agency_id,
                              C.status.in_(("accepted", "responded"))).limit(1))
    return found.first() is not None
