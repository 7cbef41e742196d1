"""Rules for joint referrals: create, the lifecycle and its send gate, and the timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from app.agreements import access as agreements_access
from app.auth.principal import Principal
from app.cases import access as cases_access
from app.cases.models import Case, CaseTeamMember, Person
from app.consent import elements as consent_elements
from app.consent.consents import find_active_consent
from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.http import check_if_match
from app.core.pagination import PageParams, paginate
from app.core.sql import any_of
from app.core.vocab import Purpose
from app.identity.models import Agency, Office, User
from app.outbox.events import emit
from app.referrals import access
from app.referrals.models import (
    SEALED_TEXT,
    Referral,
    ReferralEvent,
    ReferralPerson,
    referral_aad,
    referral_owner,
)
from app.referrals.schemas import (
    CloseBody,
    DeclineBody,
    ReferralCreate,
    ReferralStatus,
    Urgency,
)
from app.trail.recorder import record

S = ReferralStatus

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "send": (frozenset({S.draft}), S.sent),
    "acknowledge": (frozenset({S.sent}), S.acknowledged),
    "accept": (frozenset({S.acknowledged}), S.accepted),
    "decline": (frozenset({S.acknowledged}), S.declined),
    "withdraw": (frozenset({S.draft, S.sent, S.acknowledged}), S.withdrawn),
    "close": (frozenset({S.accepted, S.declined}), S.closed),
}
# The timestamp column each target state sets.
STAMP = {S.sent: "sent_at", S.acknowledged: "acknowledged_at", S.accepted: "accepted_at",
         S.declined: "declined_at", S.closed: "closed_at", S.withdrawn: "withdrawn_at"}
AWAITING_ANSWER = (S.sent.value, S.acknowledged.value)
REFERRAL = Purpose.referral.value


def legal_actions(status: str) -> list[str]:
    """Transitions legal from `status`, whichever side performs them."""
    return [a for a, (starts, _) in TRANSITIONS.items() if status in starts]


def _seal(referral: Referral, field: str, value: str | None) -> None:
    setattr(referral, SEALED_TEXT[field], encrypt_json(value, referral_aad(referral.id, field),
                                                        owner=referral_owner(referral, field)))



# ------------------------------------------------------------------ respond_by


def add_business_days(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """`start` plus `days` working days (Monday to Friday) at the same local time of day in `tz`."""
    local = start.astimezone(tz)
    added = 0
    while added < days:
        local = (local.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
        if local.weekday() < 5:
            added += 1
    return local.astimezone(start.tzinfo)


def respond_by_for(sent_at: datetime, urgency: str, tz: ZoneInfo) -> datetime:
    """Emergency: hours; urgent and routine: business days in the case office's time zone (settings referral_*)."""
    s = get_settings()
    if urgency == Urgency.emergency:
        return sent_at + timedelta(hours=s.referral_emergency_hours)
    days = s.referral_urgent_business_days if urgency == Urgency.urgent else s.referral_routine_business_days
    return add_business_days(sent_at, days, tz)


async def _case_timezone(session: AsyncSession, case_id: uuid.UUID) -> ZoneInfo:
    tz = (await session.execute(
        sa.select(Office.timezone).join(Case, Case.office_id == Office.id).where(Case.id == case_id)
    )).scalar_one_or_none()
    try:
        return ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


# ------------------------------------------------------------------ timeline


async def _snapshot(session: AsyncSession, referral: Referral) -> dict[str, Any]:
    """The agencies and the workers involved at this step, so the history stays true when staff move."""
    wanted = {referral.from_agency_id, referral.to_agency_id}
    # Both agencies are usually loaded already (the create and the transitions check them): no query for those.
    agencies: dict[uuid.UUID, Agency] = {}
    for aid in wanted:
        loaded = session.identity_map.get(identity_key(Agency, aid))
        if isinstance(loaded, Agency) and "name" not in sa.inspect(loaded).unloaded:
            agencies[aid] = loaded
    if missing := sorted(wanted - set(agencies)):
        agencies.update((a.id, a) for a in (await session.execute(
            sa.select(Agency).where(any_of(Agency.id, "ids")), {"ids": missing})).scalars())
    team = (await session.execute(
        sa.select(User.id, User.full_name).join(CaseTeamMember, CaseTeamMember.user_id == User.id)
        .where(CaseTeamMember.case_id == referral.case_id).order_by(CaseTeamMember.created_at).limit(20)
    )).all()
    receiver = None
    if referral.assigned_to is not None:
        u = await session.get(User, referral.assigned_to)
        if u is not None:
            receiver = {"id": str(u.id), "full_name": u.full_name}

    def agency(aid: uuid.UUID) -> dict[str, Any]:
        a = agencies.get(aid)
        return {"id": str(aid), "name": a.name if a else None}

    return {
        "from_agency": agency(referral.from_agency_id),
        "to_agency": agency(referral.to_agency_id),
        "sending_workers": [{"id": str(uid), "full_name": name} for uid, name in team],
        "receiving_worker": receiver,
    }


async def _event(session: AsyncSession, principal: Principal, referral: Referral, from_status: str | None,
                 note: str | None = None) -> None:
    session.add(ReferralEvent(
        referral_id=referral.id, at=utcnow(), actor_id=str(principal.id), actor_agency_id=principal.agency_id,
        from_status=from_status, to_status=referral.status, note=note,
        snapshot=await _snapshot(session, referral),
    ))
    await session.flush()


# ------------------------------------------------------------------ create, load (ORM: the transitions'), timeline
# (The read and the boxes, as Core rows: reads.py.)


async def create_referral(session: AsyncSession, principal: Principal, data: ReferralCreate) -> Referral:
    """A draft on a case the caller may see, to an agency of the other kind, naming people of that case."""
    case = await cases_access.get_visible_case(session, principal, data.case_id)
    # Both agencies in one statement (they stay in the session for the history snapshot).
    agencies = {a.id: a for a in (await session.execute(
        sa.select(Agency).where(any_of(Agency.id, "ids")), {"ids": [data.to_agency_id, case.agency_id]})).scalars()}
    to_agency = agencies.get(data.to_agency_id)
    if to_agency is None:
        raise Invalid("to_agency_id is not an existing agency.", loc=["body", "to_agency_id"],
                      type="unknown_agency")
    from_agency = agencies[case.agency_id]
    if to_agency.id == from_agency.id or to_agency.kind == from_agency.kind:
        raise Invalid("A referral goes to an agency of the other kind (CPS to DV, or DV to CPS).",
                      loc=["body", "to_agency_id"], type="same_agency_kind")
    in_case = set((await session.execute(
        sa.select(Person.id).where(Person.case_id == case.id, any_of(Person.id, "ids")), {"ids": data.person_ids}
    )).scalars())
    bad = [{"loc": ["body", "person_ids", i], "msg": "not a person in this case", "type": "person_not_in_case"}
           for i, pid in enumerate(data.person_ids) if pid not in in_case]
    if bad:
        raise Invalid("Every person named must belong to the case.", errors=bad)
    if data.consent_id is not None:
        await _check_named_consent(session, data.consent_id, data.person_ids, to_agency.id)
    referral = Referral(case_id=case.id, from_agency_id=from_agency.id, to_agency_id=to_agency.id,
                        status=S.draft.value, urgency=data.urgency.value, consent_id=data.consent_id,
                        created_by=principal.user_id)
    _seal(referral, "reason", data.reason)
    _seal(referral, "family_goals", data.family_goals)
    session.add(referral)
    # The referral first (the unit of work does not order unrelated mappers by foreign key); then its people
    # and its first event, which do not refer to each other, in one flush (_event's).
    await session.flush()
    session.add_all([ReferralPerson(referral_id=referral.id, person_id=pid) for pid in data.person_ids])
    await _event(session, principal, referral, None)
    await record(session, principal, "referral.create", "referral", referral.id, agency_id=from_agency.id)
    # A draft is the sending agency's own: the receiving agency hears of it only once it is sent.
    await emit(session, "referral.created", [from_agency.id], {"referral_id": str(referral.id)})
    return referral


async def _check_named_consent(session: AsyncSession, consent_id: uuid.UUID, person_ids: list[uuid.UUID],
                               to_agency_id: uuid.UUID) -> None:
    """A consent named on create must be one given by a person named, to the receiving agency."""
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.person_id not in person_ids or consent.recipient_agency_id != to_agency_id:
        raise Invalid("consent_id must be a consent of a person named, to the receiving agency.",
                      loc=["body", "consent_id"], type="consent_mismatch")


_VISIBLE: access.PerShape[sa.Select[Referral]] = access.PerShape(
    lambda p: sa.select(Referral).where(Referral.id == sa.bindparam("referral_id"), access.referral_visible_clause(p)))


async def get_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """The referral if the caller's agency sent it (case visible) or received it (sent), else 404: the ORM row a
    transition changes (the statement built once per principal shape)."""
    params = access.PerShape.params(principal)
    params["referral_id"] = referral_id
    referral = (await session.execute(_VISIBLE(principal), params)).scalar_one_or_none()
    if referral is None:
        raise NotFound("referral")
    return referral


async def list_events(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, page: PageParams
) -> tuple[list[ReferralEvent], str | None]:
    """The timeline, newest first; visible to both agencies whatever happens to consent."""
    referral = await get_referral(session, principal, referral_id)
    stmt = sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    return await paginate(session, stmt, ReferralEvent, page)


# ------------------------------------------------------------------ transitions


def _ensure_legal(principal: Principal, referral: Referral, action: str) -> str:
    """The target status, or 409 naming the current status and what the caller may do from it: `allowed`
    is the referral's `allowed_actions` for this caller, never the other agency's moves."""
    starts, target = TRANSITIONS[action]
    if referral.status not in starts:
        allowed = access.referral_actions_for(principal, referral, legal_actions(referral.status))
        raise Conflict(
            f"A referral in status {referral.status} cannot {action}; you may: {', '.join(allowed) or 'nothing'}.",
            current_status=referral.status, allowed=allowed,
        )
    return target


async def _send_gate(session: AsyncSession, referral: Referral) -> list[tuple[ReferralPerson, Any]]:
    """409 naming what is missing: an active agreement covering referrals, each person's consent."""
    missing: list[dict[str, str]] = []
    agreements = await agreements_access.active_agreements_between(session, referral.from_agency_id, referral.to_agency_id)
    if not any(REFERRAL in (a.purposes or []) for a in agreements):
        missing.append({"what": "agreement"})
    people = list((await session.execute(
        sa.select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)
        .order_by(ReferralPerson.created_at))).scalars())
    found = []
    for rp in people:
        consent = await find_active_consent(session, rp.person_id, referral.to_agency_id, REFERRAL)
        if consent is None:
            missing.append({"what": "consent", "person_id": str(rp.person_id)})
        found.append((rp, consent))
    if missing:
        raise Conflict("The referral cannot be sent yet; see missing. The draft is kept.",
                       current_status=referral.status, missing=missing)
    return found


async def transition(
    session: AsyncSession, principal: Principal, referral: Referral, action: str,
    body: DeclineBody | CloseBody | None = None, *, if_match: str | None = None,
) -> Referral:
    """Move the referral one step. 403 for the wrong side, then 412 when `if_match` names another version,
    409 for an illegal step or an unmet send gate; the version check makes two racing requests end with one
    winner."""
    access.ensure_may_act_on_referral(principal, referral, action)
    check_if_match(if_match, referral)
    target = _ensure_legal(principal, referral, action)
    now = utcnow()
    from_status = referral.status
    note: str | None = None
    if action == "send":
        for rp, consent in await _send_gate(session, referral):
            rp.consent_id = consent.id
            rp.categories = consent_elements.names(consent.categories)
            if referral.consent_id is None:
                referral.consent_id = consent.id
        tz = await _case_timezone(session, referral.case_id)
        referral.respond_by = respond_by_for(now, referral.urgency, tz)
        note = f"respond by {referral.respond_by.isoformat()}"
    elif action in ("acknowledge", "accept") and access.referral_assignee(principal) is not None:
        referral.assigned_to = access.referral_assignee(principal)
    elif action == "decline":
        assert isinstance(body, DeclineBody)
        referral.decline_reason_code = body.reason_code.value
        _seal(referral, "decline_reason", body.reason)
        note = f"reason code {body.reason_code.value}"
    elif action == "close":
        assert isinstance(body, CloseBody)
        _seal(referral, "outcome", body.outcome)
        if body.outcome_code is not None:
            referral.outcome_code = body.outcome_code.value
            note = f"outcome code {body.outcome_code.value}"
    referral.status = S(target).value
    setattr(referral, STAMP[S(target)], now)
    referral.updated_at = now
    await session.flush()  # the version check: a concurrent winner makes this a 409
    await _event(session, principal, referral, from_status, note)
    await record(session, principal, f"referral.{action}", "referral", referral.id,
                 agency_id=principal.agency_id)
    # The receiving agency never hears of a draft, so withdrawing one is the sender's business only.
    recipients = [referral.from_agency_id] if from_status == S.draft and action == "withdraw" else \
        [referral.from_agency_id, referral.to_agency_id]
    await emit(session, f"referral.{S(target).value}", recipients,
               {"referral_id": str(referral.id), "status": referral.status, "at": now.isoformat()})
    return referral
