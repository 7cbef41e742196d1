"""Closing a case: the closure checklist gate (or a supervisor's override), a coded reason, and the loose ends
left open on the partner side, each listed for the worker to end (through its own endpoint) or keep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Case, CaseLink, Person, PersonLink, case_closure_aad
from app.checklists import access as checklists_access
from app.checklists.defaults import Juncture
from app.checklists.junctures import current_checklist
from app.checklists.schemas import CaseClose
from app.consent.models import Consent
from app.consent.rules import consent_active_clause
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import encrypt_json
from app.core.errors import Conflict
from app.core.http import check_if_match
from app.core.vocab import CaseStage
from app.outbox.events import emit
from app.referrals import access as referrals_access
from app.referrals.lifecycle import legal_actions
from app.referrals.models import Referral
from app.trail.recorder import record

# A referral in these states no longer links the agencies: nothing to end.
REFERRAL_DONE = ("closed", "withdrawn")
# Of a referral's transitions, those that end it.
REFERRAL_ENDING = ("close", "withdraw", "decline")


async def close_case(
    session: AsyncSession, principal: Principal, case: Case, data: CaseClose, *, if_match: str | None = None,
) -> dict[str, Any]:
    """Close a case the caller may see (loaded through its visibility). 403 for a worker's override, 412 for a
    stale If-Match, 409 when already closed or without a closure checklist completed within
    checklist_valid_days (and no override). Sets status and stage to closed, records the coded reason, audits
    (`case.close`, and `case.close_override`), queues `case.closed` (ids only) for the case's agency, and
    answers with what stays open on the partner side."""
    if data.override_reason is not None:
        checklists_access.ensure_may_override_closure(principal)
    check_if_match(if_match, case)
    if case.status == "closed":
        raise Conflict("This case is already closed.", current_status=case.status)
    now = utcnow()
    checklist = await current_checklist(session, case.id, Juncture.closure.value, now)
    overridden = checklist is None
    if overridden and data.override_reason is None:
        raise Conflict(f"No closure checklist was completed on this case in the last "
                       f"{get_settings().checklist_valid_days} days.", title="Safety checklist not completed",
                       juncture=Juncture.closure.value)
    case.status = "closed"
    case.stage = CaseStage.closed.value
    case.closure_reason = data.reason.value
    case.closed_at = now
    case.closure_override_enc = (encrypt_json(data.override_reason, case_closure_aad(case.id), owner=case.agency_id)
                                 if overridden else None)
    case.updated_at = now
    await session.flush()
    await record(session, principal, "case.close", "case", case.id, agency_id=case.agency_id)
    if overridden:
        await record(session, principal, "case.close_override", "case", case.id, agency_id=case.agency_id)
    await emit(session, "case.closed", [case.agency_id],
               {"case_id": str(case.id), "status": "closed", "at": now.isoformat()})
    return {"case": case, "reason": case.closure_reason, "closed_at": now, "overridden": overridden,
            "checklist_id": checklist.id if checklist else None,
            "still_open": await loose_ends(session, principal, case, now)}


def _choices(end: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*end, {"choice": "keep", "method": None, "path": None}]


async def loose_ends(session: AsyncSession, principal: Principal, case: Case, now: datetime) -> list[dict[str, Any]]:
    """What stays open with other agencies about the case's people: active person links, active consents
    naming another agency, referrals not closed (sent by this case, or accepted into it). Ids and codes
    only; each with its choices: `end` (the endpoint that ends it, when the caller's agency can) or `keep`."""
    people = sa.select(Person.id).where(Person.case_id == case.id)
    out: list[dict[str, Any]] = []
    links = (await session.execute(sa.select(PersonLink).where(
        PersonLink.ended_at.is_(None),
        sa.or_(PersonLink.person_id.in_(people), PersonLink.linked_person_id.in_(people)))
        .order_by(PersonLink.created_at, PersonLink.id))).scalars()
    for link in links:
        own_is_source = link.agency_id == case.agency_id
        out.append({"kind": "person_link", "id": link.id,
                    "person_id": link.person_id if own_is_source else link.linked_person_id,
                    "other_agency_id": link.linked_agency_id if own_is_source else link.agency_id, "status": "active",
                    "choices": _choices([{"choice": "end", "method": "DELETE",
                                          "path": f"/api/v1/person-links/{link.id}"}])})
    consents = (await session.execute(sa.select(Consent).where(
        Consent.case_id == case.id, Consent.recipient_agency_id != case.agency_id, consent_active_clause(now))
        .order_by(Consent.created_at, Consent.id))).scalars()
    for consent in consents:
        out.append({"kind": "consent", "id": consent.id, "person_id": consent.person_id,
                    "other_agency_id": consent.recipient_agency_id, "status": "active",
                    "choices": _choices([{"choice": "end", "method": "POST",
                                          "path": f"/api/v1/consents/{consent.id}/revoke"}])})
    accepted_into = sa.select(CaseLink.referral_id).where(CaseLink.linked_case_id == case.id,
                                                          CaseLink.referral_id.is_not(None))
    referrals = (await session.execute(sa.select(Referral).where(
        sa.or_(Referral.case_id == case.id, Referral.id.in_(accepted_into)),
        Referral.status.not_in(REFERRAL_DONE)).order_by(Referral.created_at, Referral.id))).scalars()
    for referral in referrals:
        mine = referrals_access.referral_side(principal, referral) is referrals_access.ReferralSide.sender
        ending = [a for a in referrals_access.referral_actions_for(principal, referral, legal_actions(referral.status))
                  if a in REFERRAL_ENDING]
        out.append({"kind": "referral", "id": referral.id, "person_id": None,
                    "other_agency_id": referral.to_agency_id if mine else referral.from_agency_id,
                    "status": referral.status,
                    "choices": _choices([{"choice": "end", "method": "POST",
                                          "path": f"/api/v1/referrals/{referral.id}/{a}"} for a in ending])})
    return out
