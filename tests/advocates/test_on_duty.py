"""Who is on site at an office: weekday, hours, time zone, daylight saving and date-range edges."""

from __future__ import annotations

from tests.advocates.helpers import ASSIGNMENTS, site, utc


async def test_hours_edges_in_office_local_time(world, clock):
    """America/Chicago 09:00-17:00: on duty from 09:00:00 until just before 17:00 local (UTC-6 in winter)."""
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world, "America/Chicago")
    adv = await s.advocate()
    a = await s.assign(adv)
    assert a["weekdays"] == [0, 1, 2, 3, 4] and a["start_time"] == "09:00:00" and a["status"] == "active"
    me = str(adv.id)
    assert await s.on_duty_ids(utc(2027, 1, 11, 14, 59)) == []        # Monday 08:59 local
    assert await s.on_duty_ids(utc(2027, 1, 11, 15, 0)) == [me]       # 09:00
    assert await s.on_duty_ids(utc(2027, 1, 11, 22, 59, 59)) == [me]  # 16:59:59
    assert await s.on_duty_ids(utc(2027, 1, 11, 23, 0)) == []         # 17:00
    # The same UTC wall-clock hours would be wrong by six hours.
    assert await s.on_duty_ids(utc(2027, 1, 11, 9, 30)) == []

    r = await s.on_duty(utc(2027, 1, 11, 16, 30))
    body = r.json()
    assert body["timezone"] == "America/Chicago"
    assert body["local_time"].startswith("2027-01-11T10:30:00-06:00")
    item = body["items"][0]
    assert item == {"advocate_id": me, "agency_id": str(s.dv.id), "assignment_id": a["id"],
                    "open_consultations": 0, "max_open_consultations": 3, "capacity_left": 3,
                    "on_duty_until": "2027-01-11T23:00:00Z"}
    assert body["next_cursor"] is None


async def test_daylight_saving_moves_the_utc_window(world, clock):
    """After the March change Chicago is UTC-5: 09:00 local is 14:00Z, not 15:00Z."""
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world, "America/Chicago")
    adv = await s.advocate()
    await s.assign(adv)
    me = str(adv.id)
    assert await s.on_duty_ids(utc(2027, 3, 15, 13, 59)) == []    # Monday 08:59 CDT
    assert await s.on_duty_ids(utc(2027, 3, 15, 14, 0)) == [me]   # 09:00 CDT
    assert await s.on_duty_ids(utc(2027, 3, 15, 21, 59)) == [me]  # 16:59 CDT
    assert await s.on_duty_ids(utc(2027, 3, 15, 22, 0)) == []     # 17:00 CDT


async def test_sunday_monday_boundary_across_utc_midnight(world, clock):
    """The office's local weekday decides, not the UTC one."""
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world, "America/Chicago")
    sunday_evenings, monday_nights = await s.advocate(), await s.advocate()
    await s.assign(sunday_evenings, weekdays=[6], start_time="18:00", end_time="23:59")
    await s.assign(monday_nights, weekdays=[0], start_time="00:00", end_time="08:00")
    # Monday 11 Jan 04:30Z is still Sunday 22:30 in Chicago.
    assert await s.on_duty_ids(utc(2027, 1, 11, 4, 30)) == [str(sunday_evenings.id)]
    # Monday 06:00Z is Monday 00:00 in Chicago.
    assert await s.on_duty_ids(utc(2027, 1, 11, 6, 0)) == [str(monday_nights.id)]
    # Sunday 10 Jan 23:59Z is Sunday 17:59 in Chicago: before the Sunday shift.
    assert await s.on_duty_ids(utc(2027, 1, 10, 23, 59)) == []

    # East of UTC the other way round: Monday 08:30 in Auckland is Sunday 19:30Z.
    auckland = await world.office(s.cps, "Pacific/Auckland")
    kiwi = await s.advocate()
    await s.assign(kiwi, office=auckland, weekdays=[0], start_time="08:00", end_time="12:00")
    assert await s.on_duty_ids(utc(2027, 1, 10, 19, 30), office=auckland) == [str(kiwi.id)]
    assert await s.on_duty_ids(utc(2027, 1, 11, 19, 30), office=auckland) == []  # Tuesday there


async def test_date_range_edges_use_the_local_date(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world, "America/Chicago")
    adv = await s.advocate()
    await s.assign(adv, weekdays=[0, 1, 2, 3, 4, 5, 6], start_time="18:00", end_time="23:00",
                   starts_on="2027-01-11", ends_on="2027-01-13")
    me = str(adv.id)
    assert await s.on_duty_ids(utc(2027, 1, 11, 0, 30)) == []      # 10 Jan 18:30 local: before starts_on
    assert await s.on_duty_ids(utc(2027, 1, 12, 0, 0)) == [me]     # 11 Jan 18:00 local: first day
    # 14 Jan 04:30Z is 13 Jan 22:30 local: the last day, although the UTC date is the 14th.
    assert await s.on_duty_ids(utc(2027, 1, 14, 4, 30)) == [me]
    assert await s.on_duty_ids(utc(2027, 1, 15, 0, 30)) == []      # 14 Jan 18:30 local: after ends_on


async def test_at_defaults_to_now_and_must_carry_an_offset(world, clock):
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    adv = await s.advocate()
    await s.assign(adv)
    clock.set(utc(2027, 1, 11, 16))  # Monday 10:00 local
    assert await s.on_duty_ids() == [str(adv.id)]
    clock.set(utc(2027, 1, 16, 16))  # Saturday
    assert await s.on_duty_ids() == []
    r = await world.get(s.cps_worker, f"/api/v1/offices/{s.office.id}/on-duty", params={"at": "2027-01-11T10:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "at"]
    r = await world.get(s.cps_worker, f"/api/v1/offices/{s.office.id}/on-duty", params={"at": "noon"})
    assert r.status_code == 422


async def test_ended_assignment_and_agreement_stop_counting_at_once(world, clock):
    clock.set(utc(2027, 1, 11, 16))
    s = await site(world)
    adv = await s.advocate()
    a = await s.assign(adv)
    assert await s.on_duty_ids() == [str(adv.id)]

    from tests.advocates.helpers import set_agreement_status

    await set_agreement_status(s.agreement_id, "suspended")
    assert await s.on_duty_ids() == []
    await set_agreement_status(s.agreement_id, "active")
    assert await s.on_duty_ids() == [str(adv.id)]

    r = await world.post(s.dv_supervisor, f"{ASSIGNMENTS}/{a['id']}/end")
    assert r.status_code == 200 and r.json()["status"] == "ended" and r.json()["ended_at"]
    assert await s.on_duty_ids() == []
    assert (await world.post(s.dv_supervisor, f"{ASSIGNMENTS}/{a['id']}/end")).status_code == 409


async def test_deactivated_advocate_is_not_on_duty(world, clock):
    clock.set(utc(2027, 1, 11, 16))
    s = await site(world)
    adv = await s.advocate()
    await s.assign(adv)
    admin = await world.user(s.dv, "agency_admin")
    assert (await world.post(admin, f"/api/v1/users/{adv.id}/deactivate")).status_code == 200
    assert await s.on_duty_ids() == []


async def test_who_may_ask(world, clock):
    """CPS staff of the office's agency and staff of an assigned advocate's DV agency; others get 404."""
    clock.set(utc(2027, 1, 11, 16))
    s = await site(world)
    adv = await s.advocate()
    await s.assign(adv)
    me = str(adv.id)
    assert await s.on_duty_ids(actor=s.cps_supervisor) == [me]
    assert await s.on_duty_ids(actor=adv) == [me]
    assert await s.on_duty_ids(actor=s.dv_supervisor) == [me]

    # A second DV agency with its own agreement and advocate here sees only its own advocate.
    dv2 = await world.agency("dv")
    from tests.advocates.helpers import agreement

    await agreement(s.cps, dv2)
    sup2 = await world.user(dv2, "dv_supervisor")
    adv2 = await world.user(dv2, "dv_advocate")
    r = await world.post(sup2, ASSIGNMENTS, {
        "advocate_id": str(adv2.id), "office_id": str(s.office.id), "weekdays": [0], "start_time": "08:00",
        "end_time": "12:00", "starts_on": "2027-01-01", "max_open_consultations": 2})
    assert r.status_code == 201, r.text
    assert await s.on_duty_ids(actor=sup2) == [str(adv2.id)]
    assert sorted(await s.on_duty_ids()) == sorted([me, str(adv2.id)])

    other_cps = await world.user(await world.agency("cps"), "cps_worker")
    partner_no_assignment = await world.agency("dv")
    await agreement(s.cps, partner_no_assignment)
    stranger_dv = await world.user(partner_no_assignment, "dv_supervisor")
    unrelated_dv = await world.user(await world.agency("dv"), "dv_advocate")
    for actor in (other_cps, stranger_dv, unrelated_dv):
        assert (await s.on_duty(actor=actor)).status_code == 404
    # Admin roles do not read the on-duty board.
    assert (await s.on_duty(actor=await world.user(s.cps, "agency_admin"))).status_code == 403
