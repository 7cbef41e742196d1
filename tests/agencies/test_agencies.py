"""Agencies, offices, users and clients: who may manage what, and what another agency sees (404)."""

import uuid

import pytest


async def test_platform_admin_creates_agency_and_its_first_admin(world):
    admin = await world.admin()
    r = await world.post(admin, "/api/v1/agencies", {"name": "North DV Coalition", "kind": "dv",
                                                      "jurisdiction": "North County"})
    assert r.status_code == 201, r.text
    agency = r.json()
    assert agency["kind"] == "dv" and uuid.UUID(agency["id"])
    r = await world.post(admin, "/api/v1/users", {"email": "first.admin@north.example", "full_name": "First Admin",
                                                   "agency_id": agency["id"], "roles": ["agency_admin"],
                                                   "password": "a long enough password"})
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["agency_admin"] and "password" not in r.json()
    assert "password_hash" not in r.json()


@pytest.mark.parametrize("role", ["agency_admin", "auditor", "cps_worker", "cps_supervisor"])
async def test_only_platform_admin_creates_agencies(world, role):
    agency = await world.agency("cps")
    actor = await world.user(agency, role)
    r = await world.post(actor, "/api/v1/agencies", {"name": "X", "kind": "cps"})
    assert r.status_code == 403


@pytest.mark.parametrize("kind,role", [("dv", "cps_worker"), ("dv", "cps_supervisor"), ("cps", "dv_advocate"),
                                       ("cps", "dv_supervisor"), ("cps", "platform_admin")])
async def test_role_of_the_wrong_agency_kind_is_refused(world, kind, role):
    platform = await world.admin()
    agency = await world.agency(kind)
    r = await world.post(platform, "/api/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@t.example",
                                                      "full_name": "N", "agency_id": str(agency.id),
                                                      "roles": [role], "password": "a long enough password"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "roles"]


async def test_agency_admin_manages_only_its_own_agency(world):
    cps = await world.agency("cps")
    other = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    other_user = await world.user(other, "cps_worker")
    other_client = await world.client_app(other, "cps_worker")
    other_office = await world.office(other)
    # creating a user lands in the admin's own agency, whatever the body says elsewhere
    r = await world.post(admin, "/api/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@t.example", "full_name": "N",
                                                   "roles": ["cps_worker"], "password": "a long enough password"})
    assert r.status_code == 201 and r.json()["agency_id"] == str(cps.id)
    r = await world.post(admin, "/api/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@t.example", "full_name": "N",
                                                   "agency_id": str(other.id), "roles": ["cps_worker"],
                                                   "password": "a long enough password"})
    assert r.status_code == 404
    # another agency's user, office and client are 404
    assert (await world.get(admin, f"/api/v1/users/{other_user.id}")).status_code == 404
    assert (await world.patch(admin, f"/api/v1/users/{other_user.id}", {"full_name": "x"})).status_code == 404
    assert (await world.post(admin, f"/api/v1/users/{other_user.id}/deactivate")).status_code == 404
    assert (await world.get(admin, f"/api/v1/offices/{other_office.id}")).status_code == 404
    assert (await world.post(admin, f"/api/v1/clients/{other_client.id}/rotate-secret")).status_code == 404
    assert (await world.post(admin, f"/api/v1/agencies/{other.id}/offices",
                             {"name": "x", "timezone": "America/Chicago"})).status_code == 403
    listed = await world.get(admin, "/api/v1/users")
    assert {u["agency_id"] for u in listed.json()["items"]} == {str(cps.id)}
    clients = await world.get(admin, "/api/v1/clients")
    assert all(c["agency_id"] == str(cps.id) for c in clients.json()["items"])


async def test_offices_are_cps_offices_with_an_iana_zone(world):
    cps = await world.agency("cps")
    dv = await world.agency("dv")
    cps_admin = await world.user(cps, "agency_admin")
    dv_admin = await world.user(dv, "agency_admin")
    r = await world.post(cps_admin, f"/api/v1/agencies/{cps.id}/offices", {"name": "East", "timezone": "America/Chicago"})
    assert r.status_code == 201 and r.json()["timezone"] == "America/Chicago"
    bad = await world.post(cps_admin, f"/api/v1/agencies/{cps.id}/offices", {"name": "East", "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "timezone"]
    r = await world.post(dv_admin, f"/api/v1/agencies/{dv.id}/offices", {"name": "x", "timezone": "America/Chicago"})
    assert r.status_code == 422
    listed = await world.get(cps_admin, f"/api/v1/agencies/{cps.id}/offices")
    assert [o["name"] for o in listed.json()["items"]] == ["East"]


async def test_admin_roles_read_no_case_data(world):
    cps = await world.agency("cps")
    for role in ("agency_admin", "auditor"):
        actor = await world.user(cps, role)
        assert (await world.get(actor, "/api/v1/cases")).status_code == 403
    platform = await world.admin()
    assert (await world.get(platform, "/api/v1/cases")).status_code == 403


async def test_role_change_ends_old_tokens(world):
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    worker = await world.user(cps, "cps_worker")
    r = await world.patch(admin, f"/api/v1/users/{worker.id}", {"roles": ["cps_supervisor"]})
    assert r.status_code == 200 and r.json()["roles"] == ["cps_supervisor"]
    assert (await world.get(worker, "/api/v1/me")).status_code == 401


async def test_user_sees_self_but_workers_do_not_list_users(world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    peer = await world.user(cps, "cps_worker")
    assert (await world.get(worker, f"/api/v1/users/{worker.id}")).status_code == 200
    assert (await world.get(worker, f"/api/v1/users/{peer.id}")).status_code == 404
    assert (await world.get(worker, "/api/v1/users")).status_code == 403


async def test_update_schema_cannot_move_a_user_to_another_agency(world):
    cps = await world.agency("cps")
    other = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    worker = await world.user(cps, "cps_worker")
    r = await world.patch(admin, f"/api/v1/users/{worker.id}", {"agency_id": str(other.id)})
    assert r.status_code == 422
    assert (await world.get(admin, f"/api/v1/users/{worker.id}")).json()["agency_id"] == str(cps.id)


async def test_duplicate_email_is_409_and_writes_nothing(world):
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    body = {"email": f"dup-{uuid.uuid4().hex[:6]}@t.example", "full_name": "N", "roles": ["cps_worker"],
            "password": "a long enough password"}
    assert (await world.post(admin, "/api/v1/users", body)).status_code == 201
    assert (await world.post(admin, "/api/v1/users", {**body, "email": body["email"].upper()})).status_code == 409
