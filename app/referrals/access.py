"""Who sees which referrals, and which side of a referral may take each step.

The sending agency sees its outgoing box (on cases the caller may see); the receiving agency sees only what
was sent to it. Any third agency sees nothing (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import AgencyKind, P
from app.auth.principal import Principal
from app.cases.access import case_scoped_clause, sees_every_case_of_agency
from app.consent.access import register_person_link
from app.core.errors import Forbidden
from app.referrals.models import Referral, ReferralPerson


class ReferralSide(StrEnum):
    """Which side of a referral an agency is on."""

    sender = "sender"
    receiver = "receiver"


# Which side of a referral may perform each transition.
REFERRAL_ACTION_SIDE = {
    "send": ReferralSide.sender, "withdraw": ReferralSide.sender, "close": ReferralSide.sender,
    "acknowledge": ReferralSide.receiver, "accept": ReferralSide.receiver, "decline": ReferralSide.receiver,
}
_REFERRAL_SIDE_PERMISSION = {ReferralSide.sender: P.referral_write, ReferralSide.receiver: P.referral_respond}


class ReferralParties(Protocol):
    """What the side decisions read of a referral: the ORM row, or the read's Core row (`reads.ReferralView`)."""

    @property
    def from_agency_id(self) -> uuid.UUID: ...


def referral_outgoing_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Referrals the caller's agency sent (or drafted) on a case the caller may see (supervisors: every case)."""
    if principal.agency_id is None or not principal.can(P.referral_read):
        return sa.false()
    sent_by_own = Referral.from_agency_id == principal.agency_id
    if sees_every_case_of_agency(principal):
        # These callers see every case of their agency (case_visible_clause), and a referral's case is always
        # the sending agency's (cases never change agency): the case check is true for every row, and asking
        # it made the database hash all of the agency's cases on every list.
        return sent_by_own
    return sa.and_(sent_by_own, case_scoped_clause(principal, Referral.case_id))


def referral_incoming_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Referrals sent to the caller's agency; one never sent (a draft, or a draft withdrawn) is never visible
    to the receiving agency."""
    if principal.agency_id is None or not principal.can(P.referral_read):
        return sa.false()
    return sa.and_(Referral.to_agency_id == principal.agency_id, Referral.sent_at.is_not(None))


def referral_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Referrals the caller may see: its agency's outgoing box and incoming box. Any third agency: none."""
    return sa.or_(referral_outgoing_clause(principal), referral_incoming_clause(principal))


def referral_side(principal: Principal, referral: ReferralParties) -> ReferralSide:
    """Which side of a referral (already known to be visible) the caller is on."""
    return ReferralSide.sender if referral.from_agency_id == principal.agency_id else ReferralSide.receiver


def receiving_agency(principal: Principal, referral: ReferralParties) -> uuid.UUID | None:
    """The caller's agency when it is the receiving side of the referral (which reads the records it linked
    on accepting), else None."""
    return principal.agency_id if referral_side(principal, referral) is ReferralSide.receiver else None


def referral_actions_for(principal: Principal, referral: ReferralParties, legal: list[str]) -> list[str]:
    """Of the transitions legal in the referral's state, those the caller may perform."""
    side = referral_side(principal, referral)
    return [a for a in legal
            if REFERRAL_ACTION_SIDE[a] == side and principal.can(_REFERRAL_SIDE_PERMISSION[side])]


def ensure_may_act_on_referral(principal: Principal, referral: Referral, action: str) -> None:
    """403 unless the caller's agency is the side that performs `action` (sending agency: send, withdraw,
    close; receiving agency: acknowledge, accept, decline) and the caller's role allows it."""
    side = REFERRAL_ACTION_SIDE[action]
    if referral_side(principal, referral) != side:
        who = "sending" if side is ReferralSide.sender else "receiving"
        raise Forbidden(f"Only the {who} agency can {action} this referral.")
    if not principal.can(_REFERRAL_SIDE_PERMISSION[side]):
        raise Forbidden(f"Your role does not allow this action ({_REFERRAL_SIDE_PERMISSION[side].value}).")


def referral_assignee(principal: Principal) -> uuid.UUID | None:
    """Who a referral is assigned to when the caller acknowledges or accepts it: the staff user who did
    (an agency system assigns no one). The assignee is the advocate linked to the case (checklists)."""
    return principal.user_id


# ------------------------------------------------------------------ clauses built once per principal shape

# The visibility clauses above read a principal's kind and roles (which clause) and its agency and user (the
# values in it). A statement on a hot path is built once per *shape* of principal (kind, agency kind, roles, and
# whether it has an agency, a user, a person) from the same clause functions, given a stand-in principal whose
# agency, user and person are these bind parameters; each request executes it with `PerShape.params`. So the
# rules stay the ones written above, and no principal's values are ever baked into a shared statement.
PRINCIPAL_AGENCY = sa.bindparam("principal_agency_id", type_=sa.Uuid())
PRINCIPAL_USER = sa.bindparam("principal_user_id", type_=sa.Uuid())
PRINCIPAL_PERSON = sa.bindparam("principal_person_id", type_=sa.Uuid())


class _BoundPrincipal(Principal):
    """A principal of one shape whose agency, user and person are bind parameters (never used to decide in
    Python beyond its kind and roles)."""

    @property
    def user_id(self) -> Any:
        id_: object = self.id
        return PRINCIPAL_USER if id_ is PRINCIPAL_USER else None


def _shape(principal: Principal) -> Hashable:
    return (principal.kind, principal.agency_kind, principal.roles, principal.agency_id is None,
            principal.user_id is None, principal.person_id is None)


def _bound(principal: Principal) -> Principal:
    return _BoundPrincipal(
        id=PRINCIPAL_USER if principal.user_id is not None else f"{principal.kind}:shape",  # type: ignore[arg-type]
        kind=principal.kind, agency_kind=principal.agency_kind, roles=principal.roles,
        agency_id=PRINCIPAL_AGENCY if principal.agency_id is not None else None,  # type: ignore[arg-type]
        person_id=PRINCIPAL_PERSON if principal.person_id is not None else None,  # type: ignore[arg-type]
    )


_Built = TypeVar("_Built")


class PerShape(Generic[_Built]):
    """A statement (or anything built from visibility clauses) built once per principal shape by `build`, which
    receives the stand-in principal; `params(principal)` are the values to execute it with."""

    def __init__(self, build: Callable[[Principal], _Built]) -> None:
        self._build = build
        self._built: dict[Hashable, _Built] = {}

    def __call__(self, principal: Principal) -> _Built:
        key = _shape(principal)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = self._build(_bound(principal))
        return built

    def clear(self) -> None:
        self._built.clear()

    @staticmethod
    def params(principal: Principal) -> dict[str, Any]:
        return {PRINCIPAL_AGENCY.key: principal.agency_id, PRINCIPAL_USER.key: principal.user_id,
                PRINCIPAL_PERSON.key: principal.person_id}


async def works_referral_on_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller, from a DV agency, is the worker of her agency on an accepted referral about the
    case (the one who accepted it). Her colleagues and her agency's systems are not."""
    if principal.agency_id is None or principal.user_id is None or principal.agency_kind is not AgencyKind.dv:
        return False
    found = await session.execute(
        sa.select(Referral.id).where(Referral.case_id == case_id, Referral.to_agency_id == principal.agency_id,
                                     Referral.assigned_to == principal.user_id,
                                     Referral.status == "accepted").limit(1))
    return found.first() is not None


async def linked_advocates(session: AsyncSession, case_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(user id, agency id) of each DV worker linked to the case through an accepted referral (the one who
    accepted it): the people told when a juncture of the case is scheduled."""
    rows = await session.execute(
        sa.select(Referral.assigned_to, Referral.to_agency_id).where(
            Referral.case_id == case_id, Referral.status == "accepted", Referral.assigned_to.is_not(None))
        .distinct())
    return sorted({(r[0], r[1]) for r in rows.all() if r[0] is not None}, key=str)


def person_in_sent_referral_clause(
    person_id: sa.ColumnElement[uuid.UUID], agency_id: sa.ColumnElement[uuid.UUID]
) -> sa.ColumnElement[bool]:
    """SQL condition: a referral that has been sent to `agency_id` names the person (a link for the disclosure
    rule; either may be a column of the enclosing query or a bind parameter)."""
    return sa.exists().where(ReferralPerson.referral_id == Referral.id, ReferralPerson.person_id == person_id,
                             Referral.to_agency_id == agency_id, Referral.sent_at.is_not(None))


register_person_link("sent_referral", person_in_sent_referral_clause)
