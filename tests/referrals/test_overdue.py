"""respond_by from urgency (hours; business days across a weekend) and the overdue listing, with a
controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.referrals.lifecycle import add_business_days
from tests.referrals.scene import build_scene

FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday, 15:00 UTC


def test_business_days_skip_the_weekend():
    utc = ZoneInfo("UTC")
    fri = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert add_business_days(fri, 1, utc) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert add_business_days(fri, 3, utc) == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    sat = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert add_business_days(sat, 1, utc) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # Friday 23:30 in Chicago is Saturday in UTC; one business day later is Monday 23:30 in Chicago.
    chicago = ZoneInfo("America/Chicago")
    fri_night = datetime(2026, 11, 20, 23, 30, tzinfo=chicago)
    assert add_business_days(fri_night.astimezone(UTC), 1, chicago) == datetime(2026, 11, 23, 23, 30,
                                                                                 tzinfo=chicago)
    # Across the end of daylight saving time the local hour stays the same.
    fri_dst = datetime(2026, 10, 30, 9, 0, tzinfo=chicago)
    assert add_business_days(fri_dst.astimezone(UTC), 1, chicago) == datetime(2026, 11, 2, 9, 0, tzinfo=chicago)


async def test_respond_by_and_overdue_in_both_boxes(client, world, clock):
    friday = FRIDAY
    clock.set(friday)
    s = await build_scene(world)
    refs = {}
    for urgency in ("emergency", "urgent", "routine"):
        refs[urgency] = await s.referral("sent", urgency=urgency)
    assert datetime.fromisoformat(refs["emergency"]["respond_by"]) == friday + timedelta(hours=4)
    assert datetime.fromisoformat(refs["urgent"]["respond_by"]) == friday + timedelta(days=3)  # Monday
    assert datetime.fromisoformat(refs["routine"]["respond_by"]) == friday + timedelta(days=5)  # Wednesday
    draft = await s.referral("draft", urgency="emergency")

    async def overdue(actor, box):
        r = await world.get(s[actor], f"/api/v1/referrals?box={box}&overdue=true")
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    # Saturday: only the emergency one is late.
    clock.set(friday + timedelta(days=1))
    s.retoken()
    assert await overdue("cps_worker", "outgoing") == {refs["emergency"]["id"]}
    assert await overdue("dv_advocate", "incoming") == {refs["emergency"]["id"]}
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{refs['emergency']['id']}")
    assert r.json()["overdue"] is True

    # Monday just after the urgent deadline: acknowledging is not an answer, accepting is.
    clock.set(friday + timedelta(days=3, minutes=1))
    s.retoken()
    await s.act("acknowledge", refs["urgent"])
    assert await overdue("cps_supervisor", "outgoing") == {refs["emergency"]["id"], refs["urgent"]["id"]}
    assert await overdue("dv_supervisor", "incoming") == {refs["emergency"]["id"], refs["urgent"]["id"]}
    ack = await s.act("acknowledge", refs["emergency"])
    await s.act("accept", ack)
    assert await overdue("dv_advocate", "incoming") == {refs["urgent"]["id"]}
    assert await overdue("other_advocate", "incoming") == set()
    assert await overdue("other_advocate", "outgoing") == set()

    # Not overdue: the rest, including the draft (never sent, no deadline).
    r = await world.get(s["cps_worker"], "/api/v1/referrals?box=outgoing&overdue=false")
    assert {i["id"] for i in r.json()["items"]} == {refs["emergency"]["id"], refs["routine"]["id"], draft["id"]}

    # Thursday: the routine one is late too.
    clock.set(friday + timedelta(days=6))
    s.retoken()
    assert await overdue("dv_advocate", "incoming") == {refs["urgent"]["id"], refs["routine"]["id"]}
    await s.act("withdraw", refs["routine"])
    assert await overdue("cps_worker", "outgoing") == {refs["urgent"]["id"]}


async def test_office_time_zone_sets_business_days(client, world, clock):
    chicago = ZoneInfo("America/Chicago")
    clock.set(datetime(2026, 11, 20, 23, 30, tzinfo=chicago))  # Friday night in Chicago, Saturday in UTC
    s = await build_scene(world)
    office = await world.office(s.cps, "America/Chicago")
    r = await world.patch(s["cps_worker"], f"/api/v1/cases/{s.case['id']}", {"office_id": str(office.id)})
    assert r.status_code == 200, r.text
    ref = await s.referral("sent", urgency="urgent")
    # One business day in the office's time zone: Monday night in Chicago (in UTC it would be Sunday there).
    assert datetime.fromisoformat(ref["respond_by"]) == datetime(2026, 11, 23, 23, 30, tzinfo=chicago)


async def test_list_filters_and_keyset_pages(client, world, clock):
    start = FRIDAY
    clock.set(start)
    s = await build_scene(world)
    older = await s.referral("draft", urgency="routine")
    clock.set(start + timedelta(minutes=30))
    s.retoken()
    middle = await s.referral("sent", urgency="urgent", person_ids=[s.survivor["id"]])
    clock.set(start + timedelta(minutes=60))
    s.retoken()
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    newer = await s.referral("sent", urgency="emergency", person_ids=[s.child["id"]])
    w = s["cps_worker"]

    async def ids(query):
        r = await world.get(w, f"/api/v1/referrals?{query}")
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids("box=outgoing") == [newer["id"], middle["id"], older["id"]]  # newest first
    assert await ids("status=sent") == [newer["id"], middle["id"]]
    assert await ids("urgency=urgent") == [middle["id"]]
    assert await ids(f"person_id={s.child['id']}") == [newer["id"]]
    t = (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert await ids(f"created_from={t}") == [newer["id"], middle["id"]]
    assert await ids(f"created_to={t}") == [middle["id"], older["id"]]
    assert (await world.get(w, "/api/v1/referrals?created_from=1763650800")).status_code == 422  # no epochs
    assert (await world.get(w, "/api/v1/referrals?created_from=2026-11-20T15:00:00")).status_code == 422  # naive
    assert await ids("created_from=2026-11-21") == []  # a full date is its midnight UTC
    assert (await world.get(w, "/api/v1/referrals?status=lost")).status_code == 422
    assert (await world.get(w, "/api/v1/referrals?box=sideways")).status_code == 422
    r = await world.get(w, "/api/v1/referrals?box=outgoing&limit=2")
    page1 = r.json()
    assert [i["id"] for i in page1["items"]] == [newer["id"], middle["id"]] and page1["next_cursor"]
    r = await world.get(w, f"/api/v1/referrals?box=outgoing&limit=2&cursor={page1['next_cursor']}")
    assert [i["id"] for i in r.json()["items"]] == [older["id"]] and r.json()["next_cursor"] is None
