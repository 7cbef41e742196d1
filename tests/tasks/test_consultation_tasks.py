"""A consultation routed to an advocate is a task in her inbox (nobody else's); taking it closes the task."""

from __future__ import annotations

import pytest

from app.core.config import get_settings
from tests.advocates.helpers import CONSULTATIONS, site, utc

MONDAY_10 = utc(2027, 1, 11, 16)  # Monday 10:00 in Chicago


@pytest.fixture
def clock(clock, monkeypatch):
    """Staff and tokens are made first, then the clock moves to a fixed week: widen the token leeway."""
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 3650 * 86400)
    return clock


async def _mine(world, actor, subject_id, **params):
    r = await world.get(actor, "/api/v1/tasks", params=params)
    assert r.status_code == 200, r.text
    return [t for t in r.json()["items"] if t["subject_id"] == subject_id]


async def test_a_routed_consultation_is_a_task_for_its_advocate_until_she_takes_it(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    advocate = await s.advocate()
    colleague = await s.advocate()
    await s.assign(advocate)
    clock.set(MONDAY_10)
    case = await s.case()
    c = await s.consult(case)
    assert c["advocate_id"] == str(advocate.id)
    [task] = await _mine(world, advocate, c["id"], status="open")
    assert task["kind"] == "consultation_routed" and task["assignee_user_id"] == str(advocate.id)
    assert task["case_id"] == case["id"] and task["action"] == f"{CONSULTATIONS}/{c['id']}/accept"
    for other in (colleague, s.dv_supervisor, s.cps_worker, s.cps_supervisor):
        assert await _mine(world, other, c["id"]) == []
    assert (await world.get(s.cps_worker, f"/api/v1/tasks/{task['id']}")).status_code == 404
    r = await world.post(advocate, f"{CONSULTATIONS}/{c['id']}/accept")
    assert r.status_code == 200, r.text
    [closed] = await _mine(world, advocate, c["id"])
    assert closed["status"] == "done" and closed["done_by"] == "system"
