"""A DV agency that holds a survivor's record, a CPS agency that asks for it, a third agency, and builders
for consents, agreements and mandates through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.core.vocab import DataCategory, Purpose
from app.trail.models import AuditEvent
from tests.factories import Actor, World

ADDRESS = {"line1": "2281 Wrenfield Crossing", "line2": "Apt 14", "city": "Ostley Harbor", "region": "OR",
           "postal_code": "97988", "country": "US", "kind": "actual"}
ACP_ADDRESS = {"line1": "PO Box 5521", "line2": None, "city": "Salem", "region": "OR", "postal_code": "97309",
               "country": "US", "kind": "acp_substitute"}
CONTACT = {"phone": "+1 503 555 0143", "email": "rosa.hidden@mail.example"}
SAFE = "Text only, never call; say it is about the library book."
SURVIVOR = {"case_role": "adult_survivor", "full_name": "Rosa Example", "date_of_birth": "1988-06-01",
            "language": "es", "contact": CONTACT, "address": ADDRESS, "safe_contact_instructions": SAFE}
# Strings that must never appear outside a release to an agency that may receive them.
SECRETS = ["Wrenfield", "Ostley Harbor", "97988", "555 0143", "5550143", "rosa.hidden", "library book"]

ALL_CATEGORIES = [c.value for c in DataCategory]
ALL_PURPOSES = [p.value for p in Purpose]


# The 42 CFR 2.31 elements a consent naming substance_use must hold.
PART2 = {"disclosing_program": "Riverbend Recovery Center outpatient program",
         "amount_and_kind": "Enrolment, attendance and completion dates; no clinical notes.",
         "revocation_explained": True}


def iso(dt: Any) -> str:
    return dt.isoformat()


def consent_body(person_id: Any, recipient_id: Any, **over: Any) -> dict[str, Any]:
    now = utcnow()
    body = {
        "recipient_agency_id": str(recipient_id), "purposes": ALL_PURPOSES, "categories": ALL_CATEGORIES,
        "valid_from": iso(now - timedelta(hours=1)), "expires_at": iso(now + timedelta(days=30)),
        "signed_at": iso(now - timedelta(hours=1)), "signature_method": "written", "risks_explained": True,
        "language": "es", "grantor": {"person_id": str(person_id), "relationship": "self"},
    }
    body.update(over)
    if "substance_use" in body["categories"] and "part2" not in over:
        body["part2"] = PART2
    return body


def mandate_body(recipient: Any, categories: list[str], basis: str = "statute", **over: Any) -> dict[str, Any]:
    body = {"basis": basis, "citation": "ORS 419B.010", "recipient_agency_id": str(recipient.id),
            "categories": categories, "document_sha256": "b" * 64,
            "expires_at": iso(utcnow() + timedelta(days=180))}
    body.update(over)
    return body


@dataclass
class Scene:
    world: World
    dv: Any
    cps: Any
    third: Any
    actors: dict[str, Actor] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)
    survivor: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    async def post(self, actor: str, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.world.post(self[actor], url, body, **kw)

    async def get(self, actor: str, url: str, **kw: Any) -> httpx.Response:
        return await self.world.get(self[actor], url, **kw)

    async def agreement(self, other: str = "cps", **fields: Any) -> dict[str, Any]:
        """An active agreement between the DV agency and `other` (every category and purpose by default)."""
        return await self.world.agreement(self["dv_admin"], self[f"{other}_admin"], **fields)

    async def consent(self, person: dict[str, Any] | None = None, recipient: Any = None, *, revoke: bool = False,
                      **over: Any) -> dict[str, Any]:
        person = person or self.survivor
        body = consent_body(person["id"], (recipient or self.cps).id, **over)
        r = await self.post("advocate", f"/api/v1/people/{person['id']}/consents", body)
        assert r.status_code == 201, r.text
        out = r.json()
        if revoke:
            r = await self.post("advocate", f"/api/v1/consents/{out['id']}/revoke",
                                {"reason": "She changed her mind.", "method": "oral"})
            assert r.status_code == 200, r.text
            out = r.json()
        return out

    async def mandate(self, categories: list[str], basis: str = "statute", recipient: Any = None,
                      **over: Any) -> dict[str, Any]:
        body = mandate_body(recipient or self.cps, categories, basis, **over)
        r = await self.post("dv_supervisor", f"/api/v1/people/{self.survivor['id']}/legal-mandates", body)
        assert r.status_code == 201, r.text
        return r.json()

    async def notice_task(self, mandate: dict[str, Any]) -> dict[str, Any]:
        """The task, opened when the mandate came into force, to warn the survivor before any release."""
        r = await self.get("advocate", f"/api/v1/notification-tasks?person_id={self.survivor['id']}&limit=200")
        assert r.status_code == 200, r.text
        (task,) = [t for t in r.json()["items"] if t.get("mandate_id") == mandate["id"]]
        return task

    async def warned(self, mandate: dict[str, Any], outcome: str = "notified") -> dict[str, Any]:
        """Complete the mandate's warning task, so it may release before the notice time has passed."""
        task = await self.notice_task(mandate)
        r = await self.post("advocate", f"/api/v1/notification-tasks/{task['id']}/complete", {"outcome": outcome})
        assert r.status_code == 200, r.text
        return r.json()

    async def disclose(self, actor: str = "cps_worker", categories: list[str] | None = None,
                       purpose: str = "safety_planning", person: dict[str, Any] | None = None) -> httpx.Response:
        body = {"person_id": (person or self.survivor)["id"], "purpose": purpose,
                "categories": categories or ["identity", "contact"]}
        return await self.post(actor, "/api/v1/disclosures", body)

    async def accounting(self) -> list[dict[str, Any]]:
        r = await self.get("advocate", f"/api/v1/people/{self.survivor['id']}/disclosures")
        assert r.status_code == 200, r.text
        return r.json()["items"]


async def build_scene(world: World, **survivor: Any) -> Scene:
    dv = await world.agency("dv")
    cps = await world.agency("cps")
    third = await world.agency("cps")
    s = Scene(world=world, dv=dv, cps=cps, third=third)
    s.actors = {
        "advocate": await world.user(dv, "dv_advocate"),
        "dv_supervisor": await world.user(dv, "dv_supervisor"),
        "dv_supervisor_2": await world.user(dv, "dv_supervisor"),
        "dv_other_advocate": await world.user(dv, "dv_advocate"),
        "dv_admin": await world.user(dv, "agency_admin"),
        "cps_worker": await world.user(cps, "cps_worker"),
        "cps_supervisor": await world.user(cps, "cps_supervisor"),
        "cps_admin": await world.user(cps, "agency_admin"),
        "third_worker": await world.user(third, "cps_worker"),
        "third_admin": await world.user(third, "agency_admin"),
    }
    s.case = await world.case(s["advocate"])
    s.survivor = await world.person(s["advocate"], s.case["id"], **{**SURVIVOR, **survivor})
    return s


async def audit_rows(**where: Any) -> list[AuditEvent]:
    async with sessionmaker()() as session:
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEvent, k) == (str(v) if k == "object_id" else v))
        return list((await session.execute(stmt)).scalars())


def uid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))
