"""Consultations: opening, routing to the least-loaded advocate on duty, the queue, answering, visibility."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from app.advocates.models import Consultation
from app.core.db import sessionmaker
from app.core.models import IdempotencyRecord
from app.trail.models import AuditEvent
from tests.advocates.helpers import (
    CONSULTATIONS,
    audit_rows,
    events_for,
    set_agreement_status,
    site,
    subscribe,
    utc,
)

MONDAY_10 = utc(2027, 1, 11, 16)  # Monday 10:00 in Chicago
QUESTION = "Mother fears he will learn of the visit; how do we plan it?"


async def _staffed(world, clock, n: int = 2, cap: int = 3, **assign):
    """A site with `n` advocates on duty on weekdays 09:00-17:00 (assigned a minute apart, in order)."""
    clock.set(utc(2027, 1, 4, 12))
    s = await site(world)
    advocates = []
    for i in range(n):
        clock.set(utc(2027, 1, 4, 12, i))
        adv = await s.advocate()
        await s.assign(adv, max_open_consultations=cap, **assign)
        advocates.append(adv)
    clock.set(MONDAY_10)
    return s, advocates


async def test_routed_to_the_least_loaded_advocate_ties_to_the_earliest_assignment(world, clock):
    s, (first, second) = await _staffed(world, clock)
    case = await s.case()
    c1 = await s.consult(case)
    assert c1["status"] == "routed" and c1["advocate_id"] == str(first.id)  # tie: earliest assignment
    c2 = await s.consult(case)
    assert c2["advocate_id"] == str(second.id)                               # 1 vs 0
    c3 = await s.consult(case)
    assert c3["advocate_id"] == str(first.id)                                # 1 vs 1: earliest again
    r = await s.on_duty()
    loads = {i["advocate_id"]: (i["open_consultations"], i["capacity_left"]) for i in r.json()["items"]}
    assert loads == {str(first.id): (2, 1), str(second.id): (1, 2)}
    # A closed consultation no longer counts.
    assert (await world.post(first, f"{CONSULTATIONS}/{c1['id']}/close")).status_code == 200
    assert (await world.post(first, f"{CONSULTATIONS}/{c3['id']}/close")).status_code == 200
    c4 = await s.consult(case)
    assert c4["advocate_id"] == str(first.id)  # 0 vs 1


async def test_queued_when_nobody_has_capacity_then_routed_when_someone_comes_on_duty(world, clock):
    s, (first, second) = await _staffed(world, clock, cap=1)
    afternoons = await s.advocate()
    clock.set(utc(2027, 1, 4, 13))
    await s.assign(afternoons, start_time="13:00", end_time="17:00", max_open_consultations=2)
    clock.set(MONDAY_10)
    case = await s.case()
    c1, c2 = await s.consult(case), await s.consult(case)
    assert {c1["advocate_id"], c2["advocate_id"]} == {str(first.id), str(second.id)}
    c3 = await s.consult(case)
    assert c3["status"] == "queued" and c3["advocate_id"] is None and c3["routed_at"] is None
    # Nothing changes while nobody has room.
    clock.set(utc(2027, 1, 11, 18, 59))  # 12:59 local
    r = await world.get(s.cps_worker, f"{CONSULTATIONS}/{c3['id']}")
    assert r.json()["status"] == "queued"
    # 13:00 local: the afternoon advocate is on site; reading the office's consultations routes the queue.
    clock.set(utc(2027, 1, 11, 19, 0))
    r = await world.get(s.cps_worker, CONSULTATIONS, params={"office_id": str(s.office.id), "status": "routed"})
    routed = {i["id"]: i["advocate_id"] for i in r.json()["items"]}
    assert routed[c3["id"]] == str(afternoons.id)
    r = await world.get(afternoons, f"{CONSULTATIONS}/{c3['id']}")
    assert r.status_code == 200 and r.json()["question"] == "How do we plan the home visit safely?"
    # The routing was done by the system and audited as such.
    route_events = [e for e in await audit_rows(c3["id"]) if e.action == "consultation.route"]
    assert [(e.actor_type, e.agency_id) for e in route_events] == [("system", s.cps.id)]


async def test_queue_goes_most_urgent_then_oldest_first(world, clock):
    s, (adv,) = await _staffed(world, clock, n=1, cap=1)
    case = await s.case()
    busy = await s.consult(case)
    assert busy["advocate_id"] == str(adv.id)
    clock.set(utc(2027, 1, 11, 16, 1))
    routine = await s.consult(case, "routine")
    clock.set(utc(2027, 1, 11, 16, 2))
    urgent_old = await s.consult(case, "urgent")
    clock.set(utc(2027, 1, 11, 16, 3))
    emergency = await s.consult(case, "emergency")
    clock.set(utc(2027, 1, 11, 16, 4))
    urgent_new = await s.consult(case, "urgent")
    assert {c["status"] for c in (routine, urgent_old, emergency, urgent_new)} == {"queued"}

    order = []
    previous = busy
    for _ in range(4):
        # Closing frees her capacity and routes the next one in the office queue at once.
        r = await world.post(adv, f"{CONSULTATIONS}/{previous['id']}/close")
        assert r.status_code == 200
        r = await world.get(adv, CONSULTATIONS, params={"status": "routed"})
        (item,) = r.json()["items"]
        order.append(item["id"])
        previous = item
    assert order == [emergency["id"], urgent_old["id"], urgent_new["id"], routine["id"]]


async def test_suspended_agreement_stops_routing(world, clock):
    s, (adv,) = await _staffed(world, clock, n=1)
    case = await s.case()
    routed = await s.consult(case)
    assert routed["advocate_id"] == str(adv.id)

    await set_agreement_status(s.agreement_id, "suspended")
    queued = await s.consult(case)
    assert queued["status"] == "queued"
    assert (await s.on_duty()).json()["items"] == []
    # While suspended the advocate's side of the partnership is closed: she cannot see or act on either.
    assert (await world.get(adv, f"{CONSULTATIONS}/{routed['id']}")).status_code == 404
    assert (await world.post(adv, f"{CONSULTATIONS}/{routed['id']}/accept")).status_code == 404
    assert (await world.get(adv, CONSULTATIONS)).json()["items"] == []
    # A supervisor cannot route around it either: 409 naming the missing agreement.
    r = await world.post(s.cps_supervisor, f"{CONSULTATIONS}/{queued['id']}/route", {"advocate_id": str(adv.id)})
    assert r.status_code == 409 and "missing_agreement" in r.json()
    r = await world.get(s.cps_worker, f"{CONSULTATIONS}/{queued['id']}")
    assert r.json()["status"] == "queued"

    await set_agreement_status(s.agreement_id, "active")
    r = await world.get(s.cps_worker, f"{CONSULTATIONS}/{queued['id']}")
    assert r.json()["status"] == "routed" and r.json()["advocate_id"] == str(adv.id)
    assert (await world.post(adv, f"{CONSULTATIONS}/{routed['id']}/accept")).status_code == 200


async def test_accept_respond_close_and_what_each_side_sees(world, clock):
    s, (adv,) = await _staffed(world, clock, n=1)
    await subscribe(s.cps)
    await subscribe(s.dv)
    case = await s.case()
    await world.person(s.cps_worker, case["id"], full_name="Dana Survivor",
                       address={"line1": "9 Hidden Way", "kind": "actual"})
    c = await s.consult(case, "urgent", question=QUESTION)
    url = f"{CONSULTATIONS}/{c['id']}"
    assert c["case_reference"] == case["reference"] and c["question"] == QUESTION and c["urgency"] == "urgent"

    # Wrong order is 409; only the advocate it is routed to acts on it.
    assert (await world.post(adv, f"{url}/respond", {"advice": "x"})).status_code == 409
    colleague = await s.advocate()
    assert (await world.post(colleague, f"{url}/accept")).status_code == 404   # not routed to her
    assert (await world.post(s.dv_supervisor, f"{url}/accept")).status_code == 403  # sees it, not hers
    assert (await world.post(s.cps_worker, f"{url}/accept")).status_code == 403
    etag = (await world.get(adv, url)).headers["etag"]
    assert (await world.post(adv, f"{url}/accept", headers={"If-Match": 'W/"x.1"'})).status_code == 412
    r = await world.post(adv, f"{url}/accept", headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["accepted_at"]
    assert (await world.post(adv, f"{url}/accept")).status_code == 409

    advice = "Meet her at the school, not at home; agree a code word first."
    r = await world.post(adv, f"{url}/respond", {"advice": advice,
                                                "suggested_checklist_items": ["safe_contact_plan", "no_joint_interview"]})
    assert r.status_code == 200 and r.json()["status"] == "responded"
    bad = await world.post(adv, f"{url}/respond", {"advice": advice, "suggested_checklist_items": ["Not A Key"]})
    assert bad.status_code == 422

    # The CPS worker reads the advice.
    r = await world.get(s.cps_worker, url)
    body = r.json()
    assert body["advice"] == advice and body["suggested_checklist_items"] == ["safe_contact_plan", "no_joint_interview"]
    assert body["responded_at"] and body["requested_by"] == str(s.cps_worker.id)
    # The advocate sees the case id and reference and nothing about the people in it.
    r = await world.get(adv, url)
    text = r.text
    assert "Dana" not in text and "Hidden" not in text and r.json()["case_id"] == case["id"]
    assert (await world.get(adv, f"/api/v1/cases/{case['id']}")).status_code == 404
    assert (await world.get(adv, f"/api/v1/cases/{case['id']}/people")).status_code == 404

    # List rows never carry the question or the advice.
    for actor in (s.cps_worker, adv, s.dv_supervisor):
        r = await world.get(actor, CONSULTATIONS)
        (row,) = [i for i in r.json()["items"] if i["id"] == c["id"]]
        assert "question" not in row and "advice" not in row and QUESTION not in r.text and advice not in r.text

    r = await world.post(adv, f"{url}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_at"]
    assert (await world.post(adv, f"{url}/close")).status_code == 409

    # Each agency's chain in its order (the frozen clock gives no order across the two chains).
    rows = [e for e in await audit_rows(c["id"]) if e.action != "consultation.read"]
    assert [e.action for e in rows if e.agency_id == s.cps.id] == ["consultation.open", "consultation.route"]
    assert [e.action for e in rows if e.agency_id == s.dv.id] == ["consultation.accept", "consultation.respond",
                                                                  "consultation.close"]
    cps_events = [t for t, _ in await events_for(s.cps, c["id"])]
    dv_events = [t for t, _ in await events_for(s.dv, c["id"])]
    # (the clock is frozen, so events of one test share a timestamp: compare them as sets)
    assert sorted(cps_events) == sorted(["consultation.opened", "consultation.routed", "consultation.accepted",
                                         "consultation.responded", "consultation.closed"])
    assert sorted(dv_events) == sorted(set(cps_events) - {"consultation.opened"})
    for _, data in await events_for(s.cps, c["id"]):
        assert set(data) <= {"consultation_id", "office_id", "advocate_id"}

    # Free text is sealed at rest and kept out of the audit trail and the idempotency records.
    async with sessionmaker()() as db:
        row = (await db.execute(sa.select(Consultation).where(Consultation.id == uuid.UUID(c["id"])))).scalar_one()
        assert QUESTION not in row.question_enc and advice not in (row.advice_enc or "")
        assert row.question_enc.startswith("v2:")
        audit_text = json.dumps([str(e.__dict__) for e in (await db.execute(
            sa.select(AuditEvent).where(AuditEvent.object_id == c["id"]))).scalars()])
        assert QUESTION not in audit_text and advice not in audit_text


async def test_idempotent_open_keeps_no_question_in_plaintext(world, clock):
    s, _ = await _staffed(world, clock, n=1)
    case = await s.case()
    body = {"case_id": case["id"], "office_id": str(s.office.id), "question": QUESTION, "urgency": "routine"}
    h = {"Idempotency-Key": "consult-1"}
    r1 = await world.post(s.cps_worker, CONSULTATIONS, body, headers=h)
    r2 = await world.post(s.cps_worker, CONSULTATIONS, body, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"] and r2.json()["question"] == QUESTION
    async with sessionmaker()() as db:
        stored = (await db.execute(sa.select(IdempotencyRecord.__table__).where(
            IdempotencyRecord.owner == f"user:{s.cps_worker.id}"))).mappings().all()
        assert [str(x["resource_id"]) for x in stored] == [r1.json()["id"]]
        assert all(QUESTION not in str(dict(x)) for x in stored)


async def test_worker_not_on_the_case_cannot_open(world, clock):
    s, _ = await _staffed(world, clock, n=1)
    case = await s.case()
    outsider = await world.user(s.cps, "cps_worker")
    body = {"case_id": case["id"], "office_id": str(s.office.id), "question": "q", "urgency": "routine"}
    assert (await world.post(outsider, CONSULTATIONS, body)).status_code == 404
    # Nor can another agency's worker, nor an advocate, nor an admin.
    other = await world.user(await world.agency("cps"), "cps_worker")
    assert (await world.post(other, CONSULTATIONS, body)).status_code == 404
    adv = await s.advocate()
    assert (await world.post(adv, CONSULTATIONS, body)).status_code == 403
    assert (await world.post(await world.user(s.cps, "agency_admin"), CONSULTATIONS, body)).status_code == 403
    # Once on the team they can; and they see it, while the outsider does not see the first one.
    assert (await world.post(s.cps_supervisor, f"/api/v1/cases/{case['id']}/team/{outsider.id}")).status_code == 201
    r = await world.post(outsider, CONSULTATIONS, body)
    assert r.status_code == 201
    # The office must belong to the case's agency; the urgency must be known.
    foreign_office = await world.office(await world.agency("cps"))
    assert (await world.post(s.cps_worker, CONSULTATIONS, {**body, "office_id": str(foreign_office.id)})
            ).status_code == 422
    assert (await world.post(s.cps_worker, CONSULTATIONS, {**body, "urgency": "whenever"})).status_code == 422
    assert (await world.post(s.cps_worker, CONSULTATIONS, {**body, "question": ""})).status_code == 422


async def test_another_dv_agency_advocate_gets_404(world, clock):
    s, (adv,) = await _staffed(world, clock, n=1)
    case = await s.case()
    c = await s.consult(case)
    url = f"{CONSULTATIONS}/{c['id']}"
    from tests.advocates.helpers import agreement

    dv2 = await world.agency("dv")
    await agreement(s.cps, dv2)  # even a partner of the same CPS agency
    outsider = await world.user(dv2, "dv_advocate")
    outsider_sup = await world.user(dv2, "dv_supervisor")
    for actor in (outsider, outsider_sup):
        assert (await world.get(actor, url)).status_code == 404
        for action in ("accept", "close"):
            assert (await world.post(actor, f"{url}/{action}")).status_code == 404
        assert (await world.post(actor, f"{url}/respond", {"advice": "x"})).status_code == 404
        assert c["id"] not in (await world.get(actor, CONSULTATIONS)).text
    # Their own supervisor sees it; a CPS worker of another agency does not.
    assert (await world.get(s.dv_supervisor, url)).status_code == 200
    assert (await world.get(await world.user(await world.agency("cps"), "cps_worker"), url)).status_code == 404


async def test_supervisor_routes_to_a_named_advocate_of_the_office(world, clock):
    s, (on_duty,) = await _staffed(world, clock, n=1)
    weekend = await s.advocate()
    await s.assign(weekend, weekdays=[5, 6])  # assigned here, not on duty on Monday
    case = await s.case()
    c = await s.consult(case)
    assert c["advocate_id"] == str(on_duty.id)
    url = f"{CONSULTATIONS}/{c['id']}/route"
    assert (await world.post(s.cps_worker, url, {"advocate_id": str(weekend.id)})).status_code == 403
    unassigned = await s.advocate()
    r = await world.post(s.cps_supervisor, url, {"advocate_id": str(unassigned.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "advocate_id"]
    r = await world.post(s.cps_supervisor, url, {"advocate_id": str(weekend.id)})
    assert r.status_code == 200 and r.json()["advocate_id"] == str(weekend.id) and r.json()["status"] == "routed"
    # The first advocate no longer sees it; the named one does and can take it.
    assert (await world.get(on_duty, f"{CONSULTATIONS}/{c['id']}")).status_code == 404
    assert (await world.post(weekend, f"{CONSULTATIONS}/{c['id']}/accept")).status_code == 200
    # Once accepted it is no longer routed elsewhere.
    r = await world.post(s.cps_supervisor, url, {"advocate_id": str(on_duty.id)})
    assert r.status_code == 409
    route = [e for e in await audit_rows(c["id"]) if e.action == "consultation.route"]
    assert [e.actor_id for e in route] == [None, str(s.cps_supervisor.id)]


async def test_list_filters_and_boxes(world, clock):
    s, (adv,) = await _staffed(world, clock, n=1, cap=1)
    case = await s.case()
    mine = await s.consult(case)
    colleague = await world.user(s.cps, "cps_worker")
    assert (await world.post(s.cps_supervisor, f"/api/v1/cases/{case['id']}/team/{colleague.id}")).status_code == 201
    clock.set(utc(2027, 1, 11, 16, 5))
    theirs = await s.consult(case, actor=colleague)
    assert theirs["status"] == "queued"

    async def ids(actor, **params):
        r = await world.get(actor, CONSULTATIONS, params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(s.cps_worker) == [theirs["id"], mine["id"]]  # newest first
    assert await ids(s.cps_worker, box="mine") == [mine["id"]]
    assert await ids(s.cps_worker, status="queued") == [theirs["id"]]
    assert await ids(adv) == [mine["id"]]
    assert await ids(adv, box="mine") == [mine["id"]]
    assert await ids(s.dv_supervisor) == [mine["id"]]
    assert await ids(s.cps_supervisor, office_id=str(s.office.id)) == [theirs["id"], mine["id"]]
    r = await world.get(s.cps_worker, CONSULTATIONS, params={"limit": 1})
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"]
    r2 = await world.get(s.cps_worker, CONSULTATIONS, params={"limit": 1, "cursor": r.json()["next_cursor"]})
    assert [i["id"] for i in r2.json()["items"]] == [mine["id"]]
    assert (await world.get(s.cps_worker, CONSULTATIONS, params={"status": "lost"})).status_code == 422
    # The CPS side may close a consultation it no longer needs, even while it waits.
    r = await world.post(colleague, f"{CONSULTATIONS}/{theirs['id']}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"


async def test_concurrent_opens_never_exceed_capacity(world, clock):
    """Many consultations opened at once at one office: each advocate gets at most her cap, the rest queue."""
    import asyncio
    from collections import Counter

    s, (first, second) = await _staffed(world, clock, cap=2)
    case = await s.case()
    body = {"case_id": case["id"], "office_id": str(s.office.id), "question": "q", "urgency": "routine"}
    results = await asyncio.gather(*[world.post(s.cps_worker, CONSULTATIONS, body) for _ in range(7)])
    assert [r.status_code for r in results] == [201] * 7, [r.text for r in results if r.status_code != 201]
    got = Counter(r.json()["advocate_id"] for r in results)
    assert got == {str(first.id): 2, str(second.id): 2, None: 3}
    loads = {i["advocate_id"]: i["open_consultations"] for i in (await s.on_duty()).json()["items"]}
    assert loads == {str(first.id): 2, str(second.id): 2}


async def test_background_pass_routes_the_queue_without_any_read(world, clock):
    """The worker inside `tandem serve` routes queued consultations once someone comes on duty."""
    from app.advocates.models import Consultation
    from app.advocates.routing import route_all_queued
    from app.core.db import sessionmaker

    s, (first,) = await _staffed(world, clock, n=1, cap=1)
    afternoons = await s.advocate()
    clock.set(utc(2027, 1, 4, 13))
    await s.assign(afternoons, start_time="13:00", end_time="17:00", max_open_consultations=1)
    clock.set(MONDAY_10)
    case = await s.case()
    await s.consult(case)
    waiting = await s.consult(case)
    assert waiting["status"] == "queued"
    clock.set(utc(2027, 1, 11, 18, 59))  # 12:59 local: nobody has room yet
    await route_all_queued()
    clock.set(utc(2027, 1, 11, 19, 0))  # 13:00 local
    assert await route_all_queued() >= 1
    async with sessionmaker()() as session:
        row = await session.get(Consultation, uuid.UUID(waiting["id"]))
    assert row.status == "routed" and row.advocate_id == afternoons.id
