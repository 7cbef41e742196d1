"""What she says and plans in her own view: her goals (her words, sealed, with their history), her plan for who
would care for her children, the meetings and hearings of her case, her requests for a separate meeting or an
interpreter (a task for her worker), and her feedback (counted, never shown one by one)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.checklists.models import JunctureRecord
from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Invalid, NotFound
from app.core.http import check_if_match, check_put_precondition
from app.court.models import CourtEvent
from app.family import access, texts
from app.family.models import (
    FamilyCarePlan,
    FamilyFeedback,
    FamilyGoal,
    FamilyGoalEvent,
    FamilyPartnerLink,
    FamilyRequest,
    care_plan_aad,
    goal_aad,
    goal_event_aad,
    request_aad,
)
from app.family.schemas import (
    CarePlanPut,
    FeedbackCreate,
    GoalCreate,
    GoalUpdate,
    MeetingRequestCreate,
    ParentPartnerInvite,
)
from app.family.service import my_person
from app.identity.models import Agency, PersonAccount, User
from app.tasks.schemas import InboxTaskKind, TaskSubject
from app.tasks.service import open_task
from app.tasks.sources import worker_on_case
from app.trail.recorder import record

# ------------------------------------------------------------------ goals


async def _history(session: AsyncSession, goal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    out: dict[uuid.UUID, list[dict[str, Any]]] = {g: [] for g in goal_ids}
    if not goal_ids:
        return out
    rows = (await session.execute(sa.select(FamilyGoalEvent).where(FamilyGoalEvent.goal_id.in_(goal_ids))
                                  .order_by(FamilyGoalEvent.created_at, FamilyGoalEvent.id))).scalars()
    for e in rows:
        out[e.goal_id].append({"kind": e.kind, "text": decrypt_json(e.text_enc, goal_event_aad(e.id)),
                               "at": e.created_at})
    return out


def _goal_read(goal: FamilyGoal, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": goal.id, "person_id": goal.person_id, "text": decrypt_json(goal.text_enc, goal_aad(goal.id)),
            "status": goal.status, "met_at": goal.met_at, "created_at": goal.created_at,
            "updated_at": goal.updated_at, "history": history}


async def goals_read(session: AsyncSession, goals: list[FamilyGoal]) -> list[dict[str, Any]]:
    history = await _history(session, [g.id for g in goals])
    return [_goal_read(g, history[g.id]) for g in goals]


async def _step(session: AsyncSession, goal: FamilyGoal, kind: str, text: str | None = None) -> None:
    event = FamilyGoalEvent(goal_id=goal.id, kind=kind)
    if text is not None:
        event.text_enc = encrypt_json(text, goal_event_aad(event.id), owner=goal.agency_id) or ""
    session.add(event)
    await session.flush()


async def my_goals(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    person = await my_person(session, principal)
    goals = list((await session.execute(sa.select(FamilyGoal).where(
        FamilyGoal.person_id == access.own_person_id(principal)).order_by(FamilyGoal.created_at))).scalars())
    await record(session, principal, "family.goals_read", "person", person.id, agency_id=person.agency_id)
    return await goals_read(session, goals)


async def add_goal(session: AsyncSession, principal: Principal, data: GoalCreate) -> tuple[FamilyGoal, dict[str, Any]]:
    person = await my_person(session, principal)
    goal = FamilyGoal(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id, text_enc="")
    goal.text_enc = encrypt_json(data.text, goal_aad(goal.id), owner=goal.agency_id) or ""
    session.add(goal)
    await session.flush()
    await _step(session, goal, "created", data.text)
    await record(session, principal, "family.goal_create", "family_goal", goal.id, agency_id=person.agency_id)
    return goal, (await goals_read(session, [goal]))[0]


async def update_goal(session: AsyncSession, principal: Principal, goal_id: uuid.UUID, data: GoalUpdate,
                      if_match: str | None) -> tuple[FamilyGoal, dict[str, Any]]:
    """Her words changed, the goal met, or kept at a review: each a step of its history."""
    goal = (await session.execute(sa.select(FamilyGoal).where(
        FamilyGoal.id == goal_id, FamilyGoal.person_id == access.own_person_id(principal)))).scalar_one_or_none()
    if goal is None:
        raise NotFound("goal")
    check_if_match(if_match, goal)
    if data.text is None and data.status is None and not data.kept:
        raise Invalid("Send new words (text), status met, or kept: true.", loc=["body"])
    now = utcnow()
    if data.text is not None:
        goal.text_enc = encrypt_json(data.text, goal_aad(goal.id), owner=goal.agency_id) or ""
        await _step(session, goal, "changed", data.text)
    if data.kept:
        await _step(session, goal, "kept")
    if data.status == "met" and goal.status != "met":
        goal.status, goal.met_at = "met", now
        await _step(session, goal, "met")
    goal.updated_at = now
    await session.flush()
    await record(session, principal, "family.goal_update", "family_goal", goal.id, agency_id=goal.agency_id)
    return goal, (await goals_read(session, [goal]))[0]


async def goals_of_person(session: AsyncSession, principal: Principal, person: Person) -> list[dict[str, Any]]:
    """Her goals as the team of her agency reads them (the person found through the team's visibility)."""
    goals = list((await session.execute(sa.select(FamilyGoal).where(FamilyGoal.person_id == person.id)
                                        .order_by(FamilyGoal.created_at))).scalars())
    await record(session, principal, "family.goals_read", "person", person.id, agency_id=person.agency_id)
    return await goals_read(session, goals)


# ------------------------------------------------------------------ care plan


def _plan_read(plan: FamilyCarePlan) -> dict[str, Any]:
    body = decrypt_json(plan.plan_enc, care_plan_aad(plan.id)) or {}
    return {"id": plan.id, "person_id": plan.person_id, "caregivers": body.get("caregivers", []),
            "what_i_can_offer": body.get("what_i_can_offer"), "wishes": body.get("wishes"),
            "created_at": plan.created_at, "updated_at": plan.updated_at}


async def _plan_of(session: AsyncSession, principal: Principal) -> FamilyCarePlan | None:
    return (await session.execute(sa.select(FamilyCarePlan).where(
        FamilyCarePlan.person_id == access.own_person_id(principal)))).scalar_one_or_none()


async def my_care_plan(session: AsyncSession, principal: Principal) -> tuple[FamilyCarePlan, dict[str, Any]]:
    plan = await _plan_of(session, principal)
    if plan is None:
        raise NotFound("care plan")
    await record(session, principal, "family.care_plan_read", "family_care_plan", plan.id, agency_id=plan.agency_id)
    return plan, _plan_read(plan)


async def put_care_plan(session: AsyncSession, principal: Principal, data: CarePlanPut,
                        if_match: str | None) -> tuple[FamilyCarePlan, dict[str, Any], bool]:
    person = await my_person(session, principal)
    existing = await _plan_of(session, principal)
    check_put_precondition(if_match, existing)
    plan = existing or FamilyCarePlan(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                                      plan_enc="")
    plan.plan_enc = encrypt_json(data.model_dump(mode="json"), care_plan_aad(plan.id), owner=plan.agency_id) or ""
    if existing is not None:
        plan.updated_at = utcnow()
    session.add(plan)
    await session.flush()
    await record(session, principal, "family.care_plan_put", "family_care_plan", plan.id, agency_id=plan.agency_id)
    return plan, _plan_read(plan), existing is None


# ------------------------------------------------------------------ meetings and requests

MEETING_JUNCTURES = ("family_meeting", "court")


async def _meetings(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """The family meetings and court junctures of her case, and its hearings: kinds and times only (no
    courtroom, no parties, no attorneys: those name others)."""
    out: list[dict[str, Any]] = []
    junctures = (await session.execute(sa.select(JunctureRecord).where(
        JunctureRecord.case_id == person.case_id, JunctureRecord.juncture.in_(MEETING_JUNCTURES)))).scalars()
    for j in junctures:
        kind = "family_meeting" if j.juncture == "family_meeting" else "court_juncture"
        out.append({"id": j.id, "kind": kind, "hearing_kind": None, "court": None, "scheduled_for": j.scheduled_for,
                    "texts": texts.meeting(kind, j.scheduled_for)})
    hearings = (await session.execute(sa.select(CourtEvent).where(CourtEvent.case_id == person.case_id))).scalars()
    for h in hearings:
        out.append({"id": h.id, "kind": "hearing", "hearing_kind": h.kind, "court": h.court_kind,
                    "scheduled_for": h.scheduled_for, "texts": texts.meeting("hearing", h.scheduled_for)})
    out.sort(key=lambda m: m["scheduled_for"])
    for m in out:
        m["text"] = texts.pick(m["texts"], person.language)
    return out


async def my_meetings(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    person = await my_person(session, principal)
    await record(session, principal, "family.meetings_read", "person", person.id, agency_id=person.agency_id)
    return await _meetings(session, person)


async def request_meeting(session: AsyncSession, principal: Principal,
                          data: MeetingRequestCreate) -> dict[str, Any]:
    """Her request becomes a task for her worker (the case's assigned worker, else its team)."""
    person = await my_person(session, principal)
    if data.meeting_id is not None and data.meeting_id not in {m["id"] for m in await _meetings(session, person)}:
        raise Invalid("No such meeting of yours.", loc=["body", "meeting_id"])
    if data.kind == "interpreter" and not (data.language or person.language):
        raise Invalid("Say which language you need.", loc=["body", "language"])
    req = FamilyRequest(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id, kind=data.kind,
                        meeting_id=data.meeting_id, language=data.language or person.language)
    req.note_enc = encrypt_json(data.note, request_aad(req.id), owner=req.agency_id)
    session.add(req)
    await session.flush()
    user_id, team_case = await worker_on_case(session, person.case_id)
    await open_task(session, source_key=f"family_request:{req.id}", agency_id=person.agency_id,
                    kind=InboxTaskKind.family_request, subject_type=TaskSubject.family_request.value, subject_id=req.id,
                    case_id=person.case_id, assignee_user_id=user_id, assignee_case_id=team_case,
                    priority="high" if data.kind == "separate_meeting" else "normal")
    await record(session, principal, "family.meeting_request", "family_request", req.id, agency_id=person.agency_id)
    words = texts.request_receipt(data.kind)
    return {"id": req.id, "kind": req.kind, "meeting_id": req.meeting_id, "created_at": req.created_at,
            "texts": words, "text": texts.pick(words, person.language)}


# ------------------------------------------------------------------ feedback


async def give_feedback(session: AsyncSession, principal: Principal, data: FeedbackCreate) -> dict[str, Any]:
    """Feedback about her own agency or an agency she consented to share with; stored apart from her record."""
    person = await my_person(session, principal)
    known = {person.agency_id} | set((await session.execute(sa.select(Consent.recipient_agency_id).where(
        Consent.person_id == person.id))).scalars())
    if data.agency_id not in known:
        raise Invalid("Give feedback about your agency or one you agreed to share with.", loc=["body", "agency_id"])
    session.add(FamilyFeedback(agency_id=data.agency_id, holder_agency_id=person.agency_id, respect=data.respect,
                               listened=data.listened, safety=data.safety,
                               race_ethnicity=list(person.race_ethnicity or [])))
    await session.flush()
    await record(session, principal, "family.feedback", "agency", data.agency_id, agency_id=person.agency_id)
    words = texts.FEEDBACK_THANKS
    return {"received": True, "texts": words, "text": texts.pick(words, person.language)}


# ------------------------------------------------------------------ parent partners


async def invite_parent_partner(session: AsyncSession, principal: Principal,
                                data: ParentPartnerInvite) -> dict[str, Any]:
    """She invites a parent partner (a user holding that role, in any agency or community program): the partner
    then sees her goals and meetings, never her case records. Inviting the same partner again changes nothing."""
    person = await my_person(session, principal)
    partner = await session.get(User, data.parent_partner_id)
    access.ensure_parent_partner(partner)
    assert partner is not None
    link = (await session.execute(sa.select(FamilyPartnerLink).where(
        FamilyPartnerLink.person_id == person.id, FamilyPartnerLink.parent_partner_id == partner.id,
        FamilyPartnerLink.ended_at.is_(None)))).scalar_one_or_none()
    if link is None:
        link = FamilyPartnerLink(person_id=person.id, agency_id=person.agency_id, parent_partner_id=partner.id)
        session.add(link)
        await session.flush()
        await record(session, principal, "family.parent_partner_invited", "family_partner_link", link.id,
                     agency_id=person.agency_id)
    return await _link_read(session, link, partner, person.language)


async def _link_read(session: AsyncSession, link: FamilyPartnerLink, partner: User,
                     language: str | None) -> dict[str, Any]:
    agency = await session.get(Agency, partner.agency_id) if partner.agency_id else None
    words = texts.partner_receipt(partner.full_name)
    return {"id": link.id, "parent_partner_id": partner.id, "parent_partner_name": partner.full_name,
            "agency_id": partner.agency_id, "agency_name": agency.name if agency else None,
            "created_at": link.created_at, "texts": words, "text": texts.pick(words, language)}


async def my_parent_partners(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The parent partners she invited and has not sent away, oldest first."""
    person = await my_person(session, principal)
    rows = (await session.execute(
        sa.select(FamilyPartnerLink, User).join(User, User.id == FamilyPartnerLink.parent_partner_id)
        .where(FamilyPartnerLink.person_id == person.id, FamilyPartnerLink.ended_at.is_(None))
        .order_by(FamilyPartnerLink.created_at, FamilyPartnerLink.id))).all()
    return [await _link_read(session, link, partner, person.language) for link, partner in rows]


async def end_parent_partner(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> None:
    """She ends a parent partner's access to her goals and meetings, at once (the partner's next request finds
    nothing). Another person's link, or one already ended, is a 404."""
    person = await my_person(session, principal)
    link = (await session.execute(sa.select(FamilyPartnerLink).where(
        FamilyPartnerLink.id == link_id, FamilyPartnerLink.person_id == person.id,
        FamilyPartnerLink.ended_at.is_(None)))).scalar_one_or_none()
    if link is None:
        raise NotFound("parent partner")
    link.ended_at = utcnow()
    await session.flush()
    await record(session, principal, "family.parent_partner_ended", "family_partner_link", link.id,
                 agency_id=person.agency_id)


async def _partner_link(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> FamilyPartnerLink:
    link = (await session.execute(sa.select(FamilyPartnerLink).where(
        FamilyPartnerLink.id == link_id, access.partner_link_clause(principal)))).scalar_one_or_none()
    if link is None:
        raise NotFound("family")
    return link


async def partnered_families(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The families that invited the parent partner: the name each chose for its own view, nothing more."""
    rows = (await session.execute(
        sa.select(FamilyPartnerLink.id, FamilyPartnerLink.created_at, PersonAccount.username)
        .join(PersonAccount, PersonAccount.person_id == FamilyPartnerLink.person_id)
        .where(access.partner_link_clause(principal)).order_by(FamilyPartnerLink.created_at))).all()
    return [{"id": r[0], "created_at": r[1], "display_name": r[2]} for r in rows]


async def partner_goals(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> list[dict[str, Any]]:
    link = await _partner_link(session, principal, link_id)
    goals = list((await session.execute(sa.select(FamilyGoal).where(FamilyGoal.person_id == link.person_id)
                                        .order_by(FamilyGoal.created_at))).scalars())
    await record(session, principal, "family.partner_goals_read", "family_partner_link", link.id,
                 agency_id=link.agency_id)
    return await goals_read(session, goals)


async def partner_meetings(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> list[dict[str, Any]]:
    link = await _partner_link(session, principal, link_id)
    person = await session.get(Person, link.person_id)
    if person is None:
        raise NotFound("family")
    await record(session, principal, "family.partner_meetings_read", "family_partner_link", link.id,
                 agency_id=link.agency_id)
    return await _meetings(session, person)
