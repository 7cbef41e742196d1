"""Her goals (her words, their history, seen by her team), her care plan, her meetings, her requests (a task for
her worker) and her feedback (stored apart from her record, never listed)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.checklists.models import JunctureRecord
from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.family.models import FamilyFeedback, FamilyGoal


async def _setup(world):
    agency = await world.agency("dv")
    worker = await world.user(agency, "dv_advocate")
    case = await world.case(worker)
    person = await world.person(worker, case["id"], full_name="Ana Survivor", language="es",
                                race_ethnicity=["hispanic_or_latino"])
    her = await world.family(worker, person["id"])
    return agency, worker, case, person, her


async def test_her_goals_in_her_words_with_history_seen_by_her_team(client, world):
    agency, worker, _, person, her = await _setup(world)
    r = await client.post("/api/v1/my/goals", json={"text": "Keep my children in their school."}, headers=her.h)
    assert r.status_code == 201, r.text
    goal = r.json()
    etag = r.headers["ETag"]
    r = await client.patch(f"/api/v1/my/goals/{goal['id']}", json={"text": "Keep them in school, near Grandma."},
                           headers={**her.h, "If-Match": etag})
    assert r.status_code == 200, r.text
    stale = await client.patch(f"/api/v1/my/goals/{goal['id']}", json={"kept": True},
                               headers={**her.h, "If-Match": etag})
    assert stale.status_code == 412
    assert (await client.patch(f"/api/v1/my/goals/{goal['id']}", json={"kept": True}, headers=her.h)).status_code == 200
    met = await client.patch(f"/api/v1/my/goals/{goal['id']}", json={"status": "met"}, headers=her.h)
    assert met.json()["status"] == "met" and met.json()["met_at"]
    assert [s["kind"] for s in met.json()["history"]] == ["created", "changed", "kept", "met"]
    assert (await client.patch(f"/api/v1/my/goals/{goal['id']}", json={}, headers=her.h)).status_code == 422
    team = await world.get(worker, f"/api/v1/people/{person['id']}/family-goals")
    assert team.status_code == 200 and team.json()[0]["text"] == "Keep them in school, near Grandma."
    stranger = await world.user(await world.agency("dv"), "dv_supervisor")
    assert (await world.get(stranger, f"/api/v1/people/{person['id']}/family-goals")).status_code == 404
    async with sessionmaker()() as s:  # sealed at rest
        row = (await s.execute(sa.select(FamilyGoal).where(FamilyGoal.id == uuid.UUID(goal["id"])))).scalar_one()
    assert "Grandma" not in row.text_enc


async def test_her_care_plan(client, world):
    *_, her = await _setup(world)
    assert (await client.get("/api/v1/my/care-plan", headers=her.h)).status_code == 404
    plan = {"caregivers": [{"name": "Maria", "relationship": "sister", "phone": "+1 555 0101"}],
            "what_i_can_offer": "Calls every evening.", "wishes": "Keep the children together."}
    r = await client.put("/api/v1/my/care-plan", json=plan, headers=her.h)
    assert r.status_code == 201, r.text
    assert (await client.put("/api/v1/my/care-plan", json=plan, headers=her.h)).status_code == 428
    r2 = await client.put("/api/v1/my/care-plan", json={**plan, "wishes": "Together, with Maria."},
                          headers={**her.h, "If-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and r2.json()["wishes"] == "Together, with Maria."
    got = await client.get("/api/v1/my/care-plan", headers=her.h)
    assert got.json()["caregivers"][0]["name"] == "Maria"


async def test_her_meetings_and_a_request_becomes_a_task_for_her_worker(client, world):
    agency, worker, case, _, her = await _setup(world)

    when = utcnow() + timedelta(days=3)
    async with sessionmaker()() as s:
        j = JunctureRecord(case_id=uuid.UUID(case["id"]), agency_id=agency.id, juncture="family_meeting", scheduled_for=when,
                           recorded_at=utcnow())
        other = JunctureRecord(case_id=uuid.UUID(case["id"]), agency_id=agency.id, juncture="removal", scheduled_for=when,
                               recorded_at=utcnow())
        s.add_all([j, other])
        await s.commit()
    meetings = (await client.get("/api/v1/my/meetings", headers=her.h)).json()
    assert [m["id"] for m in meetings] == [str(j.id)]
    assert meetings[0]["kind"] == "family_meeting" and "reunión" in meetings[0]["text"]
    r = await client.post("/api/v1/my/meeting-requests", headers=her.h,
                          json={"kind": "separate_meeting", "meeting_id": str(j.id), "note": "Not with him."})
    assert r.status_code == 201, r.text
    tasks = (await world.get(worker, "/api/v1/tasks")).json()["items"]
    (task,) = [t for t in tasks if t["kind"] == "family_request"]
    assert task["subject_id"] == r.json()["id"] and task["priority"] == "high"
    assert "Not with him" not in str(tasks)
    bad = await client.post("/api/v1/my/meeting-requests", headers=her.h,
                            json={"kind": "interpreter", "meeting_id": str(other.id)})
    assert bad.status_code == 422


async def test_feedback_is_stored_apart_from_her_record(client, world):
    agency, *_, her = await _setup(world)
    r = await client.post("/api/v1/my/feedback", headers=her.h,
                          json={"agency_id": str(agency.id), "respect": 5, "listened": 4, "safety": 3})
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"received", "text", "texts"}
    unknown = await world.agency("cps")
    r = await client.post("/api/v1/my/feedback", headers=her.h,
                          json={"agency_id": str(unknown.id), "respect": 5, "listened": 4, "safety": 3})
    assert r.status_code == 422
    async with sessionmaker()() as s:
        (row,) = (await s.execute(sa.select(FamilyFeedback).where(FamilyFeedback.agency_id == agency.id))).scalars()
    assert row.race_ethnicity == ["hispanic_or_latino"] and not hasattr(row, "person_id")
