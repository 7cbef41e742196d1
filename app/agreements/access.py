"""Who sees which agreements and may act on them, and whether two agencies have one in force.

Whether an agreement is in force is decided at each request from its status and dates; nothing is cached.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement, AgreementParty
from app.auth.principal import Principal
from app.core.clock import today
from app.core.errors import Forbidden, Invalid

# An agency id, or a column holding one in the enclosing query.
AgencyRef = uuid.UUID | sa.SQLColumnExpression[uuid.UUID] | sa.SQLColumnExpression[uuid.UUID | None]


def active_agreement_clause(
    agency_a: AgencyRef, agency_b: AgencyRef, on: date | sa.ColumnElement[date]
) -> sa.ColumnElement[bool]:
    """SQL condition: an agreement that is active on date `on` and names both agencies as parties (each an id,
    or a column or bind parameter of the enclosing query)."""

    def party(agency_id: AgencyRef) -> sa.ColumnElement[bool]:
        return sa.exists().where(AgreementParty.agreement_id == Agreement.id, AgreementParty.agency_id == agency_id)

    return sa.and_(
        Agreement.status == "active", Agreement.effective_from <= on, Agreement.expires_on >= on,
        party(agency_a), party(agency_b),
    )


async def active_agreements_between(
    session: AsyncSession, agency_a: uuid.UUID, agency_b: uuid.UUID
) -> list[Agreement]:
    """Agreements in force today between two agencies (re-read at every call; nothing is cached)."""
    rows = await session.execute(sa.select(Agreement).where(active_agreement_clause(agency_a, agency_b, today())))
    return list(rows.scalars().all())


def partner_agency_clause(agency_a: AgencyRef, agency_b: AgencyRef, on: date | None = None) -> sa.ColumnElement[bool]:
    """SQL condition: an agreement active on `on` (default today) names both agencies. Either may be an id
    or a column of the enclosing query (correlated through every level)."""
    day = on or today()

    def party(agency: AgencyRef) -> sa.ColumnElement[bool]:
        return sa.exists(sa.select(AgreementParty.id).where(
            AgreementParty.agreement_id == Agreement.id, AgreementParty.agency_id == agency,
        ).correlate_except(AgreementParty))

    return sa.exists(sa.select(Agreement.id).where(
        Agreement.status == "active", Agreement.effective_from <= day, Agreement.expires_on >= day,
        party(agency_a), party(agency_b),
    ).correlate_except(Agreement))


def agreement_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Agreements the caller's agency is a party to (others see none of them)."""
    if principal.agency_id is None:
        return sa.false()
    return sa.exists().where(AgreementParty.agreement_id == Agreement.id,
                             AgreementParty.agency_id == principal.agency_id)


def own_party_clause(principal: Principal, agreement_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """SQL condition: the party row of the caller's own agency on the agreement (the one it signs)."""
    return sa.and_(AgreementParty.agreement_id == agreement_id, AgreementParty.agency_id == principal.agency_id)


def ensure_may_create_agreement(principal: Principal, party_agency_ids: list[uuid.UUID]) -> None:
    """An agency admin creates agreements only for their own agency (422 if it is not among the parties)."""
    if principal.agency_id is None or principal.agency_id not in party_agency_ids:
        raise Invalid("Your own agency must be one of the parties.", loc=["body", "party_agency_ids"],
                      type="own_agency_not_party")


def ensure_may_resume_agreement(principal: Principal, agreement: Agreement) -> None:
    """Only the party that suspended an agreement may resume it."""
    if agreement.suspended_by_agency_id is not None and agreement.suspended_by_agency_id != principal.agency_id:
        raise Forbidden("Only the agency that suspended this agreement can resume it.")
