"""Assessments through the API: create / read / update / list, result levels checked per instrument, the
predominant-aggressor determination, no item-by-item answers, sealing at rest, 404 across agencies, 412 and
422 that change nothing, and release under `assessments` through the disclosure rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.assessments.models import Assessment, assessment_aad
from app.assessments.schemas import RESULT_LEVELS, Instrument
from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from tests.consent.helpers import audit_rows, build_scene, uid

ASSESSOR = "Dana Assessorname"
BASIS = "Her injuries were defensive; his pattern of control over months"
SECRETS = [ASSESSOR, "Assessorname", BASIS, "defensive"]


def _at(hours: int) -> str:
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _da(**over: Any) -> dict[str, Any]:
    return {"instrument": "danger_assessment", "administered_at": _at(-48), "result_level": "severe_danger",
            "assessor_name": ASSESSOR, **over}


async def _rows(person: dict[str, Any]) -> list[Assessment]:
    async with sessionmaker()() as s:
        return list((await s.execute(sa.select(Assessment).where(
            Assessment.person_id == uid(person["id"])))).scalars())


async def test_create_read_update_list(client, world):
    s = await build_scene(world)
    await world.webhook(s.dv, "assessment.*")
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    r = await s.post("advocate", url, _da())
    assert r.status_code == 201, r.text
    a = r.json()
    assert r.headers["ETag"] == f'W/"{a["id"]}.1"'
    assert (a["agency_id"], a["case_id"], a["person_id"]) == (str(s.dv.id), s.case["id"], s.survivor["id"])
    assert (a["instrument"], a["result_level"], a["assessor_name"]) == ("danger_assessment", "severe_danger",
                                                                         ASSESSOR)
    assert a["recorded_by"] == str(s["advocate"].id)
    assert (a["determined_person_id"], a["basis"]) == (None, None)

    one = f"/api/v1/assessments/{a['id']}"
    r = await s.get("advocate", one)
    assert r.status_code == 200 and r.json() == a

    r = await world.patch(s["advocate"], one, {"result_level": "extreme_danger"}, headers={"If-Match": 'W/"x.3"'})
    assert r.status_code == 412
    r = await world.patch(s["advocate"], one, {"result_level": "extreme_danger", "assessor_name": None},
                          headers={"If-Match": f'W/"{a["id"]}.1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'W/"{a["id"]}.2"'
    assert (r.json()["result_level"], r.json()["assessor_name"]) == ("extreme_danger", None)

    r = await s.post("dv_supervisor", url, {"instrument": "lethality_screen", "administered_at": _at(-1),
                                            "result_level": "screened_in"})
    assert r.status_code == 201, r.text
    second = r.json()
    r = await s.get("advocate", url)
    items = r.json()["items"]
    assert [i["id"] for i in items] == [second["id"], a["id"]]
    assert set(items[0]) == {"id", "case_id", "person_id", "instrument", "result_level", "administered_at",
                             "created_at", "updated_at"}
    assert not [x for x in SECRETS if x in r.text]

    assert [e.action for e in await audit_rows(object_id=a["id"])] == [
        "assessment.create", "assessment.read", "assessment.update"]
    async with sessionmaker()() as session:
        hooks = (await session.execute(sa.select(WebhookEvent).where(WebhookEvent.agency_id == s.dv.id)
                                       .order_by(WebhookEvent.created_at))).scalars().all()
    assert [h.type for h in hooks] == ["assessment.created", "assessment.updated", "assessment.created"]
    assert hooks[0].data == {"assessment_id": a["id"], "case_id": s.case["id"], "person_id": s.survivor["id"]}


async def test_each_instrument_takes_its_own_levels(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    for instrument, levels in RESULT_LEVELS.items():
        if instrument is Instrument.predominant_aggressor:
            continue
        r = await s.post("advocate", url, {"instrument": instrument.value, "administered_at": _at(-2),
                                           "result_level": levels[-1].value})
        assert r.status_code == 201, (instrument, r.text)
    for instrument, level in (("cps_safety_assessment", "severe_danger"), ("danger_assessment", "unsafe"),
                              ("lethality_screen", "high"), ("cps_risk_assessment", "safe")):
        r = await s.post("advocate", url, {"instrument": instrument, "administered_at": _at(-2),
                                           "result_level": level})
        assert r.status_code == 422, (instrument, level)
        assert r.json()["errors"][0]["loc"] == ["body", "result_level"]
        assert r.json()["errors"][0]["type"] == "result_level_not_for_instrument"
    assert len(await _rows(s.survivor)) == len(RESULT_LEVELS) - 1


async def test_predominant_aggressor_determination(client, world):
    s = await build_scene(world)
    him = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="Him")
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    r = await s.post("advocate", url, {"instrument": "predominant_aggressor", "administered_at": _at(-5),
                                       "result_level": "determined", "determined_person_id": him["id"],
                                       "basis": BASIS})
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["determined_person_id"], d["basis"], d["result_level"]) == (him["id"], BASIS, "determined")
    # Undetermined: no person named; the determined person may be cleared only with the level.
    r = await world.patch(s["advocate"], f"/api/v1/assessments/{d['id']}", {"result_level": "not_determined"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "determined_person_id"]
    r = await world.patch(s["advocate"], f"/api/v1/assessments/{d['id']}",
                          {"result_level": "not_determined", "determined_person_id": None})
    assert r.status_code == 200, r.text
    assert (r.json()["determined_person_id"], r.json()["basis"]) == (None, BASIS)


async def test_bad_input_is_422_and_writes_nothing(client, world):
    s = await build_scene(world)
    him = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="Him")
    other_case = await world.case(s["advocate"])
    stranger = await world.person(s["advocate"], other_case["id"], full_name="Someone Else")
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    pa = {"instrument": "predominant_aggressor", "administered_at": _at(-5), "result_level": "determined"}
    bad = [
        (_da(answers=[{"item": 1, "answer": "yes"}]), ["body", "answers"]),
        (_da(items={"q1": True}), ["body", "items"]),
        (_da(instrument="astrology"), ["body", "instrument"]),
        (_da(result_level="catastrophic"), ["body", "result_level"]),
        (_da(administered_at=_at(48)), ["body", "administered_at"]),
        (_da(administered_at="yesterday"), ["body", "administered_at"]),
        (_da(determined_person_id=him["id"]), ["body", "determined_person_id"]),
        (_da(basis=BASIS), ["body", "basis"]),
        (pa, ["body", "determined_person_id"]),
        ({**pa, "determined_person_id": stranger["id"], "basis": BASIS}, ["body", "determined_person_id"]),
        ({**pa, "result_level": "not_determined", "determined_person_id": him["id"]},
         ["body", "determined_person_id"]),
    ]
    for body, loc in bad:
        r = await s.post("advocate", url, body)
        assert r.status_code == 422, (body, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (body, r.json()["errors"])
        assert not [x for x in SECRETS if x in r.text]
    assert await _rows(s.survivor) == []

    a = (await s.post("advocate", url, _da())).json()
    one = f"/api/v1/assessments/{a['id']}"
    for body in ({"instrument": None}, {"result_level": None}, {"administered_at": None},
                 {"instrument": "cps_safety_assessment"}, {"answers": {"q1": 3}}):
        r = await world.patch(s["advocate"], one, body)
        assert r.status_code == 422, (body, r.text)
    assert (await s.get("advocate", one)).json() == a
    assert (await _rows(s.survivor))[0].version == 1


async def test_another_agency_and_others_off_the_team_get_404(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    a = (await s.post("advocate", url, _da())).json()
    one = f"/api/v1/assessments/{a['id']}"
    for actor in ("cps_worker", "cps_supervisor", "third_worker", "dv_other_advocate"):
        assert (await s.get(actor, one)).status_code == 404, actor
        assert (await world.patch(s[actor], one, {"result_level": "variable_danger"})).status_code == 404, actor
        assert (await s.get(actor, url)).status_code == 404, actor
        assert (await s.post(actor, url, _da())).status_code == 404, actor
    assert (await s.get("dv_supervisor", one)).status_code == 200
    assert (await s.get("dv_admin", one)).status_code == 403
    assert len(await _rows(s.survivor)) == 1


async def test_sealed_at_rest(client, world):
    from app.core.crypto import decrypt_json

    s = await build_scene(world)
    him = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="Him")
    a = (await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/assessments", {
        "instrument": "predominant_aggressor", "administered_at": _at(-5), "result_level": "determined",
        "determined_person_id": him["id"], "basis": BASIS, "assessor_name": ASSESSOR})).json()
    async with sessionmaker()() as session:
        t = Assessment.__table__
        row = dict((await session.execute(sa.select(t).where(t.c.id == uid(a["id"])))).mappings().one())
    raw = " ".join(str(v) for v in row.values())
    assert not [x for x in SECRETS if x in raw]
    assert decrypt_json(row["basis_enc"], assessment_aad(row["id"], "basis")) == BASIS


async def test_released_through_the_disclosure_rule(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity"])
    cats = ["assessments"]
    body = (await s.disclose(categories=cats)).json()
    assert body["withheld"] == [{"category": "assessments", "reason": "category_not_consented"}]
    await s.consent(categories=["assessments"])
    body = (await s.disclose(categories=cats)).json()
    assert body["withheld"] == [{"category": "assessments", "reason": "no_data"}]

    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    older = (await s.post("advocate", url, _da())).json()
    newer = (await s.post("advocate", url, {"instrument": "lethality_screen", "administered_at": _at(-1),
                                            "result_level": "screened_in"})).json()
    r = await s.disclose(categories=cats)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == [] and body["released_basis"] == {"assessments": "consent"}
    assert body["released"]["assessments"]["assessments"] == [
        {"id": newer["id"], "instrument": "lethality_screen", "administered_at": newer["administered_at"],
         "result_level": "screened_in", "assessor": "Test User", "determined_person_id": None, "basis": None},
        {"id": older["id"], "instrument": "danger_assessment", "administered_at": older["administered_at"],
         "result_level": "severe_danger", "assessor": ASSESSOR, "determined_person_id": None, "basis": None},
    ]
    meta = body["released_meta"]["assessments"]
    assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == []
    assert meta["as_of"].replace("Z", "+00:00")[:19] == newer["created_at"].replace("Z", "+00:00")[:19]
    rows = await s.accounting()
    assert rows[0]["categories_released"] == ["assessments"]
    assert [row["outcome"] for row in rows] == ["released", "withheld", "withheld"]
