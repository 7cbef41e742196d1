from app.core.db import sessionmaker
from tests.factories import PASSWORD


async def test_password_login_and_me(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": actor.user.email,
                                                       "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"id": str(actor.id), "email": actor.user.email, "client_id": None,
                         "agency_id": str(agency.id), "agency_kind": "cps", "roles": ["cps_worker"]}
