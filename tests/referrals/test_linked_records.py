"""Accepting a referral with linked records: the receiving agency's own case and person records made from what
the disclosure rule releases (never more, accounted for), the links between the records, disclosures about the
other agency's linked record by one's own person id, and ending a link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.referrals.scene import SURVIVOR_NAME, SURVIVOR_PHONE, Scene, build_scene, uid

ADDRESS = {"line1": "3 Elm Street", "line2": None, "city": "Springfield", "region": "IL", "postal_code": "62701",
           "country": "US", "kind": "actual"}
INSTRUCTIONS = "Text only, never call after 6pm."


async def _scene(world: Any, categories: list[str] | None = None) -> Scene:
    """Both agencies with an agreement; the survivor has an address, race/ethnicity and safe-contact
    instructions on file; her referral consent names `categories` (default: identity, contact, services)."""
    s = await build_scene(world, consent=False)
    r = await world.patch(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}",
                          {"address": ADDRESS, "race_ethnicity": ["white"],
                           "safe_contact_instructions": INSTRUCTIONS, "date_of_birth": "1990-02-03",
                           "language": "es"})
    assert r.status_code == 200, r.text
    await s.consent(s.survivor, categories=categories)
    return s


async def _accept(s: Scene, body: Any = None, state: str = "acknowledged") -> dict[str, Any]:
    ref = await s.referral(state)
    r = await s.world.post(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}/accept", body)
    assert r.status_code == 200, r.text
    return r.json()


async def _consent_from_dv(s: Scene, person_id: str, categories: list[str]) -> None:
    """The DV agency records its client's consent to CPS for service coordination."""
    now = utcnow()
    r = await s.world.post(s["dv_advocate"], f"/api/v1/people/{person_id}/consents", {
        "recipient_agency_id": str(s.cps.id), "purposes": ["service_coordination"], "categories": categories,
        "valid_from": (now - timedelta(days=1)).isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
        "signed_at": (now - timedelta(days=1)).isoformat(), "signature_method": "written",
        "risks_explained": True, "language": "en", "grantor": {"person_id": person_id, "relationship": "self"}})
    assert r.status_code == 201, r.text


async def test_accept_creates_records_from_what_is_released_and_nothing_more(client, world):
    s = await _scene(world)  # consent: identity, contact, services; location not consented
    ref = await _accept(s, {"create_records": True})
    assert ref["status"] == "accepted"
    assert ref["linked_case_id"] is not None and len(ref["linked_person_ids"]) == 1
    new_id = ref["linked_person_ids"][0]

    # The new case is the DV agency's own; the accepting advocate is on its team.
    r = await world.get(s["dv_advocate"], f"/api/v1/cases/{ref['linked_case_id']}")
    assert r.status_code == 200 and r.json()["agency_id"] == str(s.dv.id)
    r = await world.get(s["dv_advocate"], f"/api/v1/cases/{ref['linked_case_id']}/team")
    assert [m["user_id"] for m in r.json()["items"]] == [str(s["dv_advocate"].id)]

    # The person record holds exactly what was released: identity and contact, no address (location was not
    # consented), no race/ethnicity (never released about one person).
    r = await world.get(s["dv_advocate"], f"/api/v1/people/{new_id}")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["agency_id"] == str(s.dv.id) and p["case_id"] == ref["linked_case_id"]
    assert (p["full_name"], p["case_role"], p["date_of_birth"], p["language"]) == (
        SURVIVOR_NAME, "adult_survivor", "1990-02-03", "es")
    assert p["contact"]["phone"] == SURVIVOR_PHONE
    assert p["safe_contact_instructions"] == INSTRUCTIONS
    assert p["address"] is None
    assert p["race_ethnicity"] == []

    # The release is accounted for in the CPS agency's accounting like any other.
    r = await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/disclosures")
    rows = [d for d in r.json()["items"] if d["categories_requested"] == ["identity", "contact", "location"]]
    assert len(rows) == 1
    row = rows[0]
    assert row["requester_agency_id"] == str(s.dv.id) and row["purpose"] == "referral"
    assert row["context"] == {"referral_id": ref["id"]}
    assert row["categories_released"] == ["identity", "contact"]
    assert row["withheld"] == [{"category": "location", "reason": "category_not_consented"}]

    # The links: only the receiving side reads the linked ids on the referral.
    r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["linked_case_id"] is None and r.json()["linked_person_ids"] == []
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["linked_case_id"] == ref["linked_case_id"] and r.json()["linked_person_ids"] == [new_id]


async def test_a_consent_without_contact_creates_no_contact(client, world):
    s = await _scene(world, categories=["identity", "services"])
    ref = await _accept(s, {"create_records": True})
    r = await world.get(s["dv_advocate"], f"/api/v1/people/{ref['linked_person_ids'][0]}")
    p = r.json()
    assert p["full_name"] == SURVIVOR_NAME
    assert p["contact"] is None and p["safe_contact_instructions"] is None and p["address"] is None
    assert SURVIVOR_PHONE not in r.text and INSTRUCTIONS not in r.text


async def test_a_person_whose_identity_is_withheld_gets_no_record(client, world):
    s = await _scene(world, categories=["contact", "services"])
    ref = await _accept(s, {"create_records": True})
    assert ref["linked_case_id"] is not None and ref["linked_person_ids"] == []
    r = await world.get(s["dv_advocate"], f"/api/v1/cases/{ref['linked_case_id']}/people")
    assert r.json()["items"] == []


async def test_accept_without_body_or_false_creates_nothing(client, world):
    s = await _scene(world)
    for body in (None, {"create_records": False}):
        ref = await _accept(s, body)
        assert ref["linked_case_id"] is None and ref["linked_person_ids"] == []
    r = await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/links")
    assert r.json()["items"] == []
    r = await world.post(s["dv_advocate"], "/api/v1/referrals/" + ref["id"] + "/accept", {"create_records": "x"})
    assert r.status_code in (409, 422)


async def test_links_listed_for_both_sides_and_no_one_else(client, world):
    s = await _scene(world)
    ref = await _accept(s, {"create_records": True})
    new_id = ref["linked_person_ids"][0]

    r = await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/links")
    assert r.status_code == 200
    (cps_side,) = r.json()["items"]
    assert cps_side["linked_agency_id"] == str(s.dv.id) and cps_side["linked_person_id"] == new_id
    r = await world.get(s["dv_advocate"], f"/api/v1/people/{new_id}/links")
    (dv_side,) = r.json()["items"]
    assert dv_side["id"] == cps_side["id"]
    assert dv_side["linked_agency_id"] == str(s.cps.id) and dv_side["linked_person_id"] == s.survivor["id"]
    assert SURVIVOR_NAME not in r.text

    # Another agency's person: 404, for the partner as for a third agency.
    assert (await world.get(s["dv_advocate"], f"/api/v1/people/{s.survivor['id']}/links")).status_code == 404
    assert (await world.get(s["cps_worker"], f"/api/v1/people/{new_id}/links")).status_code == 404
    assert (await world.get(s["other_advocate"], f"/api/v1/people/{new_id}/links")).status_code == 404
    assert (await world.delete(s["other_advocate"], f"/api/v1/person-links/{dv_side['id']}")).status_code == 404


async def test_disclosure_by_linked_person_under_her_consent_and_refused_without(client, world):
    s = await _scene(world)
    ref = await _accept(s, {"create_records": True})
    new_id = ref["linked_person_ids"][0]
    ask = {"linked_person_id": s.survivor["id"], "purpose": "service_coordination",
           "categories": ["identity", "contact"]}

    # CPS asks about the DV agency's record by its own person id: linked, but she has not consented.
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", ask)
    assert r.status_code == 201, r.text
    assert r.json()["person_id"] == new_id and r.json()["released"] == {}
    assert {w["reason"] for w in r.json()["withheld"]} == {"no_consent"}

    # With her consent, recorded by the DV agency, it is released.
    await _consent_from_dv(s, new_id, ["identity"])
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", ask)
    assert r.status_code == 201
    body = r.json()
    assert body["released"]["identity"]["full_name"] == SURVIVOR_NAME
    assert body["released_basis"] == {"identity": "consent"}
    assert body["withheld"] == [{"category": "contact", "reason": "category_not_consented"}]
    # The DV agency's accounting names the link the request came through.
    r = await world.get(s["dv_advocate"], f"/api/v1/people/{new_id}/disclosures")
    link_id = (await world.get(s["dv_advocate"], f"/api/v1/people/{new_id}/links")).json()["items"][0]["id"]
    assert [d["context"] for d in r.json()["items"] if d["requester_agency_id"] == str(s.cps.id)] == [
        {"person_link_id": link_id}] * 2

    # The other way: the DV advocate asks about the CPS record by her own person id (the referral consent).
    r = await world.post(s["dv_advocate"], "/api/v1/disclosures",
                         {"linked_person_id": new_id, "purpose": "referral", "categories": ["identity"]})
    assert r.status_code == 201 and r.json()["person_id"] == s.survivor["id"]
    assert r.json()["released"]["identity"]["full_name"] == SURVIVOR_NAME

    # Exactly one of person_id and linked_person_id; a person one may not see, or with no link: 404.
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", {**ask, "person_id": new_id})
    assert r.status_code == 422
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", {**ask, "linked_person_id": new_id})
    assert r.status_code == 404
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", {**ask, "linked_person_id": s.child["id"]})
    assert r.status_code == 404


async def test_ending_a_link(client, world):
    s = await _scene(world)
    ref = await _accept(s, {"create_records": True})
    new_id = ref["linked_person_ids"][0]
    await _consent_from_dv(s, new_id, ["identity"])
    link_id = (await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/links")).json()["items"][0]["id"]
    ask = {"linked_person_id": s.survivor["id"], "purpose": "service_coordination", "categories": ["identity"]}
    assert (await world.post(s["cps_worker"], "/api/v1/disclosures", ask)).status_code == 201

    # Either side ends it: here the DV agency.
    r = await world.delete(s["dv_advocate"], f"/api/v1/person-links/{link_id}")
    assert r.status_code == 204
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", ask)
    assert r.status_code == 404 and SURVIVOR_NAME not in r.text
    for actor, pid in (("cps_worker", s.survivor["id"]), ("dv_advocate", new_id)):
        assert (await world.get(s[actor], f"/api/v1/people/{pid}/links")).json()["items"] == []
    assert (await world.delete(s["cps_worker"], f"/api/v1/person-links/{link_id}")).status_code == 404
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["linked_person_ids"] == [] and r.json()["linked_case_id"] == ref["linked_case_id"]

    # Ending it is audited in both agencies' trails.
    async with sessionmaker()() as db:
        rows = (await db.execute(sa.select(AuditEvent.agency_id).where(
            AuditEvent.action == "person_link.end", AuditEvent.object_id == str(link_id)))).scalars().all()
    assert {str(a) for a in rows} == {str(s.cps.id), str(s.dv.id)}


async def test_a_person_link_alone_links_the_agency_for_the_rule(client, world):
    """The DV agency's record is linked to the CPS agency by the person link (nothing else names CPS): CPS may
    ask about it by its id (withheld without consent, not 404); once the link is ended it is 404 again."""
    s = await _scene(world)
    ref = await _accept(s, {"create_records": True})
    new_id = ref["linked_person_ids"][0]
    ask = {"person_id": new_id, "purpose": "service_coordination", "categories": ["identity"]}
    r = await world.post(s["cps_worker"], "/api/v1/disclosures", ask)
    assert r.status_code == 201 and r.json()["withheld"] == [{"category": "identity", "reason": "no_consent"}]
    link_id = (await world.get(s["dv_advocate"], f"/api/v1/people/{new_id}/links")).json()["items"][0]["id"]
    assert (await world.delete(s["cps_worker"], f"/api/v1/person-links/{link_id}")).status_code == 204
    assert (await world.post(s["cps_worker"], "/api/v1/disclosures", ask)).status_code == 404
    assert uid(new_id)


async def test_shared_with_us_names_the_recipients_own_linked_record(client, world):
    """The consent CPS recorded names the DV agency; once the DV agency holds its own linked record of her,
    `GET /shared-with-us` names that record (its own id) beside the holding agency's, and no name."""
    s = await _scene(world)
    before = (await world.get(s["dv_advocate"], "/api/v1/shared-with-us")).json()["items"]
    assert [i["linked_person_id"] for i in before if i["person_id"] == s.survivor["id"]] == [None]
    ref = await _accept(s, {"create_records": True})
    r = await world.get(s["dv_advocate"], "/api/v1/shared-with-us")
    assert r.status_code == 200, r.text
    mine = [i for i in r.json()["items"] if i["person_id"] == s.survivor["id"]]
    assert [i["linked_person_id"] for i in mine] == ref["linked_person_ids"]
    assert SURVIVOR_NAME not in r.text
