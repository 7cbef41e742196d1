"""Every one of the twelve data categories has a source: with an agreement and her consent the disclosure
releases real data for each (with released_meta), without them the rule's reason, and `no_data` only where
nothing is on file."""

from __future__ import annotations

from typing import Any

from app.core.vocab import DataCategory
from tests.consent.helpers import build_scene

ALL = [c.value for c in DataCategory]
ABOUT_HER = [c for c in ALL if c != "children"]  # a child's details are released about the child


async def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _record_everything(s: Any) -> dict[str, Any]:
    """What a DV agency holds about a survivor and her child, one record of each kind."""
    w, adv, her = s.world, s["advocate"], s.survivor
    case_id = s.case["id"]
    child = await w.person(adv, case_id, case_role="child", full_name="Niña Example")
    him = await w.person(adv, case_id, case_role="person_using_violence", full_name="Hector Example")
    p = f"/api/v1/people/{her['id']}"
    await _ok(await w.put(adv, f"{p}/safety-plan-summary", {
        "exists": True, "last_reviewed_on": "2026-11-20",
        "elements": [{"key": "school_pickup", "text": "Only her sister collects the children.", "shareable": True},
                     {"key": "exchange_location", "text": "The police station lobby.", "shareable": False}]}))
    await _ok(await w.post(adv, f"{p}/protective-orders", {
        "kind": "temporary", "court": "Ostley County Circuit Court", "docket_number": "26PO01234",
        "protected_person_ids": [her["id"], child["id"]], "restrained_person_id": him["id"],
        "issued_on": "2026-11-01", "terms": [{"code": "no_contact"}]}))
    await _ok(await w.post(adv, f"{p}/services", {"kind": "counselling", "provider_name": "Ostley Counselling",
                                                  "status": "referred"}))
    await _ok(await w.post(adv, f"{p}/assessments", {"instrument": "danger_assessment",
                                                     "administered_at": "2026-11-02T10:00:00Z",
                                                     "result_level": "severe_danger"}))
    for domain, kind in (("substance_use", "intensive_outpatient"), ("mental_health", "outpatient")):
        await _ok(await w.post(adv, f"{p}/treatment", {"domain": domain, "program_kind": kind, "status": "active"}))
    await _ok(await w.post(adv, f"/api/v1/cases/{case_id}/court-events", {
        "court_kind": "protective_order", "kind": "protective_order", "scheduled_for": "2030-01-10T16:00:00Z"}))
    await _ok(await w.put(adv, f"/api/v1/people/{child['id']}/child-details", {
        "living_arrangement": {"kind": "with_survivor", "with_whom": ["survivor_parent"]}}))
    return child


async def test_each_category_releases_real_data_when_allowed_and_a_reason_when_not(client, world):
    s = await build_scene(world)
    await s.agreement()
    # Before anything is recorded, her consent releases the person record and the case, and says no_data
    # for the rest (the rule allowed it; nothing is on file).
    await s.consent(categories=ALL)
    body = (await s.disclose(categories=ABOUT_HER)).json()
    assert set(body["released"]) == {"identity", "contact", "location", "case_status"}
    assert {w["reason"] for w in body["withheld"]} == {"no_data"}

    child = await _record_everything(s)
    body = (await s.disclose(categories=ABOUT_HER)).json()
    assert body["withheld"] == []
    assert set(body["released"]) == set(ABOUT_HER) == set(body["released_meta"])
    assert all(m["agency_id"] == str(s.dv.id) and m["as_of"] for m in body["released_meta"].values())
    released = body["released"]
    assert released["protective_orders"]["orders"][0]["docket_number"] == "26PO01234"
    assert released["court"]["next_hearing"]["scheduled_for"].startswith("2030-01-10")
    assert [e["key"] for e in released["safety_plan"]["safety_plan_summary"]["elements"]] == ["school_pickup"]
    assert body["released_meta"]["safety_plan"]["elements"] == ["school_pickup"]
    assert "police station" not in str(released)  # not shareable: never leaves
    assert "42 CFR part 2" in body["redisclosure_notice"]
    # Her child's details, under the consent she gives for the child.
    await s.consent(person=child, categories=["children"],
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    body = (await s.disclose(categories=["children"], person=child)).json()
    assert body["released"]["children"]["child_details"]["living_arrangement"]["kind"] == "with_survivor"

    # A consent that names only some categories: the others are withheld with the rule's reason, and each
    # decision is accounted for.
    await s.consent(revoke=True, categories=ALL)  # her newest word on everything: revoked
    s2 = await build_scene(world)
    await s2.agreement(categories=["identity", "court"])
    await s2.consent(categories=["identity", "protective_orders"])
    body = (await s2.disclose(categories=["identity", "protective_orders", "court"])).json()
    assert set(body["released"]) == {"identity"}
    assert body["withheld"] == [{"category": "protective_orders", "reason": "agreement_excludes_category"},
                                {"category": "court", "reason": "category_not_consented"}]
    row = (await s2.accounting())[0]
    assert row["categories_released"] == ["identity"] and len(row["withheld"]) == 2
