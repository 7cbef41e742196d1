"""Who may be invited to her own view, and which record a person's own view is about.

A person principal sees exactly one record: her own (`principal.person_id`). Nothing here widens what staff see.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.auth.permissions import P, Role
from app.auth.principal import Principal
from app.core.errors import Invalid, NotFound
from app.core.vocab import CaseRole
from app.family.models import FamilyPartnerLink

# A survivor and a non-abusive parent (a caregiver) may hold their own view; never the person using violence,
# never a child, never anyone else in the case.
INVITABLE_ROLES = frozenset({CaseRole.adult_survivor.value, CaseRole.caregiver.value})
ADULT_AGE = 18


def _is_minor(born: date | None, today: date) -> bool:
    if born is None:
        return False
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years < ADULT_AGE


def ensure_invitable(case_role: str, date_of_birth: date | None, today: date) -> None:
    """422 unless the record (its role in the case and birth date) is an adult survivor's or a non-abusive
    parent's. The record is the caller's agency's own: the loader already answered 404 for anyone else's."""
    if case_role not in INVITABLE_ROLES:
        raise Invalid("Only an adult survivor or a non-abusive parent can be invited to her own view.",
                      loc=["path", "person_id"], type="not_invitable")
    if _is_minor(date_of_birth, today):
        raise Invalid("A child cannot be invited to a view of her own.", loc=["path", "person_id"],
                      type="not_invitable")


def own_person_id(principal: Principal) -> uuid.UUID:
    """The one record a person's view is about (404 for any caller that is not a person): every query of her
    view is filtered by it, so nothing about anyone else (not even her children) is in reach."""
    if principal.person_id is None:
        raise NotFound("person")
    return principal.person_id


def done_by_her(principal: Principal, actor_ref: str | None) -> bool:
    """Whether a recorded act (a principal reference, e.g. a consent's `revoked_by`) was hers."""
    return actor_ref is not None and actor_ref == principal.ref


def partner_link_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """The families a parent partner may see: those who invited her and have not ended it; nobody else's."""
    if principal.user_id is None or not principal.can(P.partner_view):
        return sa.false()
    return sa.and_(FamilyPartnerLink.parent_partner_id == principal.user_id, FamilyPartnerLink.ended_at.is_(None))


def ensure_parent_partner(user: Any) -> None:
    """A family invites only an active user holding the parent_partner role (422 otherwise)."""
    if user is None or not user.active or Role.parent_partner.value not in user.roles:
        raise Invalid("No parent partner with that id.", loc=["body", "parent_partner_id"],
                      type="not_a_parent_partner")
