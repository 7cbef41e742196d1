"""The demo's survivor can log in to her own view and see her consents and accounting (read-only here: the
demo world is shared with the seed's own test)."""

from app.seed import DEMO_FAMILY_USERNAME, DEMO_PASSWORD, seed_demo


async def test_the_demo_survivor_logs_in_and_sees_her_receipts(client):
    logins = await seed_demo()
    assert (DEMO_FAMILY_USERNAME, DEMO_PASSWORD, "person (her own view: /api/v1/my)") in logins
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": DEMO_FAMILY_USERNAME,
                                                      "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = (await client.get("/api/v1/my", headers=h)).json()
    assert me["full_name"] == "Maria Example"
    consents = (await client.get("/api/v1/my/consents", headers=h)).json()["items"]
    assert consents and consents[0]["recipient_agency_name"] == "Harbor House DV Program"
    assert consents[0]["text"] == consents[0]["texts"]["es"]
    assert (await client.get("/api/v1/my/disclosures", headers=h)).status_code == 200
    everything = str(me) + str(consents)
    assert "Robert" not in everything and "Lucia" not in everything
