"""A juncture is recorded only after its checklist was completed on the case within the valid window; a
supervisor may override with a reason, visible on the case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.checklists.models import Checklist
from app.core.db import sessionmaker
from tests.checklists.helpers import audit_actions, team

WHEN = "2026-12-01T15:00:00Z"


def url(t) -> str:
    return f"/api/v1/cases/{t.case_id}/junctures"


async def _complete_at(checklist_id: str, at: datetime) -> None:
    async with sessionmaker()() as s:
        await s.execute(sa.update(Checklist).where(Checklist.id == uuid.UUID(checklist_id)).values(completed_at=at))
        await s.commit()


async def test_refused_without_a_completed_checklist(world):
    t = await team(world)
    r = await world.post(t.worker, url(t), {"juncture": "family_meeting", "scheduled_for": WHEN})
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "30 days" in r.json()["detail"]

    # An open checklist does not clear it, nor does a completed checklist for another juncture.
    await t.start("family_meeting")
    await t.completed("court")
    r = await world.post(t.worker, url(t), {"juncture": "family_meeting", "scheduled_for": WHEN})
    assert r.status_code == 409
    assert (await world.get(t.worker, url(t))).json()["items"] == []


async def test_accepted_with_a_completed_checklist(world):
    t = await team(world)
    done = await t.completed("family_meeting")
    r = await world.post(t.worker, url(t), {"juncture": "family_meeting", "scheduled_for": WHEN})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["checklist_id"] == done["id"] and rec["overridden"] is False and rec["override_reason"] is None
    assert rec["scheduled_for"] == WHEN
    assert rec["recorded_by"] == str(t.worker.id) and rec["agency_id"] == str(t.worker.agency.id)
    assert await audit_actions(rec["id"]) == ["juncture.record"]
    # A checklist from another case does not count.
    other_case = await world.case(t.worker)
    r = await world.post(t.worker, f"/api/v1/cases/{other_case['id']}/junctures",
                         {"juncture": "family_meeting", "scheduled_for": WHEN})
    assert r.status_code == 409


async def test_refused_when_the_checklist_is_older_than_the_valid_window(world, clock):
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)  # the gate measures age against the service clock
    t = await team(world)
    done = await t.completed("removal")
    await _complete_at(done["id"], now - timedelta(days=30, seconds=1))
    r = await world.post(t.worker, url(t), {"juncture": "removal", "scheduled_for": WHEN})
    assert r.status_code == 409, r.text
    await _complete_at(done["id"], now - timedelta(days=29, hours=23))
    r = await world.post(t.worker, url(t), {"juncture": "removal", "scheduled_for": WHEN})
    assert r.status_code == 201, r.text
    assert r.json()["checklist_id"] == done["id"]


async def test_the_window_is_configurable(world, clock, monkeypatch):
    from app.core.config import get_settings

    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    t = await team(world)
    done = await t.completed("court")
    await _complete_at(done["id"], now - timedelta(days=8))
    monkeypatch.setattr(get_settings(), "checklist_valid_days", 7)
    r = await world.post(t.worker, url(t), {"juncture": "court", "scheduled_for": WHEN})
    assert r.status_code == 409 and "7 days" in r.json()["detail"]


async def test_supervisor_override_is_recorded_and_visible_on_the_case(world):
    t = await team(world)
    reason = "Emergency hearing set by the court this morning."
    r = await world.post(t.supervisor, url(t), {"juncture": "court", "scheduled_for": WHEN,
                                                "override_reason": reason})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["overridden"] is True and rec["checklist_id"] is None and rec["override_reason"] == reason
    assert rec["recorded_by"] == str(t.supervisor.id)
    assert await audit_actions(rec["id"]) == ["juncture.record", "juncture.override"]

    r = await world.get(t.worker, url(t))
    assert r.status_code == 200
    (listed,) = r.json()["items"]
    assert (listed["id"], listed["overridden"], listed["override_reason"]) == (rec["id"], True, reason)

    # Other agencies cannot see the case's junctures.
    other = await team(world)
    assert (await world.get(other.supervisor, url(t))).status_code == 404
    r = await world.post(other.supervisor, url(t), {"juncture": "court", "scheduled_for": WHEN,
                                                    "override_reason": reason})
    assert r.status_code == 404


async def test_a_workers_override_is_refused(world):
    t = await team(world)
    r = await world.post(t.worker, url(t), {"juncture": "removal", "scheduled_for": WHEN,
                                            "override_reason": "No time for the checklist."})
    assert r.status_code == 403, r.text
    assert (await world.get(t.worker, url(t))).json()["items"] == []
    # A blank reason is bad input, not an override.
    r = await world.post(t.supervisor, url(t), {"juncture": "removal", "scheduled_for": WHEN,
                                                "override_reason": "   "})
    assert r.status_code == 422


async def test_bad_juncture_input(world):
    t = await team(world)
    assert (await world.post(t.worker, url(t), {"juncture": "removal"})).status_code == 422
    assert (await world.post(t.worker, url(t), {"juncture": "picnic", "scheduled_for": WHEN})).status_code == 422
    assert (await world.post(t.worker, url(t), {"juncture": "removal", "scheduled_for": "soon"})).status_code == 422
    assert (await world.post(t.admin, url(t), {"juncture": "removal", "scheduled_for": WHEN})).status_code == 403


async def test_a_removal_records_its_safety_factors(world):
    t = await team(world)
    await t.completed("removal")
    body = {"juncture": "removal", "scheduled_for": WHEN, "safety_factors": ["domestic_violence", "neglect"]}
    r = await world.post(t.worker, url(t), body)
    assert r.status_code == 201, r.text
    assert r.json()["safety_factors"] == ["domestic_violence", "neglect"]
    listed = (await world.get(t.worker, url(t))).json()["items"]
    assert [j["safety_factors"] for j in listed] == [["domestic_violence", "neglect"]]
    # Repeats, unknown factors and factors on another juncture are refused, and nothing is recorded.
    await t.completed("court")
    for bad, kind in ((["neglect", "neglect"], "removal"), (["weather"], "removal"),
                      (["domestic_violence"], "court")):
        r = await world.post(t.worker, url(t), {"juncture": kind, "scheduled_for": WHEN, "safety_factors": bad})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"][:2] == ["body", "safety_factors"]
    assert len((await world.get(t.worker, url(t))).json()["items"]) == 1
