"""What a referral shares across the boundary: the free text written about the family and the people named,
released to the receiving agency only through the disclosure rule, decided for each person named at every
read, accounted for and audited.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import elements as consent_elements
from app.consent import rules
from app.consent.consents import find_active_consent
from app.consent.disclosures import disclose, disclose_held
from app.consent.rules import Reason
from app.core.clock import utcnow
from app.core.crypto import decrypt_text
from app.core.pagination import PageParams, paginate
from app.core.vocab import DataCategory
from app.referrals import access, reads
from app.referrals.lifecycle import REFERRAL, S, get_referral, legal_actions
from app.referrals.models import SEALED_TEXT, Referral, ReferralPerson, referral_aad
from app.referrals.reads import ReferralView
from app.trail.recorder import record

if TYPE_CHECKING:
    from app.consent.disclosures import DisclosureResult

# States in which the receiving agency works with the people named.
RECEIVER_ACTIVE = frozenset({S.sent, S.acknowledged, S.accepted})

# The free text a referral carries about the family: what it needs (reason), the family's own goals, and what
# came of it (outcome). A referral is a referral to services, so for the receiving agency this text crosses the
# boundary as category `services`, for purpose `referral`. (`decline_reason` is the receiver's own text.)
SHARED_TEXT = ("reason", "family_goals", "outcome")
TEXT_CATEGORY = DataCategory.services.value


async def _release_text(
    session: AsyncSession, principal: Principal, referral: Referral | ReferralView, person_ids: list[uuid.UUID],
    held: dict[str, str],
) -> Reason | None:
    """Apply the disclosure rule, now, for each person named to the free text on file (`held`, never empty):
    category `services`, purpose `referral`, tied to the referral, and withheld as `referral_not_active` once
    the referral no longer links the agencies. Each decision is accounted for and audited. None when it was
    released for every person named, else the reason it was withheld (the first person's that withheld it)."""
    # The people named, each with what the rule reads about them for the caller's agency, in one statement.
    if isinstance(referral, ReferralView) and referral.rule_facts is not None:  # read with the referral
        people = rules.facts_from_json(referral.rule_facts, principal.agency_id)
    else:
        people = await rules.read_facts(session, person_ids, principal.agency_id)
    active = None if referral.status in RECEIVER_ACTIVE else False
    if not people:
        (decision,) = rules.without_subject([TEXT_CATEGORY])
        return decision.reason
    reason: Reason | None = None
    for pid in person_ids:
        if pid not in people:
            continue
        person, facts = people[pid]
        result = await disclose_held(session, principal, person, REFERRAL, {TEXT_CATEGORY: dict(held)},
                                     context={"referral_id": str(referral.id)}, referral_active=active, facts=facts)
        reason = reason or next((w.reason for w in result.withheld), None)
    return reason


async def read_referral(session: AsyncSession, principal: Principal, referral: ReferralView) -> dict[str, Any]:
    """GET of one referral (loaded with what its read needs by `reads.load_visible`). A read by the receiving
    agency releases the family's free text across the boundary (or withholds it), so it is audited."""
    out = await referral_read(session, principal, referral)
    if access.referral_side(principal, referral) is access.ReferralSide.receiver:
        await record(session, principal, "referral.read", "referral", referral.id,
                     outcome="withheld" if out["withheld"] else "success", agency_id=principal.agency_id)
    return out


async def referral_read(
    session: AsyncSession, principal: Principal, referral: Referral | ReferralView
) -> dict[str, Any]:
    """The referral as ReferralRead (a transition's ORM row is completed by `reads.view_of`, one statement). The
    sending agency reads its own record in full. The receiving side gets the free text written about the family
    only as the disclosure rule releases it for every person named (`_release_text`); otherwise those fields are
    null, listed in `withheld`, with the rule's reason in `withheld_reasons`. With no free text on file nothing
    crosses, and nothing is decided or accounted for."""
    view = referral if isinstance(referral, ReferralView) else await reads.view_of(session, principal, referral)
    out = reads.summary(view, utcnow())
    out["service_ids"] = view.service_ids
    text = {f: decrypt_text(getattr(view, column), referral_aad(view.id, f)) for f, column in SEALED_TEXT.items()}
    withheld: dict[str, str] = {}
    side = access.referral_side(principal, view)
    if side is access.ReferralSide.receiver:
        held = {f: v for f in SHARED_TEXT if (v := text[f]) is not None}
        reason = await _release_text(session, principal, view, view.person_ids, held) if held else None
        if reason is not None:
            withheld = {f: reason.value for f in held}
            for f in SHARED_TEXT:
                text[f] = None
    out.update(text)
    out["withheld"] = list(withheld)
    out["withheld_reasons"] = withheld
    out["allowed_actions"] = access.referral_actions_for(principal, view, legal_actions(view.status))
    receiver = access.receiving_agency(principal, view) is not None
    out["linked_case_id"] = view.linked_case_id if receiver else None
    out["linked_person_ids"] = view.linked_person_ids if receiver else []
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
            categories = consent_elements.names(consent.categories) if consent is not None else list(rp.categories)
        if not categories:
            items.append({"person_id": rp.person_id})
            continue
        result = await disclose(session, principal, rp.person_id, REFERRAL, categories,
                                context={"referral_id": str(referral.id)}, referral_active=active)
        items.append(_disclosure_item(rp.person_id, result))
    return items, cursor
