"""The treatment source is one select for the two categories it serves (substance_use, mental_health): a request
releasing both gets each its own records, and on PostgreSQL the select is read in the same statement as the
request's other category sources."""

from __future__ import annotations

import pytest

from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together
from tests.statements import statements
from tests.treatment.test_treatment import MH, SU, _create


async def test_one_request_releasing_both_categories_gets_each_its_own(client, world):
    s = await build_scene(world)
    su = await _create(s, SU)
    mh = await _create(s, MH)
    mh_ended = await _create(s, MH, program_kind="inpatient", status="completed", started_on="2026-01-10",
                             ended_on="2026-03-01")
    await s.agreement()
    await s.consent()  # every category (substance_use with its 42 CFR 2.31 elements)
    r = await s.disclose(categories=["substance_use", "mental_health"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released"] == {
        "substance_use": {"treatment": [
            {"id": su["id"], "program_kind": "intensive_outpatient", "status": "active", "started_on": "2026-10-01",
             "ended_on": None}]},
        "mental_health": {"treatment": [
            {"id": mh["id"], "program_kind": "outpatient", "status": "enrolled", "started_on": "2026-09-15",
             "ended_on": None},
            {"id": mh_ended["id"], "program_kind": "inpatient", "status": "completed", "started_on": "2026-01-10",
             "ended_on": "2026-03-01"}]},
    }
    assert body["released_meta"]["substance_use"] == {"as_of": su["created_at"], "agency_id": str(s.dv.id),
                                                      "elements": []}
    assert body["released_meta"]["mental_health"] == {"as_of": mh_ended["created_at"], "agency_id": str(s.dv.id),
                                                      "elements": []}
    assert body["withheld"] == [] and "42 CFR part 2" in body["redisclosure_notice"]


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="the category sources are read in one statement on PostgreSQL only")
async def test_treatment_is_read_in_the_one_statement_of_the_category_sources(client, world):
    s = await build_scene(world)
    su = await _create(s, SU)
    mh = await _create(s, MH)
    await s.agreement()
    await s.consent()
    categories = ["identity", "substance_use", "mental_health"]
    assert (await s.disclose(categories=categories)).status_code == 201  # warm up
    with statements() as seen:
        r = await s.disclose(categories=categories)
    assert r.status_code == 201, r.text
    released = r.json()["released"]
    assert [x["id"] for x in released["substance_use"]["treatment"]] == [su["id"]]
    assert [x["id"] for x in released["mental_health"]["treatment"]] == [mh["id"]]
    assert_read_together(seen, "treatments", "case_notes", "services")  # both categories' records in one select
