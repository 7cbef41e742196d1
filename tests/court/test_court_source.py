"""The `court` source of the disclosure rule: one select built once (`statement_source`), each event carrying
its findings as a JSON column, read with the request's other statement sources in one round trip on
PostgreSQL. What it releases is the event as the API reads it (findings in their order, unsealed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.clock import utcnow
from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together, mentioning
from tests.statements import statements

RELEASED = {"id", "court_case_number", "court_kind", "kind", "scheduled_for", "courtroom", "outcome",
            "outcome_details", "findings", "attorneys", "guardian_ad_litem"}


def _at(days: int, hour: int = 16) -> str:
    d = (utcnow() + timedelta(days=days)).date()
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC).isoformat().replace("+00:00", "Z")


async def _scene_with_events(world: Any) -> tuple[Any, list[dict[str, Any]]]:
    """A scene whose case has three court events (two with findings, in a set order; one with none), released
    to CPS under the survivor's consent."""
    s = await build_scene(world)
    him = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="Him")
    await s.agreement()
    await s.consent(categories=["court"])
    url = f"/api/v1/cases/{s.case['id']}/court-events"
    made = []
    for body in (
        {"court_kind": "dependency", "kind": "adjudication", "scheduled_for": _at(-3), "outcome": "held",
         "court_case_number": "26JU0Q7731", "courtroom": "Courtroom 4C", "outcome_details": "Sustained",
         "guardian_ad_litem": "Priya Guardianname", "attorneys": [{"name": "Morgan Counselname",
                                                                   "represents": "adult_survivor"}],
         "findings": [{"code": "jurisdiction_established"},
                      {"code": "dv_perpetrated", "against_person_id": him["id"], "details": "In front of the child"},
                      {"code": "failure_to_protect", "against_person_id": s.survivor["id"]}]},
        {"court_kind": "dependency", "kind": "disposition", "scheduled_for": _at(9), "courtroom": "Courtroom 2A"},
        {"court_kind": "family", "kind": "custody", "scheduled_for": _at(30),
         "findings": [{"code": "dv_perpetrated", "against_person_id": him["id"]},
                      {"code": "jurisdiction_established", "details": "Home state"}]},
    ):
        r = await s.post("advocate", url, body)
        assert r.status_code == 201, r.text
        made.append(r.json())
    return s, made


async def test_released_events_are_the_events_as_read_with_their_findings_and_the_next_hearing(client, world):
    s, made = await _scene_with_events(world)
    reads = []
    for event in made:
        r = await s.get("advocate", f"/api/v1/court-events/{event['id']}")
        assert r.status_code == 200, r.text
        reads.append(r.json())
    assert [f["code"] for f in reads[0]["findings"]] == [
        "jurisdiction_established", "dv_perpetrated", "failure_to_protect"]

    r = await s.disclose(categories=["court"], purpose="court_proceedings")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == [] and body["released_basis"] == {"court": "consent"}
    released = body["released"]["court"]
    assert [set(e) for e in released["events"]] == [RELEASED] * 3
    for got, read in zip(released["events"], reads, strict=True):
        assert {k: v for k, v in got.items() if k != "scheduled_for"} == {
            k: read[k] for k in RELEASED if k != "scheduled_for"}
        assert got["scheduled_for"].replace("Z", "+00:00") == read["scheduled_for"].replace("Z", "+00:00")
    assert released["events"][1]["findings"] == []
    assert released["events"][2]["findings"] == [
        {"code": "dv_perpetrated", "against_person_id": reads[2]["findings"][0]["against_person_id"],
         "details": None},
        {"code": "jurisdiction_established", "against_person_id": None, "details": "Home state"}]
    assert released["next_hearing"] == released["events"][1]
    meta = body["released_meta"]["court"]
    assert meta["as_of"].replace("Z", "+00:00")[:19] == made[2]["created_at"].replace("Z", "+00:00")[:19]


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="statement sources are read together in one round trip on PostgreSQL only")
async def test_court_events_and_findings_are_read_in_the_one_statement_of_the_request_sources(client, world):
    s, made = await _scene_with_events(world)
    assert (await s.disclose(categories=["court"], purpose="court_proceedings")).status_code == 201  # warm up
    with statements() as seen:
        r = await s.disclose(categories=["court"], purpose="court_proceedings")
    assert r.status_code == 201, r.text
    events = r.json()["released"]["court"]["events"]
    assert [e["id"] for e in events] == [m["id"] for m in made]
    assert [len(e["findings"]) for e in events] == [3, 0, 2]
    # The findings come in the same statement: it is the only one that names them.
    assert_read_together(seen, "court_events", "court_findings")
    assert mentioning(seen, "court_findings") == mentioning(seen, "court_events")
