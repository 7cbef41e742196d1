"""What a referral shares across the boundary: the free text written about the family and the people named,
released to the receiving agency only as the disclosure rule and each person's referral consent allow.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent.consents import find_active_consent
from app.consent.disclosures import disclose
from app.core.clock import utcnow
from app.core.pagination import PageParams, paginate
from app.referrals import access
from app.referrals.lifecycle import (
    REFERRAL,
    S,
    get_referral,
    legal_actions,
    person_ids_of,
    service_ids_of,
    summary,
    unseal,
)
from app.referrals.models import SEALED_TEXT, Referral, ReferralPerson
from app.trail.recorder import record

if TYPE_CHECKING:
    from app.consent.disclosures import DisclosureResult

# States in which the receiving agency works with the people named.
RECEIVER_ACTIVE = frozenset({S.sent, S.acknowledged, S.accepted})


async def _consents_in_force(session: AsyncSession, referral: Referral, person_ids: list[uuid.UUID]) -> bool:
    """Whether every person named has an active referral consent to the receiving agency right now."""
    for pid in person_ids:
        if await find_active_consent(session, pid, referral.to_agency_id, REFERRAL) is None:
            return False
    return bool(person_ids)


async def read_referral(session: AsyncSession, principal: Principal, referral: Referral) -> dict[str, Any]:
    """GET of one referral (found by `get_referral`). A read by the receiving agency releases the family's free
    text across the boundary (or withholds it), so it is audited."""
    out = await referral_read(session, principal, referral)
    if access.referral_side(principal, referral) is access.ReferralSide.receiver:
        await record(session, principal, "referral.read", "referral", referral.id,
                     outcome="withheld" if out["withheld"] else "success", agency_id=principal.agency_id)
    return out


async def referral_read(session: AsyncSession, principal: Principal, referral: Referral) -> dict[str, Any]:
    """The referral as ReferralRead. The receiving side gets the free text written about the family only
    while every person named still consents to share it with them for the referral."""
    person_ids = (await person_ids_of(session, [referral.id]))[referral.id]
    out = summary(referral, person_ids, utcnow())
    out["service_ids"] = await service_ids_of(session, principal, referral.id)
    text = {f: unseal(referral, f) for f in SEALED_TEXT}
    withheld: list[str] = []
    if access.referral_side(principal, referral) is access.ReferralSide.receiver:
        if not await _consents_in_force(session, referral, person_ids):
            for f in ("reason", "family_goals", "outcome"):
                if text[f] is not None:
                    withheld.append(f)
                text[f] = None
    out.update(text)
    out["withheld"] = withheld
    out["allowed_actions"] = access.referral_actions_for(principal, referral, legal_actions(referral.status))
    return out


# ------------------------------------------------------------------ people, through the disclosure rule


def _disclosure_item(person_id: uuid.UUID, result: DisclosureResult) -> dict[str, Any]:
    """One person as ReferralPersonRead: what the disclosure request released and withheld."""
    return {"person_id": person_id, "disclosure_id": result.id, "basis": result.basis,
            "released": result.released,
            "withheld": [w.model_dump(mode="json") for w in result.withheld],
            "redisclosure_notice": result.redisclosure_notice}


async def read_people(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, page: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """Each person named, as the disclosure rule releases them to the caller for purpose "referral": the
    categories the person's referral consent covers (re-evaluated now; a revoked consent releases nothing).
    Once the referral no longer links the agencies, the rule withholds from the receiver every category
    named when it was sent (`referral_not_active`), accounted for and audited like any other decision."""
    referral = await get_referral(session, principal, referral_id)
    side = access.referral_side(principal, referral)
    active = referral.status in RECEIVER_ACTIVE if side is access.ReferralSide.receiver else None
    rows, cursor = await paginate(
        session, sa.select(ReferralPerson).where(ReferralPerson.referral_id == referral.id), ReferralPerson, page)
    items = []
    for rp in rows:
        if active is False:
            categories = list(rp.categories)
        else:
            consent = await find_active_consent(session, rp.person_id, referral.to_agency_id, REFERRAL)
            categories = list(consent.categories) if consent is not None else list(rp.categories)
        if not categories:
            items.append({"person_id": rp.person_id})
            continue
        result = await disclose(session, principal, rp.person_id, REFERRAL, categories,
                                context={"referral_id": str(referral.id)}, referral_active=active)
        items.append(_disclosure_item(rp.person_id, result))
    return items, cursor
