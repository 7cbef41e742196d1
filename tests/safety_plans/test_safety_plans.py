"""Safety-plan summaries through the API: the DV agency keeps them (PUT creates, then If-Match replaces), CPS
may not hold them, another agency's are 404, texts are sealed at rest, and a disclosure of `safety_plan`
releases that a plan exists, when it was reviewed and only the elements she marked shareable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.core.clock import today
from app.core.db import sessionmaker
from app.safety_plans.models import SafetyPlanSummary
from tests.consent.helpers import audit_rows, build_scene, uid

PICKUP = "Only her sister Ana collects the children from Birchfield School."
EXCHANGE = "Exchanges at the Harbor Street police station lobby."
SUMMARY = {"exists": True, "last_reviewed_on": "2026-11-20", "elements": [
    {"key": "school_pickup", "text": PICKUP, "shareable": True},
    {"key": "exchange_location", "text": EXCHANGE, "shareable": False},
]}


def url(person: dict[str, Any]) -> str:
    return f"/api/v1/people/{person['id']}/safety-plan-summary"


async def _rows(person_id: Any) -> list[dict[str, Any]]:
    async with sessionmaker()() as s:
        t = SafetyPlanSummary.__table__
        return [dict(r) for r in (await s.execute(sa.select(t).where(t.c.person_id == uid(person_id)))).mappings()]


async def test_put_creates_then_replaces_with_if_match(client, world):
    s = await build_scene(world)
    r = await world.put(s["advocate"], url(s.survivor), SUMMARY)
    assert r.status_code == 201, r.text
    created = r.json()
    etag = r.headers["ETag"]
    assert created["exists"] is True and created["last_reviewed_on"] == "2026-11-20"
    assert created["elements"] == SUMMARY["elements"]
    assert created["agency_id"] == str(s.dv.id) and created["person_id"] == s.survivor["id"]

    r = await world.get(s["advocate"], url(s.survivor))
    assert r.status_code == 200 and r.json() == created and r.headers["ETag"] == etag

    # Once it exists, a PUT must say which version it replaces.
    new = {"exists": True, "last_reviewed_on": "2026-11-30",
           "elements": [{"key": "contact_rules", "text": "Never call her at home.", "shareable": True}]}
    r = await world.put(s["advocate"], url(s.survivor), new)
    assert r.status_code == 428, r.text
    r = await world.put(s["advocate"], url(s.survivor), new, headers={"If-Match": 'W/"nope.1"'})
    assert r.status_code == 412
    r = await world.put(s["advocate"], url(s.survivor), new, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["elements"] == new["elements"] and r.json()["id"] == created["id"]
    assert r.headers["ETag"] != etag
    r = await world.put(s["advocate"], url(s.survivor), new, headers={"If-Match": etag})
    assert r.status_code == 412  # the old version again
    assert [e.action for e in await audit_rows(object_id=created["id"])] == [
        "safety_plan_summary.create", "safety_plan_summary.update"]


async def test_an_if_match_when_nothing_exists_is_412_and_none_is_404(client, world):
    s = await build_scene(world)
    assert (await world.get(s["advocate"], url(s.survivor))).status_code == 404
    r = await world.put(s["advocate"], url(s.survivor), SUMMARY, headers={"If-Match": 'W/"x.1"'})
    assert r.status_code == 412
    assert await _rows(s.survivor["id"]) == []


async def test_texts_are_sealed_at_rest(client, world):
    s = await build_scene(world)
    assert (await world.put(s["advocate"], url(s.survivor), SUMMARY)).status_code == 201
    (row,) = await _rows(s.survivor["id"])
    raw = repr(row)
    assert "Birchfield" not in raw and "Harbor Street" not in raw and "Ana" not in raw
    assert row["elements"] == [{"key": "school_pickup", "shareable": True},
                               {"key": "exchange_location", "shareable": False}]


async def test_cps_may_not_hold_one_and_another_agency_sees_none(client, world):
    s = await build_scene(world)
    assert (await world.put(s["advocate"], url(s.survivor), SUMMARY)).status_code == 201
    # a CPS worker on a person of its own case: 403 (safety plans stay with the DV advocate)
    cps_case = await world.case(s["cps_worker"])
    cps_person = await world.person(s["cps_worker"], cps_case["id"])
    r = await world.put(s["cps_worker"], url(cps_person), SUMMARY)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert (await world.get(s["cps_worker"], url(cps_person))).status_code == 403
    assert await _rows(cps_person["id"]) == []
    # another agency's person: 404, for reading and writing alike
    for actor in ("cps_worker", "third_worker", "dv_other_advocate"):
        assert (await world.get(s[actor], url(s.survivor))).status_code == 404, actor
        assert (await world.put(s[actor], url(s.survivor), SUMMARY)).status_code == 404, actor
    # admins have no record permission
    assert (await world.get(s["dv_admin"], url(s.survivor))).status_code == 403


async def test_bad_input_is_422_and_writes_nothing(client, world):
    s = await build_scene(world)
    future = str(today() + timedelta(days=2))
    bad = [
        {**SUMMARY, "elements": [{"key": "moon_base", "text": "x", "shareable": True}]},
        {**SUMMARY, "elements": [SUMMARY["elements"][0], SUMMARY["elements"][0]]},
        {"exists": False, "elements": SUMMARY["elements"]},
        {"exists": False, "last_reviewed_on": "2026-01-01"},
        {**SUMMARY, "last_reviewed_on": future},
        {**SUMMARY, "elements": [{"key": "other", "text": "", "shareable": True}]},
        {**SUMMARY, "plan": "the whole written plan"},
        {"elements": []},
    ]
    for body in bad:
        r = await world.put(s["advocate"], url(s.survivor), body)
        assert r.status_code == 422, body
        assert "Birchfield" not in r.text
    assert await _rows(s.survivor["id"]) == []


async def test_disclosure_releases_only_the_shareable_elements(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity"])
    # her consent names identity only: withheld before anything is on file, and after
    r = await s.disclose(categories=["safety_plan"])
    assert r.json()["withheld"] == [{"category": "safety_plan", "reason": "category_not_consented"}]

    r = await world.put(s["advocate"], url(s.survivor), SUMMARY)
    assert r.status_code == 201
    summary = r.json()
    # her consent does not name safety_plan: withheld
    r = await s.disclose(categories=["safety_plan"])
    assert r.json()["withheld"] == [{"category": "safety_plan", "reason": "category_not_consented"}]
    assert "Birchfield" not in r.text

    await s.consent(categories=["safety_plan"])
    r = await s.disclose(categories=["safety_plan"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released"]["safety_plan"] == {"safety_plan_summary": {
        "exists": True, "last_reviewed_on": "2026-11-20",
        "elements": [{"key": "school_pickup", "text": PICKUP}]}}
    assert "Harbor Street" not in r.text and "exchange_location" not in r.text
    meta = body["released_meta"]["safety_plan"]
    assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == ["school_pickup"]
    assert meta["as_of"].replace("Z", "+00:00")[:19] == summary["created_at"].replace("Z", "+00:00")[:19]
    rows = await s.accounting()
    assert rows[0]["id"] == body["id"] and rows[0]["categories_released"] == ["safety_plan"]
    assert [r["outcome"] for r in rows] == ["released", "withheld", "withheld"]


async def test_no_data_only_when_nothing_is_on_file(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent()
    r = await s.disclose(categories=["safety_plan"])
    assert r.json()["withheld"] == [{"category": "safety_plan", "reason": "no_data"}]
    assert (await world.put(s["advocate"], url(s.survivor), {"exists": False})).status_code == 201
    r = await s.disclose(categories=["safety_plan"])
    assert r.json()["released"]["safety_plan"] == {"safety_plan_summary": {
        "exists": False, "last_reviewed_on": None, "elements": []}}
