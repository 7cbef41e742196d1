"""The demo seed builds a usable world once; running it again changes nothing."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.cases.models import Case
from app.core.db import sessionmaker
from app.identity.models import Agency, User
from app.referrals.models import Referral
from app.seed import DEMO_CASE_REFERENCE, seed_demo
from tests.factories import Actor, token_for


async def _counts():
    async with sessionmaker()() as s:
        return tuple([
            (await s.execute(sa.select(sa.func.count()).select_from(m))).scalar_one()
            for m in (Agency, User, Case, Referral)])


async def test_seed_is_idempotent_and_the_worked_example_is_usable(world, clock):
    """The seed, run twice, then the worked example it prints, walked from the referral to closing the case (one
    test: the demo data are made once per database)."""
    # The coming Monday, 10:00 Pacific, when Alex is on duty (close to today: the demo's dates are relative to the
    # day it was seeded).
    today = datetime.now(UTC)
    monday = (today + timedelta(days=7 - today.weekday())).replace(hour=18, minute=0, second=0, microsecond=0)
    clock.set(monday)
    logins = await seed_demo()
    assert any(email.startswith("dv.advocate@harborhouse") for email, _, _ in logins)
    first = await _counts()
    await seed_demo()
    assert await _counts() == first
    async with sessionmaker()() as s:
        user = (await s.execute(sa.select(User).where(User.email == "dv.advocate@harborhouse.example"))).scalar_one()
        agency = await s.get(Agency, user.agency_id)
        case = (await s.execute(sa.select(Case).where(Case.reference == DEMO_CASE_REFERENCE))).scalar_one()
    token = token_for(user, agency)
    advocate = Actor(user=user, agency=agency, token=token, h={"Authorization": f"Bearer {token}"})
    incoming = (await world.get(advocate, "/api/v1/referrals", params={"box": "incoming"})).json()["items"]
    mine = [r for r in incoming if r["case_id"] == str(case.id)]
    assert len(mine) == 1 and mine[0]["status"] == "sent"
    people = await world.get(advocate, f"/api/v1/referrals/{mine[0]['id']}/people")
    assert people.status_code == 200
    assert "Maria Example" in people.text  # released under her consent to Harbor House
    assert "Robert Example" not in people.text
    # The records CPS keeps about the family reach Harbor House under her consent, each with its freshness.
    maria = next(p for p in people.json()["items"] if p["released"].get("identity", {}).get("full_name")
                 == "Maria Example")
    r = await world.post(advocate, "/api/v1/disclosures", {
        "person_id": maria["person_id"], "purpose": "safety_planning",
        "categories": ["protective_orders", "court", "services", "case_status"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body["released"]) == {"protective_orders", "court", "services", "case_status"}, body["withheld"]
    assert "26-DV-01234" in r.text and body["released"]["court"]["next_hearing"] is not None
    assert [s["kind"] for s in body["released"]["services"]["services"]].count("shelter") == 1
    assert [n["category"] for n in body["released"]["services"]["notes"]] == ["services"]  # the shared note
    assert body["released"]["case_status"]["stage"] == "investigation"
    assert all(m["agency_id"] == str(case.agency_id) for m in body["released_meta"].values())
    assert "Robert Example" not in r.text  # the restrained person is named by id only

    # What the demo prints matches what can be done: first the open steps, and on a later run (the data kept)
    # what is left, never a step the referral has gone past.
    from app.seed import worked_example_state, worked_example_text

    url = f"/api/v1/referrals/{mine[0]['id']}"
    text = worked_example_text(await worked_example_state())
    assert "The referral is sent now" in text and f"{url}/acknowledge" in text and f"{url}/accept" in text
    assert (await world.post(advocate, f"{url}/acknowledge")).status_code == 200
    await seed_demo()  # the second run
    state = await worked_example_state()
    text = worked_example_text(state)
    assert state is not None and state[1] == "acknowledged" and state[2] == ["accept", "decline"]
    assert "The referral is acknowledged now" in text and f"{url}/acknowledge" not in text
    await _walk_the_rest_of_the_path(world, clock)


async def _demo_actor(email: str) -> Actor:
    async with sessionmaker()() as s:
        user = (await s.execute(sa.select(User).where(User.email == email))).scalar_one()
        agency = await s.get(Agency, user.agency_id)
    token = token_for(user, agency)
    return Actor(user=user, agency=agency, token=token, h={"Authorization": f"Bearer {token}"})


def _ok(r, status: int = 200):
    assert r.status_code == status, (r.request.method, str(r.request.url), r.text)
    return r.json() if r.content else None


async def _walk_the_rest_of_the_path(world, clock) -> None:
    """Every call the demo prints works on the demo data, in order, through HTTP, as the people it names (the
    referral has been acknowledged)."""
    from app.seed import ADVOCATE, DEMO_WORDING, WORKER, worked_example_state, worked_example_text
    from tests.checklists.helpers import CRITICAL

    w, cps, advocate = world, await _demo_actor(WORKER), await _demo_actor(ADVOCATE)
    state = await worked_example_state()
    assert state is not None and state.linked_person_id is None
    text = worked_example_text(state)
    ref_url, case_url = f"/api/v1/referrals/{state.referral_id}", f"/api/v1/cases/{state.case_id}"
    for printed in (f"{ref_url}/accept", f'"linked_person_id": "{state.survivor_id}"', f"{case_url}/close",
                    f'"office_id": "{state.office_id}"', f'"wording_version": "{DEMO_WORDING}"'):
        assert printed in text, printed

    c = _ok(await w.post(cps, "/api/v1/consultations", {
        "case_id": state.case_id, "office_id": state.office_id, "question": "How do we plan the visit?",
        "urgency": "routine"}), 201)
    assert c["advocate_id"] == str(advocate.user.id)
    tasks = _ok(await w.get(advocate, "/api/v1/tasks"))["items"]
    assert [t["kind"] for t in tasks if t["subject_id"] == c["id"]] == ["consultation_routed"]

    accepted = _ok(await w.post(advocate, f"{ref_url}/accept", {"create_records": True}))
    (theirs,) = accepted["linked_person_ids"]
    state = await worked_example_state()
    assert state is not None and state.linked_person_id == theirs
    text = worked_example_text(state)
    assert "The referral is accepted now" in text and f"{ref_url}/accept" not in text
    assert "nothing is left for Harbor House" in text
    assert f"/api/v1/people/{theirs}/consents" in text  # a later run names Harbor House's record of her

    _ok(await w.put(advocate, f"/api/v1/people/{theirs}/safety-plan-summary", {
        "exists": True, "last_reviewed_on": clock.now().date().isoformat(), "elements": [
            {"key": "school_pickup", "text": "Only her sister collects Lucia from school.", "shareable": True},
            {"key": "exchange_location", "text": "Exchanges at the police station lobby.", "shareable": False}]}),
        201)
    preview = {"recipient_agency_id": state.cps_agency_id, "purpose": "case_planning", "categories": ["safety_plan"]}
    assert _ok(await w.post(advocate, f"/api/v1/people/{theirs}/disclosure-preview", preview))["released"] == {}
    now = clock.now()
    _ok(await w.post(advocate, f"/api/v1/people/{theirs}/consents", {
        "recipient_agency_id": state.cps_agency_id, "purposes": ["case_planning"],
        "categories": [{"category": "safety_plan", "elements": ["school_pickup"]}],
        "valid_from": now.isoformat(), "signed_at": now.isoformat(),
        "expires_at": (now + timedelta(days=60)).isoformat(), "signature_method": "written",
        "risks_explained": True, "risks": ["perpetrator_access_to_records"], "language": "es",
        "wording_version": DEMO_WORDING, "witness": {"name": "Staff Witness", "role": "advocate"},
        "grantor": {"person_id": theirs, "relationship": "self"}}), 201)
    assert any(i["linked_person_id"] == state.survivor_id
               for i in _ok(await w.get(cps, "/api/v1/shared-with-us"))["items"])
    body = _ok(await w.post(cps, "/api/v1/disclosures", {
        "linked_person_id": state.survivor_id, "purpose": "case_planning", "categories": ["safety_plan"]}), 201)
    assert body["released"]["safety_plan"]["safety_plan_summary"]["elements"] == [
        {"key": "school_pickup", "text": "Only her sister collects Lucia from school."}]
    assert "police station" not in str(body)

    async def cleared(juncture: str) -> None:
        cl = _ok(await w.post(cps, f"{case_url}/checklists", {"juncture": juncture}), 201)
        for key in CRITICAL[juncture]:
            _ok(await w.patch(cps, f"/api/v1/checklists/{cl['id']}/items/{key}", {"status": "done"}))
        _ok(await w.post(cps, f"/api/v1/checklists/{cl['id']}/complete"))

    for juncture in ("family_meeting", "court"):
        await cleared(juncture)
        j = _ok(await w.post(cps, f"{case_url}/junctures", {
            "juncture": juncture, "scheduled_for": (now + timedelta(days=7)).isoformat()}), 201)
        tasks = _ok(await w.get(advocate, "/api/v1/tasks"))["items"]
        assert [t["kind"] for t in tasks if t["subject_id"] == j["id"]] == ["juncture_scheduled"]
    _ok(await w.post(cps, f"{case_url}/court-events", {
        "court_kind": "dependency", "kind": "disposition", "courtroom": "Department 7",
        "scheduled_for": (now + timedelta(days=8)).isoformat()}), 201)
    await cleared("closure")
    closed = _ok(await w.post(cps, f"{case_url}/close", {"reason": "services_completed"}))
    assert closed["case"]["status"] == "closed"
    assert sorted({e["kind"] for e in closed["still_open"]}) == ["consent", "person_link", "referral"]

    # Maria herself, as the demo prints: her login, her receipts in Spanish and her accounting, with no one
    # else's name; she revokes her consent to Harbor House, and Harbor House's next request is refused.
    from app.seed import DEMO_FAMILY_USERNAME, DEMO_PASSWORD

    assert DEMO_FAMILY_USERNAME in text
    r = await w.client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": DEMO_FAMILY_USERNAME, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    her = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = (await w.client.get("/api/v1/my", headers=her)).json()
    assert me["full_name"] == "Maria Example"
    consents = (await w.client.get("/api/v1/my/consents", headers=her)).json()["items"]
    [to_harbor] = [c for c in consents if c["recipient_agency_name"] == "Harbor House DV Program"]
    assert to_harbor["text"] == to_harbor["texts"]["es"]
    mine = (await w.client.get("/api/v1/my/disclosures", headers=her)).json()["items"]
    assert mine and all(d["person_id"] == state.survivor_id for d in mine if "person_id" in d)
    everything = str(me) + str(consents) + str(mine)
    assert "Robert" not in everything and "Lucia" not in everything
    r = await w.client.post(f"/api/v1/my/consents/{to_harbor['id']}/revoke", json={}, headers=her)
    assert r.status_code == 200 and r.json()["revoked_by_you"] is True, r.text
    r = await w.post(advocate, "/api/v1/disclosures", {
        "person_id": state.survivor_id, "purpose": "safety_planning", "categories": ["protective_orders"]})
    assert r.status_code == 201, r.text
    assert r.json()["released"] == {} and r.json()["withheld"][0]["reason"] == "consent_revoked"
