"""The services source is one select for the three categories it serves (services, substance_use,
mental_health): a request releasing several of them gets each its own services, and on PostgreSQL the select is
read in the same statement as the request's other category sources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together
from tests.services.test_services import _create
from tests.statements import statements


def _released(svc: dict[str, Any]) -> dict[str, Any]:
    return {k: svc[k] for k in ("id", "kind", "status", "provider_agency_id", "provider_name", "barriers",
                                "referral_id", "referred_at", "first_contact_at", "started_at", "ended_at")}


async def test_one_request_releasing_services_and_substance_use_gets_each_its_own(client, world):
    s = await build_scene(world)
    general = await _create(s)
    su = await _create(s, kind="substance_use_treatment", provider_name="Riverbend Recovery", barriers=[])
    shelter = await _create(s, kind="shelter", status="referred", started_at=None, provider_name=None,
                            provider_agency_id=str(s.dv.id))
    await _create(s, kind="mental_health_treatment", provider_name="Calm Waters Clinic")  # not asked
    await s.agreement()
    await s.consent()  # every category (substance_use with its 42 CFR 2.31 elements)
    r = await s.disclose(categories=["services", "substance_use"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released"] == {"services": {"services": [_released(general), _released(shelter)]},
                                "substance_use": {"services": [_released(su)]}}
    assert body["released"]["substance_use"]["services"][0]["provider_name"] == "Riverbend Recovery"
    assert body["released"]["services"]["services"][1]["provider_name"] is None
    assert body["released_meta"]["services"] == {"as_of": shelter["created_at"], "agency_id": str(s.dv.id),
                                                 "elements": []}
    assert body["released_meta"]["substance_use"] == {"as_of": su["created_at"], "agency_id": str(s.dv.id),
                                                      "elements": []}
    assert body["withheld"] == [] and "42 CFR part 2" in body["redisclosure_notice"]
    assert "Calm Waters" not in r.text


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="the category sources are read in one statement on PostgreSQL only")
async def test_services_are_read_in_the_one_statement_of_the_category_sources(client, world):
    s = await build_scene(world)
    general = await _create(s)
    su = await _create(s, kind="substance_use_treatment", provider_name="Riverbend Recovery")
    mh = await _create(s, kind="mental_health_treatment", provider_name="Calm Waters Clinic")
    await s.agreement()
    await s.consent()
    categories = ["identity", "services", "substance_use", "mental_health"]
    assert (await s.disclose(categories=categories)).status_code == 201  # warm up
    with statements() as seen:
        r = await s.disclose(categories=categories)
    assert r.status_code == 201, r.text
    released = r.json()["released"]
    assert [x["id"] for x in released["services"]["services"]] == [general["id"]]
    assert [x["id"] for x in released["substance_use"]["services"]] == [su["id"]]
    assert [x["id"] for x in released["mental_health"]["services"]] == [mh["id"]]
    # The three categories' services in one select, read with the notes and the treatment records.
    assert_read_together(seen, "services", "case_notes", "treatments")
