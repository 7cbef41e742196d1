"""The family's side of the collaboration report: portal access, self-revoked consents, goals met, parent
partners and feedback, by race/ethnicity, with small cells suppressed."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import token_for

REPORT = "/api/v1/reports/collaboration"


async def test_the_family_side_counts_what_families_did_and_suppresses_small_cells(client, world, clock):
    clock.set(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    dv = await world.agency("dv")
    worker = await world.user(dv, "dv_supervisor")
    case = await world.case(worker)
    with_access = []
    for i in range(22):
        p = await world.person(worker, case["id"], full_name=f"Survivor {i}", race_ethnicity=["hispanic_or_latino"])
        if i < 11:
            with_access.append(await world.person_actor(dv, person_id=p["id"]))
    for i in range(3):
        p = await world.person(worker, case["id"], full_name=f"Other {i}", race_ethnicity=["white"])
        her = await world.person_actor(dv, person_id=p["id"])
        await client.post("/api/v1/my/feedback", headers=her.h,
                          json={"agency_id": str(dv.id), "respect": 1, "listened": 1, "safety": 1})
    for her in with_access:
        goal = (await client.post("/api/v1/my/goals", json={"text": "A goal."}, headers=her.h)).json()
        r = await client.patch(f"/api/v1/my/goals/{goal['id']}", json={"status": "met"}, headers=her.h)
        assert r.status_code == 200, r.text
        r = await client.post("/api/v1/my/feedback", headers=her.h,
                              json={"agency_id": str(dv.id), "respect": 4, "listened": 5, "safety": 4})
        assert r.status_code == 202, r.text
    clock.set(datetime(2027, 1, 2, 12, 0, tzinfo=UTC))  # a period is reported once its year has ended
    fresh = {"Authorization": f"Bearer {token_for(worker.user, dv)}"}
    r = await client.get(REPORT, params={"period": "2026-03"}, headers=fresh)
    assert r.status_code == 200, r.text
    table = r.json()["family_side_by_race_ethnicity"]
    rows = {row["group"]: row["cells"] for row in table["rows"]} if "group" in str(table["rows"][:1]) else None
    assert rows is not None, table["rows"][:1]
    hisp = rows["hispanic_or_latino"]
    assert hisp["families"]["value"] == 22 and hisp["with_portal_access"]["value"] == 11
    assert hisp["portal_access_share"]["value"] == 0.5
    assert hisp["goals_met"]["value"] == 11 and hisp["feedback_answers"]["value"] == 11
    assert hisp["listened_median"]["value"] == 5
    white = rows["white"]
    assert white["families"]["suppressed"] is True and white["families"]["value"] is None
    assert white["respect_median"]["suppressed"] is True
