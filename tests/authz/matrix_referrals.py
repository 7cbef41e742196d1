"""Authorization rows for joint referrals.

Relative to an actor: "own" is a referral its agency sends (the actor on the case's team), "partner" one
the partner agency sends to the actor's agency, "unrelated" one between the two unrelated agencies.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.cases.models import CaseTeamMember
from app.core.clock import utcnow
from app.core.db import sessionmaker
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario

WORKERS = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")
STEPS = {"draft": [], "sent": ["send"], "acknowledged": ["send", "acknowledge"],
         "accepted": ["send", "acknowledge", "accept"]}


async def _casework_user(scn: Scenario, agency: Any) -> Any:
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    return await scn.once(("referral-user", agency.id), lambda: scn.world.user(agency, role))


def _receiver_of(scn: Scenario, agency: Any) -> Any:
    """The agency of the other kind that `agency` refers to (home to home, unrelated to unrelated)."""
    pairs = {"home_cps": "home_dv", "home_dv": "home_cps", "other_cps": "other_dv", "other_dv": "other_cps"}
    key = next(k for k, a in scn.agencies.items() if a.id == agency.id)
    return scn.agencies[pairs[key]]


async def _case(scn: Scenario, actor: str, rel: str) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """A case of the sending agency with a person who consents to the receiving agency for referrals."""
    sender = scn.target(actor, rel)  # own: the actor's agency, partner: the partner's, unrelated: another
    receiver = _receiver_of(scn, sender)
    owner = await _casework_user(scn, sender)

    async def build() -> tuple[dict[str, Any], dict[str, Any]]:
        if sender.id in (scn.agencies["other_cps"].id, scn.agencies["other_dv"].id):
            await scn.once("referral-unrelated-agreement",
                           lambda: scn.agreement(scn.agencies["other_cps"], scn.agencies["other_dv"]))
        case = await scn.world.case(owner)
        if rel == "own" and scn.actors[actor].id != owner.id:
            async with sessionmaker()() as s:
                s.add(CaseTeamMember(case_id=uuid.UUID(case["id"]), user_id=scn.actors[actor].id))
                await s.commit()
        person = await scn.world.person(owner, case["id"])
        now = utcnow()
        r = await scn.world.post(owner, f"/api/v1/people/{person['id']}/consents", {
            "recipient_agency_id": str(receiver.id), "purposes": ["referral"], "categories": ["identity"],
            "valid_from": (now - timedelta(days=1)).isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
            "signed_at": (now - timedelta(days=1)).isoformat(), "signature_method": "written",
            "risks_explained": True, "language": "en", "grantor": {"person_id": person["id"], "relationship": "self"},
        })
        assert r.status_code == 201, r.text
        return case, person

    case, person = await scn.once(("referral-case", actor, rel), build)
    return case, person, owner, receiver


async def _referral(scn: Scenario, actor: str, rel: str, state: str, fresh: bool = True) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        case, person, owner, receiver = await _case(scn, actor, rel)
        r = await scn.world.post(owner, "/api/v1/referrals", {
            "case_id": case["id"], "to_agency_id": str(receiver.id), "person_ids": [person["id"]],
            "reason": "Matrix referral.", "urgency": "routine"})
        assert r.status_code == 201, r.text
        ref = r.json()
        responder = await _casework_user(scn, receiver)
        for step in STEPS[state]:
            who = owner if step == "send" else responder
            r = await scn.world.post(who, f"/api/v1/referrals/{ref['id']}/{step}")
            assert r.status_code == 200, r.text
            ref = r.json()
        return ref

    if fresh:
        return await build()
    return await scn.once(("referral", actor, rel, state), build)


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case, person, _, receiver = await _case(scn, actor, rel)
    return "/api/v1/referrals", {"case_id": case["id"], "to_agency_id": str(receiver.id),
                                 "person_ids": [person["id"]], "reason": "Matrix referral.", "urgency": "urgent"}


def _read(suffix: str = "") -> Any:
    async def make(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
        ref = await _referral(scn, actor, rel, "sent", fresh=False)
        return f"/api/v1/referrals/{ref['id']}{suffix}", None
    return make


def _act(action: str, state: str, body: Any = None) -> Any:
    async def make(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
        ref = await _referral(scn, actor, rel, state)
        return f"/api/v1/referrals/{ref['id']}/{action}", body
    return make


SENDER = dict.fromkeys(WORKERS, (200, 404, 404))  # send a draft: the receiver never sees a draft
SENDER_AFTER_SEND = dict.fromkeys(WORKERS, (200, 403, 404))
RECEIVER = dict.fromkeys(WORKERS, (403, 200, 404))
READ = dict.fromkeys(WORKERS, (200, 200, 404))

ROWS: list[Row] = [
    Row("POST", "/api/v1/referrals", _create, dict.fromkeys(WORKERS, (201, 404, 404))),
    Row("GET", "/api/v1/referrals", static("/api/v1/referrals"), dict.fromkeys(WORKERS, 200)),
    Row("GET", "/api/v1/referrals/{referral_id}", _read(), READ),
    Row("GET", "/api/v1/referrals/{referral_id}/events", _read("/events"), READ),
    Row("GET", "/api/v1/referrals/{referral_id}/people", _read("/people"), READ),
    Row("POST", "/api/v1/referrals/{referral_id}/send", _act("send", "draft"), SENDER),
    Row("POST", "/api/v1/referrals/{referral_id}/acknowledge", _act("acknowledge", "sent"), RECEIVER),
    Row("POST", "/api/v1/referrals/{referral_id}/accept", _act("accept", "acknowledged"), RECEIVER),
    Row("POST", "/api/v1/referrals/{referral_id}/decline",
        _act("decline", "acknowledged", {"reason_code": "no_capacity", "reason": "No capacity."}), RECEIVER),
    Row("POST", "/api/v1/referrals/{referral_id}/withdraw", _act("withdraw", "sent"), SENDER_AFTER_SEND),
    Row("POST", "/api/v1/referrals/{referral_id}/close",
        _act("close", "accepted", {"outcome": "Services began."}), SENDER_AFTER_SEND),
]
