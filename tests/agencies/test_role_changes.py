"""Role changes: nobody changes their own roles, and mixing admin and casework roles takes a second admin."""

import uuid

import pytest

from app.core.db import sessionmaker

PROBLEM = "application/problem+json"


async def _roles(world, actor, user):
    r = await world.get(actor, f"/api/v1/users/{user.id}")
    assert r.status_code == 200, r.text
    return sorted(r.json()["roles"])


async def _audit(world, reader, object_id):
    r = await world.get(reader, "/api/v1/audit-events", params={"object_id": str(object_id), "limit": 200})
    assert r.status_code == 200, r.text
    return r.json()["items"]


@pytest.mark.parametrize("roles", [["agency_admin", "cps_worker"], ["agency_admin"], ["auditor"]])
async def test_nobody_changes_their_own_roles(world, roles):
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    r = await world.patch(admin, f"/api/v1/users/{admin.id}", {"roles": roles})
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert await _roles(world, admin, admin) == ["agency_admin"]
    assert (await world.get(admin, "/api/v1/me")).status_code == 200  # nothing changed, not even the token
    # other fields of one's own record stay editable
    assert (await world.patch(admin, f"/api/v1/users/{admin.id}", {"full_name": "New Name"})).status_code == 200


async def test_a_platform_admin_does_not_change_its_own_roles_either(world):
    platform = await world.admin()
    r = await world.patch(platform, f"/api/v1/users/{platform.id}", {"roles": ["platform_admin"]})
    assert r.status_code == 403


async def test_an_admin_granting_casework_to_another_admin_needs_a_second_admin(world):
    cps = await world.agency("cps")
    first = await world.user(cps, "agency_admin")
    partner = await world.user(cps, "agency_admin")
    second = await world.user(cps, "agency_admin")
    r = await world.patch(first, f"/api/v1/users/{partner.id}", {"roles": ["agency_admin", "cps_worker"]})
    assert r.status_code == 202, r.text
    change = r.json()
    assert change["status"] == "pending" and change["user_id"] == str(partner.id)
    assert sorted(change["roles_after"]) == ["agency_admin", "cps_worker"]
    assert change["roles_before"] == ["agency_admin"]
    assert r.headers["location"] == f"/api/v1/role-changes/{change['id']}"
    # nothing is granted yet: the partner still reads no case data and keeps a working token
    assert await _roles(world, first, partner) == ["agency_admin"]
    assert (await world.get(partner, "/api/v1/cases")).status_code == 403
    listed = await world.get(second, "/api/v1/role-changes", params={"status": "pending"})
    assert [c["id"] for c in listed.json()["items"]] == [change["id"]]
    # neither the requester nor the admin it concerns approves it
    for who in (first, partner):
        r = await world.post(who, f"/api/v1/role-changes/{change['id']}/approve")
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
    assert await _roles(world, first, partner) == ["agency_admin"]
    r = await world.post(second, f"/api/v1/role-changes/{change['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == f"user:{second.id}"
    assert await _roles(world, second, partner) == ["agency_admin", "cps_worker"]
    assert (await world.get(partner, "/api/v1/me")).status_code == 401  # tokens with the old roles end
    again = await world.post(second, f"/api/v1/role-changes/{change['id']}/approve")
    assert again.status_code == 409
    # the request, the approval and the change itself are in the trail, without personal data
    trail = await _audit(world, second, change["id"]) + await _audit(world, second, partner.id)
    actions = {e["action"] for e in trail}
    assert {"role_change.request", "role_change.approve", "user.roles_change"} <= actions
    text = str(trail)
    assert partner.user.email not in text and "Test User" not in text


async def test_an_admin_cannot_grant_itself_casework_through_a_fellow_admin(world):
    """Two admins trading grants: each grant still waits for a third admin (or a platform admin)."""
    dv = await world.agency("dv")
    a = await world.user(dv, "agency_admin")
    b = await world.user(dv, "agency_admin")
    ra = await world.patch(b, f"/api/v1/users/{a.id}", {"roles": ["agency_admin", "dv_advocate"]})
    assert ra.status_code == 202
    assert (await world.post(a, f"/api/v1/role-changes/{ra.json()['id']}/approve")).status_code == 403
    assert await _roles(world, b, a) == ["agency_admin"]


async def test_making_a_caseworker_an_admin_needs_approval_and_can_be_rejected(world):
    cps = await world.agency("cps")
    first = await world.user(cps, "agency_admin")
    second = await world.user(cps, "agency_admin")
    worker = await world.user(cps, "cps_supervisor")
    r = await world.patch(first, f"/api/v1/users/{worker.id}", {"roles": ["cps_supervisor", "agency_admin"]})
    assert r.status_code == 202, r.text
    change_id = r.json()["id"]
    # one pending change per user at a time
    r = await world.patch(first, f"/api/v1/users/{worker.id}", {"roles": ["cps_worker", "agency_admin"]})
    assert r.status_code == 409
    r = await world.post(second, f"/api/v1/role-changes/{change_id}/reject")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert await _roles(world, first, worker) == ["cps_supervisor"]
    assert (await world.get(worker, "/api/v1/me")).status_code == 200
    assert (await world.post(second, f"/api/v1/role-changes/{change_id}/approve")).status_code == 409
    actions = {e["action"] for e in await _audit(world, second, change_id)}
    assert {"role_change.request", "role_change.reject"} <= actions


async def test_a_platform_admin_changes_roles_at_once_and_may_approve(world):
    cps = await world.agency("cps")
    platform = await world.admin()
    admin = await world.user(cps, "agency_admin")
    other_admin = await world.user(cps, "agency_admin")
    r = await world.patch(platform, f"/api/v1/users/{other_admin.id}", {"roles": ["agency_admin", "cps_worker"]})
    assert r.status_code == 200 and sorted(r.json()["roles"]) == ["agency_admin", "cps_worker"]
    actions = {e["action"] for e in await _audit(world, admin, other_admin.id)}
    assert "user.roles_change" in actions
    third = await world.user(cps, "agency_admin")
    pending = await world.patch(admin, f"/api/v1/users/{third.id}", {"roles": ["agency_admin", "cps_worker"]})
    assert pending.status_code == 202
    r = await world.post(platform, f"/api/v1/role-changes/{pending.json()['id']}/approve")
    assert r.status_code == 200
    assert await _roles(world, admin, third) == ["agency_admin", "cps_worker"]


async def test_ordinary_role_changes_still_apply_at_once(world):
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    worker = await world.user(cps, "cps_worker")
    r = await world.patch(admin, f"/api/v1/users/{worker.id}", {"roles": ["cps_supervisor"]})
    assert r.status_code == 200 and r.json()["roles"] == ["cps_supervisor"]
    r = await world.patch(admin, f"/api/v1/users/{worker.id}", {"roles": ["auditor"]})
    assert r.status_code == 200 and r.json()["roles"] == ["auditor"]
    assert "user.roles_change" in {e["action"] for e in await _audit(world, admin, worker.id)}


async def test_a_stale_request_is_not_applied(world):
    cps = await world.agency("cps")
    platform = await world.admin()
    first = await world.user(cps, "agency_admin")
    second = await world.user(cps, "agency_admin")
    target = await world.user(cps, "agency_admin")
    r = await world.patch(first, f"/api/v1/users/{target.id}", {"roles": ["agency_admin", "cps_worker"]})
    assert r.status_code == 202
    # meanwhile a platform admin set other roles
    assert (await world.patch(platform, f"/api/v1/users/{target.id}", {"roles": ["auditor"]})).status_code == 200
    r = await world.post(second, f"/api/v1/role-changes/{r.json()['id']}/approve")
    assert r.status_code == 409, r.text
    assert await _roles(world, second, target) == ["auditor"]


async def test_another_agency_neither_sees_nor_decides_role_changes(world):
    cps = await world.agency("cps")
    other = await world.agency("cps")
    first = await world.user(cps, "agency_admin")
    target = await world.user(cps, "agency_admin")
    outsider = await world.user(other, "agency_admin")
    r = await world.patch(first, f"/api/v1/users/{target.id}", {"roles": ["agency_admin", "cps_worker"]})
    change_id = r.json()["id"]
    assert (await world.get(outsider, f"/api/v1/role-changes/{change_id}")).status_code == 404
    assert (await world.post(outsider, f"/api/v1/role-changes/{change_id}/approve")).status_code == 404
    assert (await world.post(outsider, f"/api/v1/role-changes/{change_id}/reject")).status_code == 404
    assert (await world.get(outsider, "/api/v1/role-changes")).json()["items"] == []
    assert (await world.get(first, f"/api/v1/role-changes/{uuid.uuid4()}")).status_code == 404
    worker = await world.user(cps, "cps_supervisor")
    assert (await world.get(worker, "/api/v1/role-changes")).status_code == 403
    r = await world.get(first, "/api/v1/role-changes", params={"status": "bogus"})
    assert r.status_code == 422


async def test_a_failed_approval_changes_nothing(world):
    """The approval and the role change are one write: an approval that cannot apply leaves both as they were."""
    from app.identity.models import RoleChange

    dv = await world.agency("dv")
    first = await world.user(dv, "agency_admin")
    second = await world.user(dv, "agency_admin")
    target = await world.user(dv, "agency_admin")
    r = await world.patch(first, f"/api/v1/users/{target.id}", {"roles": ["agency_admin", "dv_supervisor"]})
    change_id = r.json()["id"]
    assert (await world.post(second, f"/api/v1/users/{target.id}/deactivate")).status_code == 200
    r = await world.post(second, f"/api/v1/role-changes/{change_id}/approve")
    assert r.status_code == 409
    async with sessionmaker()() as s:
        change = await s.get(RoleChange, uuid.UUID(change_id))
        assert change.status == "pending" and change.decided_by is None


async def test_an_admin_creates_no_account_that_is_both_admin_and_caseworker(world):
    """Creating an account is granting its roles: admin plus casework in one new account takes a platform admin
    (or a plain account first, then a role change a second admin approves)."""
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    email = f"mixed-{uuid.uuid4().hex[:6]}@t.example"
    body = {"email": email, "full_name": "N", "roles": ["agency_admin", "cps_supervisor"],
            "password": "a long enough password"}
    r = await world.post(admin, "/api/v1/users", body)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    listed = (await world.get(admin, "/api/v1/users", params={"limit": 200})).json()["items"]
    assert email not in {u["email"] for u in listed}
    platform = await world.admin()
    r = await world.post(platform, "/api/v1/users", {**body, "agency_id": str(cps.id)})
    assert r.status_code == 201
