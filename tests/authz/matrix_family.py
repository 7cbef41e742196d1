"""Authorization rows of the family's own view: the agency's invitations and revocation (casework roles, own
agency only), and /api/v1/my/... (the person only; every staff role 403)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.crypto import encrypt_json
from app.core.db import sessionmaker
from app.family.models import FamilyGoal, goal_aad
from tests.authz.matrix import Row, static
from tests.authz.matrix_cases import CASEWORK
from tests.authz.matrix_contacts import _fresh_person
from tests.authz.scenario import Scenario


async def _invite(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _fresh_person(scn, actor, rel))['id']}/invitations", None


async def _revoke(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _fresh_person(scn, actor, rel))['id']}/access/revoke", None


async def _consent_of(person_id: uuid.UUID, case_id: uuid.UUID, agency_id: uuid.UUID,
                      recipient_id: uuid.UUID) -> uuid.UUID:
    now = utcnow()
    async with sessionmaker()() as s:
        c = Consent(person_id=person_id, case_id=case_id, agency_id=agency_id, recipient_agency_id=recipient_id,
                    purposes=["referral"], categories=["identity"], valid_from=now - timedelta(days=1),
                    expires_at=now + timedelta(days=30), signed_at=now - timedelta(days=1),
                    signature_method="written", risks_explained=True, language="en", grantor_person_id=person_id,
                    grantor_relationship="self")
        s.add(c)
        await s.commit()
        return c.id


async def _my_consent_revoke(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """own: a consent of hers; partner / unrelated: a consent of another person (of her agency / another)."""
    assert scn.person is not None and scn.person.agency is not None and scn.person.case_id is not None
    recipient = scn.agencies["home_cps"].id
    if rel == "own":
        cid = await _consent_of(scn.person.person_id, scn.person.case_id, scn.person.agency.id, recipient)
    else:
        other = await scn.world.person_actor(scn.agencies["home_dv" if rel == "partner" else "other_dv"])
        assert other.agency is not None and other.case_id is not None
        cid = await _consent_of(other.person_id, other.case_id, other.agency.id, recipient)
    return f"/api/v1/my/consents/{cid}/revoke", {"reason": "I changed my mind."}


async def _my_preview(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return "/api/v1/my/preview", {"recipient_agency_id": str(scn.agencies["home_cps"].id), "purpose": "referral",
                                  "categories": ["identity", "contact"]}


async def _goal_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """own: a goal of hers; partner / unrelated: a goal of another person (of her agency / another)."""
    assert scn.person is not None
    owner = scn.person if rel == "own" else await scn.world.person_actor(
        scn.agencies["home_dv" if rel == "partner" else "other_dv"])
    assert owner.agency is not None and owner.case_id is not None
    async with sessionmaker()() as s:
        g = FamilyGoal(person_id=owner.person_id, case_id=owner.case_id, agency_id=owner.agency.id, text_enc="")
        g.text_enc = encrypt_json("Keep my job.", goal_aad(g.id), owner=owner.agency.id) or ""
        s.add(g)
        await s.commit()
    return f"/api/v1/my/goals/{g.id}", {"kept": True}


async def _family_goals(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _fresh_person(scn, actor, rel))['id']}/family-goals", None


async def _feedback(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return "/api/v1/my/feedback", {"agency_id": str(scn.agencies["home_dv"].id), "respect": 4, "listened": 5,
                                   "safety": 4}


async def _parent_partner_invite(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    async def build() -> Any:
        return await scn.world.user(await scn.world.agency("community"), "parent_partner")

    partner = await scn.once("parent-partner", build)
    return "/api/v1/my/parent-partners", {"parent_partner_id": str(partner.id)}


CARE_PLAN = {"caregivers": [{"name": "Her sister", "relationship": "sister"}], "wishes": "Keep them together."}
PREFERENCES = {"channels": ["text"], "voicemail_ok": False, "ask_if_safe_first": True}


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/invitations", _invite, _each(CASEWORK, (201, 404, 404))),
    Row("POST", "/api/v1/people/{person_id}/access/revoke", _revoke, _each(CASEWORK, (200, 404, 404))),
    Row("GET", "/api/v1/my", static("/api/v1/my"), {"person": 200}),
    Row("GET", "/api/v1/my/consents", static("/api/v1/my/consents"), {"person": 200}),
    Row("POST", "/api/v1/my/consents/{consent_id}/revoke", _my_consent_revoke, {"person": (200, 404, 404)}),
    Row("GET", "/api/v1/my/disclosures", static("/api/v1/my/disclosures"), {"person": 200}),
    Row("POST", "/api/v1/my/preview", _my_preview, {"person": 200}),
    # the first PUT creates them (201); a later one without If-Match is 428
    Row("PUT", "/api/v1/my/contact-preferences", static("/api/v1/my/contact-preferences", PREFERENCES),
        {"person": (201, 428, 428)}),
    Row("GET", "/api/v1/my/contact-preferences", static("/api/v1/my/contact-preferences"), {"person": 404}),
    Row("GET", "/api/v1/my/goals", static("/api/v1/my/goals"), {"person": 200}),
    Row("POST", "/api/v1/my/goals", static("/api/v1/my/goals", {"text": "Find a safe home."}), {"person": 201}),
    Row("PATCH", "/api/v1/my/goals/{goal_id}", _goal_patch, {"person": (200, 404, 404)}),
    Row("PUT", "/api/v1/my/care-plan", static("/api/v1/my/care-plan", CARE_PLAN), {"person": (201, 428, 428)}),
    Row("GET", "/api/v1/my/care-plan", static("/api/v1/my/care-plan"), {"person": 404}),
    Row("GET", "/api/v1/my/meetings", static("/api/v1/my/meetings"), {"person": 200}),
    Row("POST", "/api/v1/my/meeting-requests",
        static("/api/v1/my/meeting-requests", {"kind": "interpreter", "language": "es"}), {"person": 201}),
    Row("POST", "/api/v1/my/feedback", _feedback, {"person": 202}),
    Row("GET", "/api/v1/people/{person_id}/family-goals", _family_goals, _each(CASEWORK, (200, 404, 404))),
    Row("POST", "/api/v1/my/parent-partners", _parent_partner_invite, {"person": 201}),
    Row("GET", "/api/v1/my/parent-partners", static("/api/v1/my/parent-partners"), {"person": 200}),
    # a link that is not hers (here: none at all) is a 404; her own are ended in tests/family
    Row("DELETE", "/api/v1/my/parent-partners/{link_id}", static(f"/api/v1/my/parent-partners/{uuid.uuid4()}"),
        {"person": 404}),
    # parent partners only (no staff role holds partner:view; their own tests walk what they see)
    Row("GET", "/api/v1/partner/families", static("/api/v1/partner/families"), {}),
    Row("GET", "/api/v1/partner/families/{link_id}/goals", static(f"/api/v1/partner/families/{uuid.uuid4()}/goals"),
        {}),
    Row("GET", "/api/v1/partner/families/{link_id}/meetings",
        static(f"/api/v1/partner/families/{uuid.uuid4()}/meetings"), {}),
    # last in her walk: the lock ends her session (the own, partner and unrelated calls lock it, then 401)
    Row("POST", "/api/v1/my/lock", static("/api/v1/my/lock"), {"person": (200, 401, 401)}),
]
