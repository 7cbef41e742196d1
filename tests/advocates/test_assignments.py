"""Assigning advocates to CPS offices: who may, for whom, where, and never two places at once."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.advocates.models import AdvocateAssignment
from app.core.db import sessionmaker
from tests.advocates.helpers import ASSIGNMENTS, agreement, audit_rows, site, utc


async def test_create_read_list_and_audit(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    a = await s.assign(adv, weekdays=[4, 0, 2], ends_on=None, max_open_consultations=5)
    assert a["weekdays"] == [0, 2, 4] and a["ends_on"] is None and a["max_open_consultations"] == 5
    assert a["agency_id"] == str(s.dv.id) and a["office_agency_id"] == str(s.cps.id)
    assert [e.action for e in await audit_rows(a["id"])] == ["assignment.create"]
    assert (await audit_rows(a["id"]))[0].agency_id == s.dv.id

    r = await world.get(s.dv_supervisor, f"{ASSIGNMENTS}/{a['id']}")
    assert r.status_code == 200 and r.headers["etag"]
    # Both sides see it: the DV agency's staff and the office's CPS agency.
    for actor in (adv, s.dv_supervisor, s.cps_worker):
        r = await world.get(actor, ASSIGNMENTS, params={"office_id": str(s.office.id)})
        assert [i["id"] for i in r.json()["items"]] == [a["id"]]
    # Another agency sees nothing of it.
    other = await world.user(await world.agency("dv"), "dv_supervisor")
    assert (await world.get(other, f"{ASSIGNMENTS}/{a['id']}")).status_code == 404
    assert (await world.get(other, ASSIGNMENTS)).json()["items"] == []

    # Idempotent create replays the first answer.
    adv2 = await s.advocate()
    body = {"advocate_id": str(adv2.id), "office_id": str(s.office.id), "weekdays": [1], "start_time": "09:00",
            "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 1}
    h = {"Idempotency-Key": "assign-once"}
    r1 = await world.post(s.dv_supervisor, ASSIGNMENTS, body, headers=h)
    r2 = await world.post(s.dv_supervisor, ASSIGNMENTS, body, headers=h)
    assert r1.status_code == r2.status_code == 201 and r1.json()["id"] == r2.json()["id"]


async def test_only_the_dv_agency_supervisor_or_admin_assigns_its_own_active_advocates(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    base = {"advocate_id": str(adv.id), "office_id": str(s.office.id), "weekdays": [0], "start_time": "09:00",
            "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 2}
    assert (await world.post(adv, ASSIGNMENTS, base)).status_code == 403          # advocates do not
    assert (await world.post(s.cps_supervisor, ASSIGNMENTS, base)).status_code == 403
    cps_admin = await world.user(s.cps, "agency_admin")
    assert (await world.post(cps_admin, ASSIGNMENTS, base)).status_code == 403    # not a DV agency
    dv_admin = await world.user(s.dv, "agency_admin")
    assert (await world.post(dv_admin, ASSIGNMENTS, base)).status_code == 201

    # Another DV agency's advocate is 404 (even with its own agreement with the same CPS agency).
    dv2 = await world.agency("dv")
    await agreement(s.cps, dv2)
    foreign = await world.user(dv2, "dv_advocate")
    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {**base, "advocate_id": str(foreign.id)})
    assert r.status_code == 404
    # A colleague who is not an advocate, or is deactivated, is 422.
    colleague = await world.user(s.dv, "dv_supervisor")
    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {**base, "advocate_id": str(colleague.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "advocate_id"]
    gone = await s.advocate()
    assert (await world.post(dv_admin, f"/api/v1/users/{gone.id}/deactivate")).status_code == 200
    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {**base, "advocate_id": str(gone.id)})
    assert r.status_code == 422


async def test_bad_input_is_422(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    base = {"advocate_id": str(adv.id), "office_id": str(s.office.id), "weekdays": [0], "start_time": "09:00",
            "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 2}
    for bad in ({"weekdays": []}, {"weekdays": [7]}, {"weekdays": [1, 1]}, {"start_time": "12:00"},
                {"end_time": "08:00"}, {"ends_on": "2026-12-31"}, {"max_open_consultations": 0},
                {"start_time": "09:00+02:00"}, {"start_time": "25:00"}, {"agency_id": str(s.dv.id)}):
        r = await world.post(s.dv_supervisor, ASSIGNMENTS, {**base, **bad})
        assert r.status_code == 422, (bad, r.text)
    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {**base, "office_id": str(s.dv.id)})
    assert r.status_code == 404


async def test_office_needs_an_active_agreement(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    other_cps = await world.agency("cps")
    office = await world.office(other_cps)
    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {
        "advocate_id": str(adv.id), "office_id": str(office.id), "weekdays": [0], "start_time": "09:00",
        "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 2})
    assert r.status_code == 409
    body = r.json()
    assert body["title"] == "Agreement required" and other_cps.name in body["detail"]
    assert sorted(body["missing_agreement"]["party_agency_ids"]) == sorted([str(s.dv.id), str(other_cps.id)])
    # A draft or suspended agreement is not enough either.
    ag = await agreement(other_cps, s.dv, status="suspended")
    assert (await s.assign(adv, office=office, expect=409))
    from tests.advocates.helpers import set_agreement_status

    await set_agreement_status(ag, "active")
    await s.assign(adv, office=office)


async def test_overlap_is_refused_in_any_office(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    first = await s.assign(adv, weekdays=[0, 2], start_time="09:00", end_time="13:00")
    second_office = await world.office(s.cps, "America/Chicago")

    r = await world.post(s.dv_supervisor, ASSIGNMENTS, {
        "advocate_id": str(adv.id), "office_id": str(second_office.id), "weekdays": [2, 3], "start_time": "12:00",
        "end_time": "15:00", "starts_on": "2027-06-01", "ends_on": "2027-06-30", "max_open_consultations": 1})
    assert r.status_code == 409 and r.json()["conflicting_assignment_id"] == first["id"]
    # Same office, same slot: refused too.
    await s.assign(adv, weekdays=[0], start_time="10:00", end_time="11:00", expect=409)
    # Touching hours, another weekday, or dates that do not meet are fine.
    await s.assign(adv, office=second_office, weekdays=[2], start_time="13:00", end_time="15:00")
    await s.assign(adv, office=second_office, weekdays=[3], start_time="09:00", end_time="13:00")
    await s.assign(adv, office=second_office, weekdays=[0], start_time="09:00", end_time="13:00",
                   starts_on="2028-01-01", ends_on="2028-12-31")
    # A shared weekday that never falls inside the shared dates is no overlap (2027-12-28 is a Tuesday).
    await s.assign(adv, office=second_office, weekdays=[0, 1], start_time="09:00", end_time="13:00",
                   starts_on="2027-12-28", ends_on="2027-12-28")
    # Another advocate may hold the same hours.
    await s.assign(await s.advocate(), weekdays=[0, 2], start_time="09:00", end_time="13:00")

    # Once the first assignment ended, its hours are free again.
    assert (await world.post(s.dv_supervisor, f"{ASSIGNMENTS}/{first['id']}/end")).status_code == 200
    await s.assign(adv, weekdays=[0], start_time="10:00", end_time="11:00")


async def test_overlap_across_time_zones_compares_real_instants(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world, "America/Chicago")
    adv = await s.advocate()
    await s.assign(adv, weekdays=[0], start_time="09:00", end_time="12:00")
    new_york = await world.office(s.cps, "America/New_York")
    # 12:00-15:00 in New York is 11:00-14:00 in Chicago: overlaps 09:00-12:00 Chicago.
    await s.assign(adv, office=new_york, weekdays=[0], start_time="12:00", end_time="15:00", expect=409)
    # 13:00-15:00 in New York starts at 12:00 Chicago: no overlap.
    await s.assign(adv, office=new_york, weekdays=[0], start_time="13:00", end_time="15:00")


async def test_end_is_for_the_advocates_agency(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    a = await s.assign(adv)
    url = f"{ASSIGNMENTS}/{a['id']}/end"
    assert (await world.post(await world.user(s.cps, "agency_admin"), url)).status_code == 403
    assert (await world.post(await world.user(await world.agency("dv"), "dv_supervisor"), url)).status_code == 404
    assert (await world.post(s.dv_supervisor, url, headers={"If-Match": 'W/"stale.9"'})).status_code == 412
    etag = (await world.get(s.dv_supervisor, f"{ASSIGNMENTS}/{a['id']}")).headers["etag"]
    r = await world.post(s.dv_supervisor, url, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "ended"
    assert [e.action for e in await audit_rows(a["id"])] == ["assignment.create", "assignment.end"]
    r = await world.get(s.cps_worker, ASSIGNMENTS, params={"office_id": str(s.office.id), "status": "active"})
    assert r.json()["items"] == []
    async with sessionmaker()() as db:
        row = (await db.execute(sa.select(AdvocateAssignment).where(AdvocateAssignment.id == uuid.UUID(a["id"])))).scalar_one()
        assert row.ended_by == s.dv_supervisor.id


async def test_dv_staff_see_partner_offices(world, clock):
    """DV staff see the offices of CPS agencies they have an agreement in force with, and no others."""
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    assert (await world.get(adv, f"/api/v1/offices/{s.office.id}")).status_code == 200
    r = await world.get(adv, f"/api/v1/agencies/{s.cps.id}/offices")
    assert [o["id"] for o in r.json()["items"]] == [str(s.office.id)]
    stranger = await world.office(await world.agency("cps"))
    assert (await world.get(adv, f"/api/v1/offices/{stranger.id}")).status_code == 404
    from tests.advocates.helpers import set_agreement_status

    await set_agreement_status(s.agreement_id, "terminated")
    assert (await world.get(adv, f"/api/v1/offices/{s.office.id}")).status_code == 404


async def test_concurrent_overlapping_assignments_admit_one(world, clock):
    import asyncio

    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    offices = [await world.office(s.cps) for _ in range(4)]
    bodies = [{"advocate_id": str(adv.id), "office_id": str(o.id), "weekdays": [0], "start_time": "09:00",
               "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 1} for o in offices]
    results = await asyncio.gather(*[world.post(s.dv_supervisor, ASSIGNMENTS, b) for b in bodies])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
