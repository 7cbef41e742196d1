"""Accepting a referral with linked records: the receiving agency's own case and person records, made from
what the disclosure rule releases at that moment for purpose `referral` (never more), and linked to the
referring agency's records, in the accept's transaction.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.links import LinkedPerson, create_linked_records
from app.cases.models import Case, Person
from app.consent.disclosures import disclose
from app.core.vocab import DataCategory
from app.referrals.lifecycle import REFERRAL, transition
from app.referrals.models import Referral, ReferralPerson
from app.referrals.schemas import AcceptBody
from app.trail.recorder import record

# What a person record holds, by category: only these are ever copied into the receiving agency's record.
RECORD_CATEGORIES = (DataCategory.identity.value, DataCategory.contact.value, DataCategory.location.value)


async def accept(
    session: AsyncSession, principal: Principal, referral: Referral, body: AcceptBody, *,
    if_match: str | None = None,
) -> Referral:
    """Accept the referral; with `create_records`, also make the linked records (same transaction)."""
    referral = await transition(session, principal, referral, "accept", if_match=if_match)
    if body.create_records:
        await create_records(session, principal, referral)
    return referral


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _linked_person(source: Person, released: dict[str, Any]) -> LinkedPerson | None:
    """The fields of a person record out of what was released; None without identity (no record is made of
    someone whose identity was withheld). A withheld category leaves its fields empty."""
    identity = released.get(DataCategory.identity.value)
    if not identity or not identity.get("full_name") or not identity.get("case_role"):
        return None
    contact = released.get(DataCategory.contact.value) or {}
    location = released.get(DataCategory.location.value) or {}
    address = location.get("address")
    return LinkedPerson(
        source=source, case_role=str(identity["case_role"]), full_name=str(identity["full_name"]),
        date_of_birth=_date(identity.get("date_of_birth")), language=identity.get("language"),
        contact=contact.get("contact"), safe_contact_instructions=contact.get("safe_contact_instructions"),
        address=dict(address) if isinstance(address, dict) else None,
    )


async def create_records(session: AsyncSession, principal: Principal, referral: Referral) -> None:
    """For each person named: one disclosure request (identity, contact, location; purpose referral), accounted
    for and audited like any other, and a record of what it released; then the case and the links."""
    source_case = await session.get(Case, referral.case_id)
    assert source_case is not None
    rows = (await session.execute(
        sa.select(ReferralPerson.person_id, Person).join(Person, Person.id == ReferralPerson.person_id)
        .where(ReferralPerson.referral_id == referral.id).order_by(ReferralPerson.created_at, ReferralPerson.id)
    )).all()
    people: list[LinkedPerson] = []
    for person_id, source in rows:
        result = await disclose(session, principal, uuid.UUID(str(person_id)), REFERRAL, RECORD_CATEGORIES,
                                context={"referral_id": str(referral.id)}, referral_active=True)
        linked = _linked_person(source, result.released)
        if linked is not None:
            people.append(linked)
    await create_linked_records(session, principal, source_case, people, referral_id=referral.id)
    await record(session, principal, "referral.create_records", "referral", referral.id,
                 agency_id=principal.agency_id)
