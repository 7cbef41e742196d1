"""Cases: ownership, visibility by team and supervision, offices, filters, ETag/If-Match, the case team."""

from __future__ import annotations

import uuid

from app.cases.models import Case, CaseTeamMember
from tests.cases.helpers import audit_actions, count, uid


async def test_creator_owns_case_and_joins_its_team(client, world):
    cps = await world.agency("cps")
    office = await world.office(cps)
    worker = await world.user(cps, "cps_worker")
    r = await world.post(worker, "/api/v1/cases", {"reference": "2026-CPS-1", "dv_indicators": ["allegation"],
                                                   "office_id": str(office.id)})
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["agency_id"] == str(cps.id)
    assert case["reference"] == "2026-CPS-1"
    assert case["dv_indicators"] == ["allegation"]
    assert case["office_id"] == str(office.id)
    assert case["status"] == "open"

    r = await world.get(worker, f"/api/v1/cases/{case['id']}")
    assert r.status_code == 200
    assert r.headers["etag"]
    r = await world.get(worker, f"/api/v1/cases/{case['id']}/team")
    assert [m["user_id"] for m in r.json()["items"]] == [str(worker.id)]
    assert await audit_actions(case["id"]) == ["case.create"]


async def test_other_agency_and_off_team_staff_get_404_supervisor_sees(client, world):
    dv = await world.agency("dv")
    cps = await world.agency("cps")
    advocate = await world.user(dv, "dv_advocate")
    colleague = await world.user(dv, "dv_advocate")
    supervisor = await world.user(dv, "dv_supervisor")
    cps_worker = await world.user(cps, "cps_worker")
    cps_supervisor = await world.user(cps, "cps_supervisor")
    case = await world.case(advocate, dv_indicators=["survivor_disclosure"])
    person = await world.person(advocate, case["id"], address={"line1": "12 Hidden Lane", "kind": "actual"})

    for outsider in (cps_worker, cps_supervisor, colleague):
        assert (await world.get(outsider, f"/api/v1/cases/{case['id']}")).status_code == 404
        assert (await world.get(outsider, f"/api/v1/people/{person['id']}")).status_code == 404
        assert (await world.get(outsider, f"/api/v1/cases/{case['id']}/people")).status_code == 404
        assert (await world.patch(outsider, f"/api/v1/cases/{case['id']}", {"reference": "x"})).status_code == 404
        listed = (await world.get(outsider, "/api/v1/cases")).json()["items"]
        assert case["id"] not in [c["id"] for c in listed]
    r = await world.get(cps_worker, f"/api/v1/people/{person['id']}")
    assert "Hidden Lane" not in r.text

    assert (await world.get(supervisor, f"/api/v1/cases/{case['id']}")).status_code == 200
    assert (await world.get(supervisor, f"/api/v1/people/{person['id']}")).status_code == 200
    assert case["id"] in [c["id"] for c in (await world.get(supervisor, "/api/v1/cases")).json()["items"]]

    # Put the colleague on the team: she sees it; take her off: 404 again on the next request.
    r = await world.post(supervisor, f"/api/v1/cases/{case['id']}/team/{colleague.id}")
    assert r.status_code == 201, r.text
    assert (await world.get(colleague, f"/api/v1/people/{person['id']}")).status_code == 200
    r = await world.delete(supervisor, f"/api/v1/cases/{case['id']}/team/{colleague.id}")
    assert r.status_code == 204
    assert (await world.get(colleague, f"/api/v1/cases/{case['id']}")).status_code == 404


async def test_admin_roles_see_no_case_data(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    case = await world.case(worker)
    for roles in (("agency_admin",), ("auditor",)):
        admin = await world.user(cps, *roles)
        assert (await world.get(admin, "/api/v1/cases")).status_code == 403
        assert (await world.get(admin, f"/api/v1/cases/{case['id']}")).status_code == 403
        assert (await world.post(admin, "/api/v1/cases", {"reference": "A"})).status_code == 403
    platform = await world.admin()
    assert (await world.get(platform, f"/api/v1/cases/{case['id']}")).status_code == 403


async def test_office_must_belong_to_own_agency(client, world):
    cps = await world.agency("cps")
    other = await world.agency("cps")
    own_office = await world.office(cps)
    foreign_office = await world.office(other)
    worker = await world.user(cps, "cps_worker")
    ref = f"R-{uuid.uuid4().hex[:6]}"
    r = await world.post(worker, "/api/v1/cases", {"reference": ref, "office_id": str(foreign_office.id)})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["body", "office_id"]
    assert await count(Case, Case.reference == ref) == 0

    case = await world.case(worker, office_id=str(own_office.id))
    r = await world.patch(worker, f"/api/v1/cases/{case['id']}", {"office_id": str(foreign_office.id)})
    assert r.status_code == 422
    r = await world.patch(worker, f"/api/v1/cases/{case['id']}", {"office_id": None})
    assert r.status_code == 200 and r.json()["office_id"] is None


async def test_bad_case_input_is_422_and_writes_nothing(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    ref = f"B-{uuid.uuid4().hex[:6]}"
    bad = [
        {"reference": ref, "dv_indicators": ["jealousy"]},
        {"reference": ref, "dv_indicators": ["allegation", "allegation"]},
        {"reference": ref, "agency_id": str(uuid.uuid4())},
        {"reference": ""},
        {"reference": ref, "office_id": "not-a-uuid"},
        {},
    ]
    for body in bad:
        r = await world.post(worker, "/api/v1/cases", body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"]
    assert await count(Case, Case.agency_id == cps.id) == 0
    r = await world.get(worker, "/api/v1/cases?cursor=garbage")
    assert r.status_code == 422


async def test_patch_uses_if_match_and_forbids_ownership_fields(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    case = await world.case(worker)
    url = f"/api/v1/cases/{case['id']}"
    etag = (await world.get(worker, url)).headers["etag"]

    r = await world.patch(worker, url, {"dv_indicators": ["safety_threat", "protective_order"]},
                          headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["dv_indicators"] == ["safety_threat", "protective_order"]
    new_etag = r.headers["etag"]
    assert new_etag != etag

    r = await world.patch(worker, url, {"reference": "stale"}, headers={"If-Match": etag})
    assert r.status_code == 412
    r = await world.patch(worker, url, {"agency_id": str(uuid.uuid4())})
    assert r.status_code == 422
    r = await world.patch(worker, url, {"reference": None})
    assert r.status_code == 422
    r = await world.patch(worker, url, {"dv_indicators": ["allegation"]}, headers={"If-Match": new_etag})
    assert r.status_code == 200 and r.json()["dv_indicators"] == ["allegation"]
    assert await audit_actions(case["id"]) == ["case.create", "case.update", "case.update"]


async def test_list_filters_and_keyset_pagination(client, world):
    cps = await world.agency("cps")
    office = await world.office(cps)
    supervisor = await world.user(cps, "cps_supervisor")
    a = await world.case(supervisor, reference="F-1", dv_indicators=["allegation"], office_id=str(office.id))
    b = await world.case(supervisor, reference="F-2")
    c = await world.case(supervisor, reference="F-3", dv_indicators=["risk_factor"])

    async def ids(query: str) -> list[str]:
        r = await world.get(supervisor, f"/api/v1/cases{query}")
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert await ids("") == [c["id"], b["id"], a["id"]]
    assert await ids("?reference=F-2") == [b["id"]]
    assert await ids(f"?office_id={office.id}") == [a["id"]]
    assert await ids("?has_dv=true") == [c["id"], a["id"]]
    assert await ids("?has_dv=false") == [b["id"]]

    seen, cursor = [], None
    while True:
        r = await world.get(supervisor, "/api/v1/cases?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        body = r.json()
        seen += [x["id"] for x in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [c["id"], b["id"], a["id"]]


async def test_case_create_is_idempotent(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    h = {"Idempotency-Key": "case-create-1"}
    r1 = await world.post(worker, "/api/v1/cases", {"reference": "I-1"}, headers=h)
    r2 = await world.post(worker, "/api/v1/cases", {"reference": "I-1"}, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"]
    r3 = await world.post(worker, "/api/v1/cases", {"reference": "I-2"}, headers=h)
    assert r3.status_code == 422
    assert await count(Case, Case.agency_id == cps.id) == 1


async def test_team_membership_rules(client, world):
    cps = await world.agency("cps")
    dv = await world.agency("dv")
    supervisor = await world.user(cps, "cps_supervisor")
    worker = await world.user(cps, "cps_worker")
    other_worker = await world.user(cps, "cps_worker")
    admin = await world.user(cps, "agency_admin")
    advocate = await world.user(dv, "dv_advocate")
    case = await world.case(supervisor)
    team = f"/api/v1/cases/{case['id']}/team"

    assert (await world.post(supervisor, f"{team}/{advocate.id}")).status_code == 404  # another agency's user
    assert (await world.post(supervisor, f"{team}/{uuid.uuid4()}")).status_code == 404
    r = await world.post(supervisor, f"{team}/{admin.id}")
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "not_casework_role"

    r = await world.post(supervisor, f"{team}/{worker.id}")
    assert r.status_code == 201
    assert r.json()["user_id"] == str(worker.id)
    assert (await world.post(supervisor, f"{team}/{worker.id}")).status_code == 200  # already on it
    assert await count(CaseTeamMember, CaseTeamMember.case_id == uid(case["id"])) == 2

    # A worker on the team sees the case but cannot manage its team.
    assert (await world.get(worker, f"/api/v1/cases/{case['id']}")).status_code == 200
    assert (await world.post(worker, f"{team}/{other_worker.id}")).status_code == 403
    assert (await world.delete(worker, f"{team}/{supervisor.id}")).status_code == 403
    # The DV advocate cannot even learn the case exists.
    assert (await world.get(advocate, team)).status_code == 404

    assert (await world.delete(supervisor, f"{team}/{other_worker.id}")).status_code == 404
    assert (await world.delete(supervisor, f"{team}/{worker.id}")).status_code == 204
    members = (await world.get(supervisor, team)).json()["items"]
    assert [m["user_id"] for m in members] == [str(supervisor.id)]
    assert await audit_actions(case["id"]) == ["case.create", "case.team_add", "case.team_remove"]


async def test_stage_and_assigned_worker(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    colleague = await world.user(cps, "cps_worker")
    supervisor = await world.user(cps, "cps_supervisor")
    case = await world.case(worker)
    assert case["stage"] == "intake" and case["assigned_worker_id"] == str(worker.id)
    url = f"/api/v1/cases/{case['id']}"

    # Only a team member can be the assigned worker; closed is reached by closing the case; nothing written.
    for body, loc in (({"assigned_worker_id": str(colleague.id)}, "assigned_worker_id"),
                      ({"stage": "closed"}, "stage"), ({"stage": None}, "stage"), ({"stage": "done"}, "stage")):
        r = await world.patch(worker, url, body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"][-1] == loc
    r = await world.get(worker, url)
    assert r.json()["stage"] == "intake" and r.json()["assigned_worker_id"] == str(worker.id)

    assert (await world.post(supervisor, f"{url}/team/{colleague.id}")).status_code == 201
    r = await world.patch(worker, url, {"assigned_worker_id": str(colleague.id), "stage": "investigation"})
    assert r.status_code == 200, r.text
    assert r.json()["assigned_worker_id"] == str(colleague.id) and r.json()["stage"] == "investigation"
    # Taking her off the team leaves the case without an assigned worker, not with a stranger.
    assert (await world.delete(supervisor, f"{url}/team/{colleague.id}")).status_code == 204
    assert (await world.get(worker, url)).json()["assigned_worker_id"] is None

    # A case is closed through POST /close (its closure checklist, or a supervisor's override), never by PATCH.
    r = await world.patch(worker, url, {"status": "closed"})
    assert r.status_code == 409, r.text
    assert (await world.get(worker, url)).json()["status"] == "open"

    async def close() -> dict:
        r = await world.post(supervisor, f"{url}/close", {"reason": "other", "override_reason": "Test closure."})
        assert r.status_code == 200, r.text
        return (await world.get(worker, url)).json()

    closed = await close()
    assert closed["status"] == "closed" and closed["stage"] == "closed"
    r = await world.patch(worker, url, {"status": "open"})
    assert r.json()["stage"] == "intake"
    await close()
    r = await world.patch(worker, url, {"status": "open", "stage": "reunification"})
    assert r.json()["stage"] == "reunification"


async def test_a_case_may_be_opened_at_a_later_stage(client, world):
    cps = await world.agency("cps")
    worker = await world.user(cps, "cps_worker")
    r = await world.post(worker, "/api/v1/cases", {"reference": "2026-CPS-9", "stage": "in_home_services"})
    assert r.status_code == 201 and r.json()["stage"] == "in_home_services"
    r = await world.post(worker, "/api/v1/cases", {"reference": "2026-CPS-10", "stage": "closed"})
    assert r.status_code == 422
    other = await world.user(cps, "cps_worker")
    r = await world.post(worker, "/api/v1/cases", {"reference": "2026-CPS-11", "assigned_worker_id": str(other.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "worker_not_on_team"
    assert await count(Case, Case.reference.in_(["2026-CPS-10", "2026-CPS-11"])) == 0
