"""What a partner learns under `case_status`: open or closed, the stage, the assigned worker and the case's
office, and the next juncture scheduled — released only when the rule allows, with its freshness."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.clock import utcnow
from tests.checklists.helpers import team
from tests.consent.helpers import consent_body


async def _setup(world):
    """A CPS case (with an office) holding a survivor; a DV agency that may ask under an agreement; the DV
    agency's advocate who asks."""
    t = await team(world)
    office = await world.office(t.worker.agency)
    r = await world.patch(t.worker, f"/api/v1/cases/{t.case_id}", {"office_id": str(office.id)})
    assert r.status_code == 200, r.text
    survivor = await world.person(t.worker, t.case_id, case_role="adult_survivor", full_name="Ana Example")
    dv = await world.agency("dv")
    dv_admin = await world.user(dv, "agency_admin")
    advocate = await world.user(dv, "dv_advocate")
    await world.agreement(t.admin, dv_admin)
    return t, office, survivor, dv, advocate


async def _ask(world, advocate, survivor, status=201):
    r = await world.post(advocate, "/api/v1/disclosures", {"person_id": survivor["id"], "purpose": "case_planning",
                                                            "categories": ["case_status"]})
    assert r.status_code == status, r.text
    return r.json()


async def test_case_status_names_stage_worker_office_and_next_juncture(client, world):
    t, office, survivor, dv, advocate = await _setup(world)
    # Unlinked, the agency learns nothing, not even that she exists; with a consent for other categories only,
    # nothing about the case.
    await _ask(world, advocate, survivor, status=404)
    r = await world.post(t.worker, f"/api/v1/people/{survivor['id']}/consents",
                         consent_body(survivor["id"], dv.id, categories=["identity"]))
    assert r.status_code == 201, r.text
    body = await _ask(world, advocate, survivor)
    assert body["released"] == {} and body["released_meta"] == {}
    assert body["withheld"] == [{"category": "case_status", "reason": "category_not_consented"}]

    r = await world.post(t.worker, f"/api/v1/people/{survivor['id']}/consents",
                         consent_body(survivor["id"], dv.id, categories=["case_status"]))
    assert r.status_code == 201, r.text
    body = await _ask(world, advocate, survivor)
    status = body["released"]["case_status"]
    assert status == {"status": "open", "stage": "intake",
                      "assigned_worker": {"id": str(t.worker.id), "full_name": t.worker.user.full_name},
                      "office": {"id": str(office.id), "name": office.name}, "next_juncture": None}
    assert body["released_meta"]["case_status"]["agency_id"] == str(t.worker.agency.id)

    # The stage moves, a family meeting is scheduled: the next request says so.
    r = await world.patch(t.worker, f"/api/v1/cases/{t.case_id}", {"stage": "investigation"})
    assert r.status_code == 200 and r.json()["stage"] == "investigation"
    await t.completed("family_meeting")
    when = utcnow() + timedelta(days=3)
    r = await world.post(t.worker, f"/api/v1/cases/{t.case_id}/junctures",
                         {"juncture": "family_meeting", "scheduled_for": when.isoformat()})
    assert r.status_code == 201, r.text
    # One already past does not count as next.
    await t.completed("court")
    r = await world.post(t.worker, f"/api/v1/cases/{t.case_id}/junctures",
                         {"juncture": "court", "scheduled_for": (utcnow() - timedelta(days=1)).isoformat()})
    assert r.status_code == 201, r.text
    status = (await _ask(world, advocate, survivor))["released"]["case_status"]
    assert status["stage"] == "investigation"
    assert status["next_juncture"]["juncture"] == "family_meeting"
    assert abs((_instant(status["next_juncture"]["scheduled_for"]) - when).total_seconds()) < 1

    # Closing the case closes its stage.
    r = await world.post(t.supervisor, f"/api/v1/cases/{t.case_id}/close",
                         {"reason": "services_completed", "override_reason": "Closed at the family's request."})
    assert r.status_code == 200, r.text
    status = (await _ask(world, advocate, survivor))["released"]["case_status"]
    assert status["status"] == "closed" and status["stage"] == "closed"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
