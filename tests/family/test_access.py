"""A person as a principal: invitations, redeeming, logging in, her safety lock, the agency's revocation, and
the one rule that keeps her tokens inside /api/v1/my."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.factories import fresh_client

TOKEN = "/api/v1/auth/token"


async def _setup(world, role="dv_advocate", kind="dv"):
    agency = await world.agency(kind)
    worker = await world.user(agency, role)
    case = await world.case(worker)
    person = await world.person(worker, case["id"], full_name="Rosa Alvarez", language="es")
    return agency, worker, case, person


async def _redeem(client, code, username="rosa.a", passphrase="a safe passphrase 2026"):
    return await client.post("/api/v1/my/redeem", json={"code": code, "username": username,
                                                          "passphrase": passphrase})


async def test_invited_survivor_redeems_logs_in_and_sees_who_she_is(client, world, clock):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    agency, worker, _, person = await _setup(world)
    inv = await world.invite(worker, person["id"])
    assert set(inv) == {"id", "person_id", "code", "expires_at"}
    assert inv["expires_at"] == "2026-12-04T09:00:00Z"  # 72 hours
    async with fresh_client(client) as c:
        r = await _redeem(c, inv["code"].lower().replace("-", " "), username="Rosa.A")  # as she types it
    assert r.status_code == 200, r.text
    me = await client.get("/api/v1/my", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["person_id"] == person["id"] and body["full_name"] == "Rosa Alvarez" and body["kind"] == "person"
    assert body["username"] == "rosa.a" and body["agency_id"] == str(agency.id) and body["language"] == "es"
    login = await client.post(TOKEN, data={"grant_type": "password", "username": "rosa.a",
                                           "password": "a safe passphrase 2026"})
    assert login.status_code == 200, login.text
    again = await client.get("/api/v1/my", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert again.status_code == 200 and again.json()["person_id"] == person["id"]
    wrong = await client.post(TOKEN, data={"grant_type": "password", "username": "rosa.a", "password": "nope"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


async def test_only_an_adult_survivor_or_non_abusive_parent_of_ones_own_agency_is_invited(client, world):
    agency, worker, case, _ = await _setup(world)
    for fields in ({"case_role": "child", "full_name": "Kid"},
                   {"case_role": "person_using_violence", "full_name": "Him"},
                   {"case_role": "other", "full_name": "Neighbour"},
                   {"case_role": "adult_survivor", "full_name": "Young", "date_of_birth": "2015-01-01"}):
        p = await world.person(worker, case["id"], **fields)
        r = await world.post(worker, f"/api/v1/people/{p['id']}/invitations")
        assert r.status_code == 422, (fields, r.text)
        assert r.json()["errors"][0]["type"] == "not_invitable"
    parent = await world.person(worker, case["id"], case_role="caregiver", full_name="Non-abusive parent")
    assert (await world.post(worker, f"/api/v1/people/{parent['id']}/invitations")).status_code == 201
    other_agency = await world.agency("dv")
    other = await world.user(other_agency, "dv_advocate")
    assert (await world.post(other, f"/api/v1/people/{parent['id']}/invitations")).status_code == 404
    admin = await world.user(agency, "agency_admin")
    assert (await world.post(admin, f"/api/v1/people/{parent['id']}/invitations")).status_code == 403


async def test_a_code_is_single_use_and_no_oracle(client, world, clock):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    clock.set(start)
    _, worker, case, person = await _setup(world)
    used = (await world.invite(worker, person["id"]))["code"]
    other = await world.person(worker, case["id"], full_name="Second survivor")
    replaced = (await world.invite(worker, other["id"]))["code"]
    await world.invite(worker, other["id"])  # a newer invitation ends the earlier one
    third = await world.person(worker, case["id"], full_name="Third survivor")
    expiring = (await world.invite(worker, third["id"]))["code"]
    async with fresh_client(client) as c:
        assert (await _redeem(c, used, username="first")).status_code == 200
        answers = [await _redeem(c, used, username="first2"),  # used
                   await _redeem(c, replaced, username="second"),  # replaced by a newer one
                   await _redeem(c, "ABCD-EFGH-JKMN", username="third")]  # never issued
        clock.set(start + timedelta(hours=72, seconds=1))
        answers.append(await _redeem(c, expiring, username="fourth"))  # expired
    assert {a.status_code for a in answers} == {422}
    bodies = [a.json() for a in answers]
    assert all(b == bodies[0] for b in bodies), bodies
    assert bodies[0]["errors"][0]["type"] == "invitation_not_valid"


async def test_redeeming_is_rate_limited_per_address(client, world, clock):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    _, worker, _, person = await _setup(world)
    code = (await world.invite(worker, person["id"]))["code"]
    async with fresh_client(client) as c:
        for i in range(5):
            assert (await _redeem(c, f"WRNG-CODE-000{i}", username=f"guess{i}")).status_code == 422
        blocked = await _redeem(c, code, username="rightcode")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    async with fresh_client(client) as other_address:
        assert (await _redeem(other_address, code, username="rightcode")).status_code == 200


async def test_a_person_token_reaches_only_her_own_view(client, world):
    agency, worker, case, person = await _setup(world)
    her = await world.family(worker, person["id"])
    for method, url in (("GET", "/api/v1/me"), ("GET", "/api/v1/cases"), ("GET", f"/api/v1/cases/{case['id']}"),
                        ("GET", f"/api/v1/people/{person['id']}"), ("GET", f"/api/v1/people/{person['id']}/consents"),
                        ("POST", f"/api/v1/people/{person['id']}/invitations"), ("GET", "/api/v1/agencies"),
                        ("GET", "/api/v1/tasks")):
        r = await client.request(method, url, headers=her.h)
        assert r.status_code == 403, (url, r.status_code, r.text)
    assert (await client.get("/api/v1/my", headers=her.h)).status_code == 200
    assert (await world.get(worker, "/api/v1/my")).status_code == 403  # staff have no view of their own here


async def test_her_safety_lock_ends_every_session_and_she_cannot_reopen_it(client, world):
    _, worker, _, person = await _setup(world)
    her = await world.family(worker, person["id"])
    second = await client.post(TOKEN, data={"grant_type": "password", "username": her.username,
                                            "password": her.passphrase})
    other_session = {"Authorization": f"Bearer {second.json()['access_token']}"}
    r = await client.post("/api/v1/my/lock", headers=her.h)
    assert r.status_code == 200, r.text
    assert set(r.json()["message"]) >= {"en", "es"}
    assert (await client.get("/api/v1/my", headers=her.h)).status_code == 401
    assert (await client.get("/api/v1/my", headers=other_session)).status_code == 401
    login = await client.post(TOKEN, data={"grant_type": "password", "username": her.username,
                                           "password": her.passphrase})
    assert login.status_code == 400 and login.json()["error"] == "invalid_grant"
    # the agency's view of her access says who locked it
    revoked = await world.post(worker, f"/api/v1/people/{person['id']}/access/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    # only a new invitation from her agency opens it again, with new credentials
    again = await world.family(worker, person["id"], passphrase="another safe passphrase")
    assert (await client.get("/api/v1/my", headers=again.h)).status_code == 200


async def test_the_agency_revokes_her_access(client, world):
    _, worker, _, person = await _setup(world)
    her = await world.family(worker, person["id"])
    pending = (await world.invite(worker, person["id"]))["code"]
    other_agency = await world.agency("dv")
    stranger = await world.user(other_agency, "dv_supervisor")
    assert (await world.post(stranger, f"/api/v1/people/{person['id']}/access/revoke")).status_code == 404
    r = await world.post(worker, f"/api/v1/people/{person['id']}/access/revoke")
    assert r.status_code == 200, r.text
    assert r.json()["locked_by"] == "agency"
    assert (await client.get("/api/v1/my", headers=her.h)).status_code == 401
    login = await client.post(TOKEN, data={"grant_type": "password", "username": her.username,
                                           "password": her.passphrase})
    assert login.status_code == 400
    async with fresh_client(client) as c:
        assert (await _redeem(c, pending, username="after-revoke")).status_code == 422


async def test_what_she_does_is_audited_as_hers_without_her_data(client, world):
    _, worker, _, person = await _setup(world)
    her = await world.family(worker, person["id"])
    await client.get("/api/v1/my", headers=her.h)
    await client.post("/api/v1/my/lock", headers=her.h)
    async with sessionmaker()() as s:
        events = (await s.execute(sa.select(AuditEvent).where(AuditEvent.actor_type == "person"))).scalars().all()
    actions = {e.action for e in events if e.agency_id == worker.agency.id}
    assert {"family.invitation_redeemed", "family.view_read", "family.access_locked"} <= actions
    for e in events:
        assert "Rosa" not in (e.object_id or "") and her.username not in (e.actor_id or "")
