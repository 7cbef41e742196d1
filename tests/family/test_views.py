"""Her own view: consents as receipts (in her language), revoking one (the next CPS request is refused), her
accounting (with releases under a legal mandate), a preview, her safe-contact preferences; and nothing about
anyone else, no worker-only note, nothing another agency holds."""

from __future__ import annotations

from tests.consent.helpers import SECRETS, build_scene
from tests.factories import PersonActor

OTHER_PARENT = "Marco Hiddenname"
PRIVATE_NOTE = "Worker-only: she may return to him, watch closely."


async def _scene(world):
    s = await build_scene(world)
    await s.agreement()
    # the other parent in her case, a child, and a worker-only note: none of it may reach her view
    await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name=OTHER_PARENT)
    await world.person(s["advocate"], s.case["id"], case_role="child", full_name="Lucia Childname")
    r = await s.post("advocate", f"/api/v1/cases/{s.case['id']}/notes",
                     {"text": PRIVATE_NOTE, "audience": "own_agency"})
    assert r.status_code == 201, r.text
    her = await world.family(s["advocate"], s.survivor["id"])
    return s, her


async def _get(client, her: PersonActor, url: str):
    r = await client.get(url, headers=her.h)
    assert r.status_code == 200, r.text
    return r


async def test_her_consents_are_receipts_in_her_language_and_her_revocation_stops_the_next_request(client, world):
    s, her = await _scene(world)
    consent = await s.consent(categories=["identity", "contact"], purposes=["safety_planning"])
    assert (await s.disclose()).json()["released"].keys() == {"identity", "contact"}

    r = await _get(client, her, "/api/v1/my/consents")
    (receipt,) = r.json()["items"]
    assert receipt["id"] == consent["id"] and receipt["status"] == "active"
    assert receipt["recipient_agency_name"] == s.cps.name
    assert receipt["text"] == receipt["texts"]["es"]  # her record's language is Spanish
    assert s.cps.name in receipt["texts"]["en"] and "planificar su seguridad" in receipt["texts"]["es"]
    assert "how to reach you" in receipt["texts"]["en"]

    revoked = await client.post(f"/api/v1/my/consents/{consent['id']}/revoke", json={}, headers=her.h)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_by_you"] is True
    again = await client.post(f"/api/v1/my/consents/{consent['id']}/revoke", json={}, headers=her.h)
    assert again.status_code == 409

    refused = (await s.disclose()).json()
    assert refused["released"] == {}
    assert {w["reason"] for w in refused["withheld"]} == {"consent_revoked"}
    # the worker sees her revocation as hers
    worker_view = (await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")).json()["items"]
    assert worker_view[0]["status"] == "revoked"


async def test_her_accounting_shows_every_release_and_refusal_and_mandates(client, world, clock):
    from datetime import timedelta

    from app.core.clock import utcnow

    s, her = await _scene(world)
    await s.consent(categories=["identity"], purposes=["safety_planning"])
    await s.disclose(categories=["identity", "location"])
    mandate = await s.mandate(["location"], basis="statute")
    await s.warned(mandate)
    clock.set(utcnow() + timedelta(minutes=1))
    released = (await s.disclose(categories=["location"], purpose="court_proceedings")).json()
    assert released["released_basis"] == {"location": "legal_mandate"}, released

    items = (await _get(client, her, "/api/v1/my/disclosures")).json()["items"]
    assert len(items) == 2
    by_purpose = {i["purpose"]: i for i in items}
    first = by_purpose["safety_planning"]
    assert first["categories_released"] == ["identity"] and first["requester_agency_name"] == s.cps.name
    assert first["withheld"] == [{"category": "location", "reason": "category_not_consented"}]
    assert "Not shared" in first["texts"]["en"] and "No se compartió" in first["texts"]["es"]
    court = by_purpose["court_proceedings"]
    assert court["mandates"] == [{"basis": "statute", "citation": "ORS 419B.010"}]
    assert "required by a law" in court["texts"]["en"] and "una ley" in court["texts"]["es"]
    assert "requester_id" not in first and "requester_type" not in first  # no worker is named


async def test_preview_says_what_an_agency_would_receive_without_the_values(client, world):
    s, her = await _scene(world)
    await s.consent(categories=["identity", "contact"], purposes=["referral"])
    r = await client.post("/api/v1/my/preview", headers=her.h, json={
        "recipient_agency_id": str(s.cps.id), "purpose": "referral", "categories": ["identity", "location"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["category"] for c in body["released"]] == ["identity"]
    assert body["withheld"] == [{"category": "location", "reason": "category_not_consented"}]
    assert s.cps.name in body["texts"]["en"]
    for secret in SECRETS:
        assert secret not in r.text
    assert (await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/disclosures")).json()["items"] == []
    own = await client.post("/api/v1/my/preview", headers=her.h, json={
        "recipient_agency_id": str(s.dv.id), "purpose": "referral", "categories": ["identity"]})
    assert own.status_code == 422


async def test_she_sets_her_safe_contact_preferences_and_her_worker_sees_them(client, world):
    s, her = await _scene(world)
    body = {"channels": ["text"], "voicemail_ok": False, "code_word": "sunflower", "ask_if_safe_first": True}
    r = await client.put("/api/v1/my/contact-preferences", json=body, headers=her.h)
    assert r.status_code == 201, r.text
    etag = r.headers["ETag"]
    r = await client.put("/api/v1/my/contact-preferences", json={**body, "channels": ["email"]},
                         headers={**her.h, "If-Match": etag})
    assert r.status_code == 200, r.text
    worker = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/contact-preferences")
    assert worker.json()["channels"] == ["email"] and worker.json()["code_word"] == "sunflower"
    mine = await _get(client, her, "/api/v1/my/contact-preferences")
    assert mine.json()["channels"] == ["email"]


async def test_nothing_in_her_view_names_anyone_else_or_a_worker_only_note(client, world):
    s, her = await _scene(world)
    await s.consent(categories=["identity", "contact", "case_status"], purposes=["safety_planning"])
    await s.disclose(categories=["identity", "case_status"])
    texts = []
    for url in ("/api/v1/my", "/api/v1/my/consents", "/api/v1/my/disclosures", "/api/v1/my/contact-preferences"):
        r = await client.get(url, headers=her.h)
        assert r.status_code in (200, 404), r.text
        texts.append(r.text)
    r = await client.post("/api/v1/my/preview", headers=her.h, json={
        "recipient_agency_id": str(s.cps.id), "purpose": "safety_planning",
        "categories": ["identity", "case_status", "children", "safety_plan"]})
    texts.append(r.text)
    everything = "\n".join(texts)
    for hidden in (OTHER_PARENT, "Marco", "Lucia", PRIVATE_NOTE, "Test User"):  # Test User: a worker's name
        assert hidden not in everything, hidden
    # another person's consent is not hers to see or revoke
    other = await world.person(s["advocate"], s.case["id"], case_role="caregiver", full_name="Grandmother")
    theirs = await s.consent(person=other, categories=["identity"])
    r = await client.post(f"/api/v1/my/consents/{theirs['id']}/revoke", json={}, headers=her.h)
    assert r.status_code == 404
    assert theirs["id"] not in (await _get(client, her, "/api/v1/my/consents")).text


async def test_a_boolean_must_be_a_boolean_in_her_writes(client, world):
    s, her = await _scene(world)
    r = await client.put("/api/v1/my/contact-preferences", headers=her.h,
                         json={"channels": ["text"], "ask_if_safe_first": 0, "voicemail_ok": "yes"})
    assert r.status_code == 422, r.text
    assert {e["loc"][-1] for e in r.json()["errors"]} == {"ask_if_safe_first", "voicemail_ok"}
    r = await client.post("/api/v1/my/goals", json={"text": "Finish my course."}, headers=her.h)
    r = await client.patch(f"/api/v1/my/goals/{r.json()['id']}", json={"kept": 1}, headers=her.h)
    assert r.status_code == 422, r.text
