"""The demo seed builds a usable world once; running it again changes nothing."""

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


async def test_seed_is_idempotent_and_the_worked_example_is_usable(world):
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
    assert (await world.post(advocate, f"{url}/accept")).status_code == 200
    text = worked_example_text(await worked_example_state())
    assert "The referral is accepted now" in text and f"{url}/accept" not in text
    assert "nothing is left for Harbor House" in text
