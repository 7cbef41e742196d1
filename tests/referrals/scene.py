"""A CPS agency and a DV agency that work together, their staff, a case with people, and a third agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from app.core.clock import utcnow
from tests.factories import Actor, World, token_for


@dataclass
class Scene:
    world: World
    cps: Any
    dv: Any
    other_dv: Any
    actors: dict[str, Actor] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)
    survivor: dict[str, Any] = field(default_factory=dict)
    child: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    def retoken(self) -> None:
        """Fresh tokens for every actor, signed at the service clock's "now" (after the clock moved)."""
        for actor in self.actors.values():
            actor.token = token_for(actor.user, actor.agency)
            actor.h = {"Authorization": f"Bearer {actor.token}"}

    async def consent(self, person: dict[str, Any], *, recipient: Any = None, categories: list[str] | None = None,
                      purposes: list[str] | None = None, grantor: dict[str, Any] | None = None) -> dict[str, Any]:
        """An active consent recorded by the CPS worker through the consent API. By default it covers what a
        referral shares: who she is, how to reach her, and the referral's own text (category services)."""
        now = utcnow()
        body = {
            "recipient_agency_id": str((recipient or self.dv).id),
            "purposes": purposes or ["referral"],
            "categories": categories or REFERRAL_CATEGORIES,
            "valid_from": (now - timedelta(days=1)).isoformat(),
            "expires_at": (now + timedelta(days=60)).isoformat(),
            "signed_at": (now - timedelta(days=1)).isoformat(),
            "signature_method": "written", "risks_explained": True, "language": "en",
            "grantor": grantor or {"person_id": person["id"], "relationship": "self"},
        }
        r = await self.world.post(self["cps_worker"], f"/api/v1/people/{person['id']}/consents", body)
        assert r.status_code == 201, r.text
        return r.json()

    async def draft(self, actor: str = "cps_worker", **fields: Any) -> httpx.Response:
        body = {"case_id": self.case["id"], "to_agency_id": str(self.dv.id), "person_ids": [self.survivor["id"]],
                "reason": "Needs shelter and advocacy after an incident on 3 Elm Street.", "urgency": "routine",
                "family_goals": "Keep the children in school and stay near my sister.", **fields}
        return await self.world.post(self[actor], "/api/v1/referrals", body)

    async def referral(self, state: str = "draft", **fields: Any) -> dict[str, Any]:
        """A referral driven to `state` through the API by the staff allowed to move it."""
        r = await self.draft(**fields)
        assert r.status_code == 201, r.text
        ref = r.json()
        steps = {
            "draft": [], "sent": ["send"], "acknowledged": ["send", "acknowledge"],
            "accepted": ["send", "acknowledge", "accept"], "declined": ["send", "acknowledge", "decline"],
            "closed": ["send", "acknowledge", "accept", "close"], "withdrawn": ["withdraw"],
            "withdrawn_after_send": ["send", "withdraw"],
        }[state]
        for step in steps:
            ref = await self.act(step, ref)
        assert ref["status"] == state.removesuffix("_after_send")
        return ref

    async def act(self, action: str, ref: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
        who = actor or ("cps_worker" if action in ("send", "withdraw", "close") else "dv_advocate")
        r = await self.world.post(self[who], f"/api/v1/referrals/{ref['id']}/{action}", BODIES.get(action))
        assert r.status_code == 200, (action, r.text)
        return r.json()


# What a referral consent covers by default: identity and contact for the people read, and services for the
# referral's free text (why the family is referred, its goals, what came of it), which the receiving agency
# reads through the disclosure rule as category services.
REFERRAL_CATEGORIES = ["identity", "contact", "services"]

BODIES: dict[str, Any] = {
    "decline": {"reason_code": "no_capacity", "reason": "No shelter beds this week."},
    "close": {"outcome": "Connected with an advocate; safety plan in place."},
}

SURVIVOR_NAME = "Maria Survivor"
SURVIVOR_PHONE = "+1-555-0100"


async def build_scene(world: World, *, agreement: bool = True, consent: bool = True, full: bool = False) -> Scene:
    """Staff of both agencies and a third agency's advocate; with full=True also auditors, an agency admin
    and supervisor of the third agency, and a CPS worker who is not on the case's team."""
    cps = await world.agency("cps")
    dv = await world.agency("dv")
    other_dv = await world.agency("dv")
    s = Scene(world=world, cps=cps, dv=dv, other_dv=other_dv)
    people = [(cps, "cps_worker", "cps_worker"), (cps, "cps_supervisor", "cps_supervisor"),
              (cps, "cps_admin", "agency_admin"), (dv, "dv_advocate", "dv_advocate"),
              (dv, "dv_supervisor", "dv_supervisor"), (dv, "dv_admin", "agency_admin"),
              (other_dv, "other_advocate", "dv_advocate")]
    if full:
        people += [(cps, "cps_auditor", "auditor"), (dv, "dv_auditor", "auditor"), (cps, "cps_off_team", "cps_worker"),
                   (other_dv, "other_supervisor", "dv_supervisor"), (other_dv, "other_admin", "agency_admin")]
    for agency, name, role in people:
        s.actors[name] = await world.user(agency, role)
    s.case = await world.case(s["cps_worker"], dv_indicators=["survivor_disclosure"])
    s.survivor = await world.person(s["cps_worker"], s.case["id"], full_name=SURVIVOR_NAME,
                                    contact={"phone": SURVIVOR_PHONE, "email": None})
    s.child = await world.person(s["cps_worker"], s.case["id"], case_role="child", full_name="Kid Survivor")
    if agreement:
        await world.agreement(s["cps_admin"], s["dv_admin"])
    if consent:
        await s.consent(s.survivor)
    return s


def uid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))
