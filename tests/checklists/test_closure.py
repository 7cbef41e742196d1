"""Closing a case: the closure checklist gate or a supervisor's override, a coded reason, and the loose ends with
the partner agency listed for the worker to end or keep."""

from __future__ import annotations

from typing import Any

from tests.checklists.helpers import CRITICAL, audit_actions
from tests.referrals.scene import SURVIVOR_NAME, Scene, build_scene


async def _linked_scene(world: Any) -> tuple[Scene, dict[str, Any]]:
    """A CPS case whose survivor consented to the DV agency, a referral accepted with linked records."""
    s = await build_scene(world)
    ref = await s.referral("acknowledged")
    r = await world.post(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}/accept", {"create_records": True})
    assert r.status_code == 200, r.text
    return s, r.json()


async def _completed_closure(s: Scene, case_id: str) -> dict[str, Any]:
    r = await s.world.post(s["cps_worker"], f"/api/v1/cases/{case_id}/checklists", {"juncture": "closure"})
    assert r.status_code == 201, r.text
    cl = r.json()
    for key in CRITICAL["closure"]:
        r = await s.world.patch(s["cps_worker"], f"/api/v1/checklists/{cl['id']}/items/{key}", {"status": "done"})
        assert r.status_code == 200, r.text
    r = await s.world.post(s["cps_worker"], f"/api/v1/checklists/{cl['id']}/complete")
    assert r.status_code == 200, r.text
    return r.json()


async def _case(s: Scene, actor: str, case_id: str) -> dict[str, Any]:
    return (await s.world.get(s[actor], f"/api/v1/cases/{case_id}")).json()


async def test_the_gate_refuses_without_checklist_and_a_workers_override(client, world):
    s, _ = await _linked_scene(world)
    url = f"/api/v1/cases/{s.case['id']}/close"
    r = await world.post(s["cps_worker"], url, {"reason": "services_completed"})
    assert r.status_code == 409 and r.json()["juncture"] == "closure"
    r = await world.post(s["cps_worker"], url, {"reason": "services_completed", "override_reason": "Moved away."})
    assert r.status_code == 403
    for bad in ({"reason": "bored"}, {}, {"reason": "other", "override_reason": ""}):
        assert (await world.post(s["cps_supervisor"], url, bad)).status_code == 422
    case = await _case(s, "cps_worker", s.case["id"])
    assert (case["status"], case["stage"]) == ("open", s.case["stage"])
    assert "case.close" not in await audit_actions(s.case["id"])


async def test_a_completed_closure_checklist_opens_the_gate(client, world):
    s, _ = await _linked_scene(world)
    done = await _completed_closure(s, s.case["id"])
    url = f"/api/v1/cases/{s.case['id']}/close"
    before = (await world.get(s["cps_worker"], f"/api/v1/cases/{s.case['id']}")).headers["ETag"]
    r = await world.post(s["cps_worker"], url, {"reason": "no_safety_concerns"}, headers={"If-Match": '"0"'})
    assert r.status_code == 412
    r = await world.post(s["cps_worker"], url, {"reason": "no_safety_concerns"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reason"] == "no_safety_concerns" and body["overridden"] is False
    assert body["checklist_id"] == done["id"]
    assert (body["case"]["status"], body["case"]["stage"]) == ("closed", "closed")
    after = await world.get(s["cps_worker"], f"/api/v1/cases/{s.case['id']}")
    assert r.headers["ETag"] == after.headers["ETag"] != before
    case = after.json()
    assert (case["status"], case["stage"], case["closure_reason"]) == ("closed", "closed", "no_safety_concerns")
    assert case["closed_at"] == body["closed_at"]
    assert await audit_actions(s.case["id"]) == ["case.create", "case.close"]
    # Closing it again is a conflict; reopening it clears how it was closed.
    assert (await world.post(s["cps_worker"], url, {"reason": "other"})).status_code == 409
    r = await world.patch(s["cps_worker"], f"/api/v1/cases/{s.case['id']}", {"status": "open"})
    assert r.status_code == 200 and (r.json()["closure_reason"], r.json()["closed_at"]) == (None, None)


async def test_supervisor_override_and_the_loose_ends(client, world):
    s, ref = await _linked_scene(world)
    url = f"/api/v1/cases/{s.case['id']}/close"
    r = await world.post(s["cps_supervisor"], url, {"reason": "family_moved", "override_reason": "Family left."})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["overridden"] is True and body["checklist_id"] is None
    assert await audit_actions(s.case["id"]) == ["case.create", "case.close", "case.close_override"]
    assert SURVIVOR_NAME not in r.text and "Family left." not in r.text

    still = {e["kind"]: e for e in body["still_open"]}
    assert sorted(still) == ["consent", "person_link", "referral"] and len(body["still_open"]) == 3
    link, consent, referral = still["person_link"], still["consent"], still["referral"]
    assert (link["person_id"], link["other_agency_id"]) == (s.survivor["id"], str(s.dv.id))
    assert (consent["person_id"], consent["other_agency_id"]) == (s.survivor["id"], str(s.dv.id))
    assert (referral["id"], referral["status"], referral["other_agency_id"]) == (ref["id"], "accepted", str(s.dv.id))
    assert link["choices"] == [{"choice": "end", "method": "DELETE", "path": f"/api/v1/person-links/{link['id']}"},
                               {"choice": "keep", "method": None, "path": None}]
    assert consent["choices"][0] == {"choice": "end", "method": "POST",
                                     "path": f"/api/v1/consents/{consent['id']}/revoke"}
    assert referral["choices"][0] == {"choice": "end", "method": "POST",
                                      "path": f"/api/v1/referrals/{ref['id']}/close"}

    # Each is ended through its own endpoint, by choice: end the link and the referral, keep the consent.
    assert (await world.delete(s["cps_worker"], link["choices"][0]["path"])).status_code == 204
    r = await world.post(s["cps_worker"], referral["choices"][0]["path"], {"outcome": "Services completed."})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/consents")
    assert [c["status"] for c in r.json()["items"]] == ["active"]


async def test_the_receiving_agency_closes_its_linked_case(client, world):
    s, ref = await _linked_scene(world)
    r = await world.post(s["dv_supervisor"], f"/api/v1/cases/{ref['linked_case_id']}/close",
                         {"reason": "services_completed", "override_reason": "Advocacy finished."})
    assert r.status_code == 200, r.text
    still = {e["kind"]: e for e in r.json()["still_open"]}
    assert sorted(still) == ["person_link", "referral"]
    assert still["person_link"]["person_id"] == ref["linked_person_ids"][0]
    assert still["person_link"]["other_agency_id"] == str(s.cps.id)
    # An accepted referral is closed by the referring agency: the receiving side can only keep it.
    assert still["referral"]["other_agency_id"] == str(s.cps.id)
    assert still["referral"]["choices"] == [{"choice": "keep", "method": None, "path": None}]
    # The partner and a third agency cannot close another agency's case.
    for actor in ("cps_supervisor", "other_advocate"):
        r = await world.post(s[actor], f"/api/v1/cases/{ref['linked_case_id']}/close", {"reason": "other"})
        assert r.status_code == 404
