"""Court events through the API: create / read / update / list, findings naming people of the case (and
failure_to_protect counted against whom), sealing at rest, 404 across agencies, 412 and 422 that change nothing,
and release under `court` (with the next hearing) through the disclosure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.court.models import CourtEvent, CourtFinding, event_aad
from app.outbox.models import WebhookEvent
from tests.consent.helpers import audit_rows, build_scene, uid

CASE_NO = "26JU0Q7731"
ROOM = "Courtroom 4C"
GAL = "Priya Guardianname"
LAWYER = "Morgan Counselname"
DETAILS = "Father's assaults in front of the children"
SECRETS = [CASE_NO, ROOM, GAL, LAWYER, "Counselname", DETAILS]


def _at(days: int, hour: int = 16) -> str:
    d = (utcnow() + timedelta(days=days)).date()
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC).isoformat().replace("+00:00", "Z")


async def _family(s: Any) -> dict[str, Any]:
    child = await s.world.person(s["advocate"], s.case["id"], case_role="child", full_name="Child Example")
    him = await s.world.person(s["advocate"], s.case["id"], case_role="person_using_violence",
                               full_name="Father Example")
    return {"child": child, "him": him}


def _body(people: dict[str, Any], survivor: dict[str, Any], **over: Any) -> dict[str, Any]:
    body = {
        "court_case_number": CASE_NO, "court_kind": "dependency", "kind": "adjudication",
        "scheduled_for": _at(-3), "courtroom": ROOM, "outcome": "held",
        "findings": [{"code": "dv_perpetrated", "against_person_id": people["him"]["id"], "details": DETAILS},
                     {"code": "failure_to_protect", "against_person_id": survivor["id"]},
                     {"code": "jurisdiction_established"}],
        "attorneys": [{"name": LAWYER, "represents": "adult_survivor"}], "guardian_ad_litem": GAL,
    }
    body.update(over)
    return body


async def _events(case: dict[str, Any]) -> list[CourtEvent]:
    async with sessionmaker()() as s:
        return list((await s.execute(sa.select(CourtEvent).where(CourtEvent.case_id == uid(case["id"])))).scalars())


async def test_create_read_update_list(client, world):
    s = await build_scene(world)
    people = await _family(s)
    await world.webhook(s.dv, "court_event.*")
    url = f"/api/v1/cases/{s.case['id']}/court-events"
    r = await s.post("advocate", url, _body(people, s.survivor))
    assert r.status_code == 201, r.text
    event = r.json()
    assert r.headers["ETag"] == f'W/"{event["id"]}.1"'
    assert (event["agency_id"], event["case_id"]) == (str(s.dv.id), s.case["id"])
    assert (event["court_case_number"], event["courtroom"], event["guardian_ad_litem"]) == (CASE_NO, ROOM, GAL)
    assert event["findings"] == [
        {"code": "dv_perpetrated", "against_person_id": people["him"]["id"], "details": DETAILS},
        {"code": "failure_to_protect", "against_person_id": s.survivor["id"], "details": None},
        {"code": "jurisdiction_established", "against_person_id": None, "details": None}]
    assert event["attorneys"] == [{"name": LAWYER, "represents": "adult_survivor"}]

    one = f"/api/v1/court-events/{event['id']}"
    r = await s.get("advocate", one)
    assert r.status_code == 200 and r.json() == event

    r = await world.patch(s["advocate"], one, {"outcome": "continued"}, headers={"If-Match": 'W/"nope.7"'})
    assert r.status_code == 412
    r = await world.patch(s["advocate"], one, {"findings": [{"code": "dv_perpetrated",
                                                              "against_person_id": people["him"]["id"]}],
                                               "courtroom": None},
                          headers={"If-Match": f'W/"{event["id"]}.1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'W/"{event["id"]}.2"'
    updated = r.json()
    assert updated["findings"] == [{"code": "dv_perpetrated", "against_person_id": people["him"]["id"],
                                    "details": None}]
    assert (updated["courtroom"], updated["outcome"], updated["guardian_ad_litem"]) == (None, "held", GAL)
    async with sessionmaker()() as session:
        codes = (await session.execute(sa.select(CourtFinding.code).where(
            CourtFinding.court_event_id == uid(event["id"])))).scalars().all()
    assert codes == ["dv_perpetrated"]  # the old findings are gone, not left beside the new ones

    r = await s.post("advocate", url, {"court_kind": "family", "kind": "custody", "scheduled_for": _at(20)})
    assert r.status_code == 201, r.text
    later = r.json()
    assert (later["findings"], later["attorneys"], later["outcome"]) == ([], [], None)
    r = await s.get("advocate", url)
    items = r.json()["items"]
    assert [i["id"] for i in items] == [later["id"], event["id"]]
    assert set(items[0]) == {"id", "case_id", "court_kind", "kind", "scheduled_for", "outcome", "created_at",
                             "updated_at"}
    assert not [x for x in SECRETS if x in r.text]

    assert [e.action for e in await audit_rows(object_id=event["id"])] == [
        "court_event.create", "court_event.read", "court_event.update"]
    async with sessionmaker()() as session:
        hooks = (await session.execute(sa.select(WebhookEvent).where(WebhookEvent.agency_id == s.dv.id)
                                       .order_by(WebhookEvent.created_at))).scalars().all()
    assert [h.type for h in hooks] == ["court_event.created", "court_event.updated", "court_event.created"]
    assert hooks[0].data == {"court_event_id": event["id"], "case_id": s.case["id"]}


async def test_failure_to_protect_findings_can_be_counted_against_survivors(client, world):
    """What the report needs: each failure_to_protect finding, the person it is against and that person's role."""
    s = await build_scene(world)
    people = await _family(s)
    r = await s.post("advocate", f"/api/v1/cases/{s.case['id']}/court-events", _body(people, s.survivor))
    assert r.status_code == 201
    async with sessionmaker()() as session:
        rows = (await session.execute(
            sa.select(CourtFinding.code, Person.case_role, CourtEvent.scheduled_for)
            .join(Person, Person.id == CourtFinding.against_person_id)
            .join(CourtEvent, CourtEvent.id == CourtFinding.court_event_id)
            .where(CourtFinding.case_id == uid(s.case["id"])).order_by(CourtFinding.position))).all()
    assert [(code, role) for code, role, _ in rows] == [("dv_perpetrated", "person_using_violence"),
                                                        ("failure_to_protect", "adult_survivor")]
    assert rows[1][2].isoformat().replace("+00:00", "Z") == _at(-3)


async def test_bad_input_is_422_and_writes_nothing(client, world):
    s = await build_scene(world)
    people = await _family(s)
    other_case = await world.case(s["advocate"])
    stranger = await world.person(s["advocate"], other_case["id"], full_name="Someone Else")
    url = f"/api/v1/cases/{s.case['id']}/court-events"
    bad = [
        ({"findings": [{"code": "failure_to_protect", "against_person_id": stranger["id"]}]},
         ["body", "findings", 0, "against_person_id"]),
        ({"findings": [{"code": "failure_to_protect"}]}, ["body", "findings", 0]),
        ({"findings": [{"code": "bad_mother"}]}, ["body", "findings", 0, "code"]),
        ({"court_kind": "traffic"}, ["body", "court_kind"]),
        ({"kind": "tea_party"}, ["body", "kind"]),
        ({"outcome": "won"}, ["body", "outcome"]),
        ({"scheduled_for": "2026-13-01T10:00:00Z"}, ["body", "scheduled_for"]),
        ({"scheduled_for": "2026-03-01T10:00:00"}, ["body", "scheduled_for"]),
        ({"attorneys": [{"name": LAWYER, "represents": "judge"}]}, ["body", "attorneys", 0, "represents"]),
    ]
    for over, loc in bad:
        r = await s.post("advocate", url, _body(people, s.survivor, **over))
        assert r.status_code == 422, (over, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (over, r.json()["errors"])
        assert not [x for x in SECRETS if x in r.text]
    assert await _events(s.case) == []

    event = (await s.post("advocate", url, _body(people, s.survivor))).json()
    one = f"/api/v1/court-events/{event['id']}"
    for body in ({"kind": None}, {"scheduled_for": None}, {"findings": None},
                 {"findings": [{"code": "abuse", "against_person_id": stranger["id"]}]}):
        r = await world.patch(s["advocate"], one, body)
        assert r.status_code == 422, (body, r.text)
    assert (await s.get("advocate", one)).json() == event
    assert (await _events(s.case))[0].version == 1


async def test_another_agency_and_others_off_the_team_get_404(client, world):
    s = await build_scene(world)
    people = await _family(s)
    url = f"/api/v1/cases/{s.case['id']}/court-events"
    event = (await s.post("advocate", url, _body(people, s.survivor))).json()
    one = f"/api/v1/court-events/{event['id']}"
    for actor in ("cps_worker", "cps_supervisor", "third_worker", "dv_other_advocate"):
        assert (await s.get(actor, one)).status_code == 404, actor
        assert (await world.patch(s[actor], one, {"outcome": "dismissed"})).status_code == 404, actor
        assert (await s.get(actor, url)).status_code == 404, actor
        assert (await s.post(actor, url, _body(people, s.survivor))).status_code == 404, actor
    assert (await s.get("dv_supervisor", one)).status_code == 200
    assert (await s.get("dv_admin", one)).status_code == 403
    assert len(await _events(s.case)) == 1


async def test_sealed_at_rest(client, world):
    from app.core.crypto import decrypt_json

    s = await build_scene(world)
    people = await _family(s)
    event = (await s.post("advocate", f"/api/v1/cases/{s.case['id']}/court-events",
                          _body(people, s.survivor))).json()
    async with sessionmaker()() as session:
        e, f = CourtEvent.__table__, CourtFinding.__table__
        row = dict((await session.execute(sa.select(e).where(e.c.id == uid(event["id"])))).mappings().one())
        findings = (await session.execute(sa.select(f).where(f.c.court_event_id == uid(event["id"])))).mappings().all()
    raw = " ".join(str(v) for v in [*row.values(), *(v for fr in findings for v in fr.values())])
    assert not [x for x in SECRETS if x in raw]
    assert decrypt_json(row["court_case_number_enc"], event_aad(row["id"], "court_case_number")) == CASE_NO


async def test_released_with_the_next_hearing(client, world):
    s = await build_scene(world)
    people = await _family(s)
    await s.agreement()
    await s.consent(categories=["identity", "protective_orders"])
    cats = ["court"]
    body = (await s.disclose(categories=cats, purpose="court_proceedings")).json()
    assert body["withheld"] == [{"category": "court", "reason": "category_not_consented"}]

    await s.consent(categories=["court"])
    body = (await s.disclose(categories=cats, purpose="court_proceedings")).json()
    assert body["withheld"] == [{"category": "court", "reason": "no_data"}]

    url = f"/api/v1/cases/{s.case['id']}/court-events"
    past = (await s.post("advocate", url, _body(people, s.survivor))).json()
    cancelled = (await s.post("advocate", url, {"court_kind": "dependency", "kind": "disposition",
                                                "scheduled_for": _at(5), "outcome": "cancelled"})).json()
    nxt = (await s.post("advocate", url, {"court_kind": "dependency", "kind": "disposition",
                                          "scheduled_for": _at(12), "courtroom": ROOM})).json()
    later = (await s.post("advocate", url, {"court_kind": "family", "kind": "custody",
                                            "scheduled_for": _at(40)})).json()

    r = await s.disclose(categories=cats, purpose="court_proceedings")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == [] and body["released_basis"] == {"court": "consent"}
    released = body["released"]["court"]
    assert [e["id"] for e in released["events"]] == [past["id"], cancelled["id"], nxt["id"], later["id"]]
    assert released["next_hearing"]["id"] == nxt["id"]
    assert released["next_hearing"]["scheduled_for"] == _at(12)
    assert released["next_hearing"]["courtroom"] == ROOM
    first = released["events"][0]
    assert first["findings"] == past["findings"] and first["court_case_number"] == CASE_NO
    assert set(first) == {"id", "court_case_number", "court_kind", "kind", "scheduled_for", "courtroom", "outcome",
                          "outcome_details", "findings", "attorneys", "guardian_ad_litem"}
    meta = body["released_meta"]["court"]
    assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == []
    assert meta["as_of"].replace("Z", "+00:00")[:19] == later["created_at"].replace("Z", "+00:00")[:19]

    # A court event is a case record: every person of the case carries it, the child too.
    await s.consent(person=people["child"], categories=["court"],
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await s.disclose(categories=cats, purpose="court_proceedings", person=people["child"])
    assert r.json()["released"]["court"]["next_hearing"]["id"] == nxt["id"]

    rows = await s.accounting()
    assert rows[0]["categories_released"] == ["court"]
    assert [row["outcome"] for row in rows] == ["released", "withheld", "withheld"]
