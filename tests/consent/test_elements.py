"""Consent element by element: a consent naming some elements of a category releases exactly those, the
accounting records them, a whole-category consent releases everything, and an unknown element is a 422."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from tests.consent.helpers import build_scene

FINDING_TEXT = "Pattern of coercive control over the household."
LAWYER = "Marisol Okafor-Brandt"
NOTE = "Court note: the judge asked about the findings."


async def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _court_record(s: Any) -> dict[str, Any]:
    """A held adjudication with findings and attorneys, a future hearing, and a shared note under court."""
    w, adv = s.world, s["advocate"]
    him = await w.person(adv, s.case["id"], case_role="person_using_violence", full_name="Hector Example")
    url = f"/api/v1/cases/{s.case['id']}/court-events"
    await _ok(await w.post(adv, url, {
        "court_case_number": "26JV0042", "court_kind": "dependency", "kind": "adjudication",
        "scheduled_for": (utcnow() - timedelta(days=3)).isoformat(), "courtroom": "4B", "outcome": "held",
        "outcome_details": "Sustained as to the father.",
        "findings": [{"code": "dv_perpetrated", "against_person_id": him["id"], "details": FINDING_TEXT}],
        "attorneys": [{"name": LAWYER, "represents": "adult_survivor"}]}))
    await _ok(await w.post(adv, url, {"court_kind": "dependency", "kind": "disposition",
                                      "scheduled_for": "2030-02-01T16:00:00Z", "courtroom": "4B"}))
    await _ok(await w.post(adv, f"/api/v1/cases/{s.case['id']}/notes", {
        "text": NOTE, "audience": "shared", "category": "court", "person_id": s.survivor["id"]}))
    return him


async def test_a_consent_to_court_hearings_only_never_releases_findings(client, world):
    s = await build_scene(world)
    await s.agreement()
    await _court_record(s)
    consent = await s.consent(categories=["identity", {"category": "court", "elements": ["hearings"]}])
    assert consent["categories"] == ["identity", {"category": "court", "elements": ["hearings"]}]

    r = await s.disclose(categories=["identity", "court"])
    assert r.status_code == 201, r.text
    body = r.json()
    court = body["released"]["court"]
    assert [e["kind"] for e in court["events"]] == ["adjudication", "disposition"]
    assert court["events"][0]["courtroom"] == "4B" and court["events"][0]["court_case_number"] == "26JV0042"
    assert court["next_hearing"]["kind"] == "disposition"
    for event in [*court["events"], court["next_hearing"]]:
        assert set(event) == {"id", "court_case_number", "court_kind", "kind", "scheduled_for", "courtroom"}
    text = str(body)
    for secret in (FINDING_TEXT, "dv_perpetrated", LAWYER, "Sustained", NOTE):
        assert secret not in text
    assert body["released_meta"]["court"]["elements"] == ["hearings"]
    assert body["released_meta"]["identity"]["elements"] == []  # whole category
    assert body["released"]["identity"]["full_name"] == "Rosa Example"

    (row,) = await s.accounting()
    assert row["categories_released"] == ["identity", "court"]
    assert row["released_elements"] == {"court": ["hearings"]}
    assert row["consent_ids"] == [consent["id"]]


async def test_elements_are_released_together_and_a_whole_category_consent_releases_everything(client, world):
    s = await build_scene(world)
    await s.agreement()
    await _court_record(s)
    await s.consent(categories=[{"category": "court", "elements": ["findings", "attorneys", "notes"]}])
    body = (await s.disclose(categories=["court"])).json()
    court = body["released"]["court"]
    assert "next_hearing" not in court  # hearings were not named
    assert court["events"][0]["findings"][0]["details"] == FINDING_TEXT
    assert court["events"][0]["attorneys"][0]["name"] == LAWYER
    assert "courtroom" not in court["events"][0] and "outcome" not in court["events"][0]
    assert court["notes"][0]["text"] == NOTE
    assert body["released_meta"]["court"]["elements"] == ["findings", "attorneys", "notes"]

    # Her newer consent to the whole category: everything, and no elements recorded.
    await s.consent(categories=["court"])
    body = (await s.disclose(categories=["court"])).json()
    court = body["released"]["court"]
    assert court["events"][0]["outcome_details"] == "Sustained as to the father."
    assert court["events"][0]["findings"] and court["notes"] and court["next_hearing"]["courtroom"] == "4B"
    assert body["released_meta"]["court"]["elements"] == []
    rows = await s.accounting()
    assert [r["released_elements"] for r in rows] == [None, {"court": ["findings", "attorneys", "notes"]}]


async def test_protective_order_and_safety_plan_elements(client, world):
    s = await build_scene(world)
    await s.agreement()
    w, adv, her = s.world, s["advocate"], s.survivor
    him = await w.person(adv, s.case["id"], case_role="person_using_violence", full_name="Hector Example")
    p = f"/api/v1/people/{her['id']}"
    await _ok(await w.post(adv, f"{p}/protective-orders", {
        "kind": "temporary", "court": "Ostley County Circuit Court", "docket_number": "26PO01234",
        "protected_person_ids": [her["id"]], "restrained_person_id": him["id"], "issued_on": "2026-11-01",
        "terms": [{"code": "no_contact"}]}))
    await _ok(await w.put(adv, f"{p}/safety-plan-summary", {
        "exists": True, "last_reviewed_on": "2026-11-20",
        "elements": [{"key": "school_pickup", "text": "Only her sister collects the children.", "shareable": True},
                     {"key": "transport", "text": "Her cousin drives her to work.", "shareable": True},
                     {"key": "exchange_location", "text": "The police station lobby.", "shareable": False}]}))
    await s.consent(categories=[{"category": "protective_orders", "elements": ["terms", "status"]},
                                {"category": "safety_plan", "elements": ["transport", "exchange_location"]}])
    body = (await s.disclose(categories=["protective_orders", "safety_plan"])).json()
    (order,) = body["released"]["protective_orders"]["orders"]
    assert [t["code"] for t in order["terms"]] == ["no_contact"] and order["in_force"] is True
    assert not {"court", "docket_number", "restrained_person_id", "protected_person_ids"} & set(order)
    plan = body["released"]["safety_plan"]["safety_plan_summary"]
    # Only what she marked shareable, and of that only what the consent names.
    assert [e["key"] for e in plan["elements"]] == ["transport"] and plan["exists"] is True
    assert "sister" not in str(body) and "police station" not in str(body)
    assert body["released_meta"]["protective_orders"]["elements"] == ["status", "terms"]
    assert body["released_meta"]["safety_plan"]["elements"] == ["transport"]
    (row,) = await s.accounting()
    assert row["released_elements"] == {"protective_orders": ["status", "terms"], "safety_plan": ["transport"]}


async def test_one_child_but_not_another(client, world):
    s = await build_scene(world)
    await s.agreement()
    w, adv = s.world, s["advocate"]
    maya = await w.person(adv, s.case["id"], case_role="child", full_name="Maya Example")
    leo = await w.person(adv, s.case["id"], case_role="child", full_name="Leo Example")
    for child, school in ((maya, "Harbor Elementary"), (leo, "Ridge Middle School")):
        await _ok(await w.put(adv, f"/api/v1/people/{child['id']}/child-details", {
            "living_arrangement": {"kind": "with_survivor", "with_whom": ["survivor_parent"]}, "school": {"name": school}}))
    scope = [{"category": "children", "elements": [maya["id"], "school"]}]
    parent = {"person_id": s.survivor["id"], "relationship": "parent"}
    for child in (maya, leo):  # the same scope recorded on each child's record: it names Maya only
        await s.consent(person=child, categories=scope, grantor=parent)
    body = (await s.disclose(categories=["children"], person=maya)).json()
    assert body["released"]["children"] == {"child_details": {"school": {"name": "Harbor Elementary", "grade": None}}}
    assert body["released_meta"]["children"]["elements"] == ["school", maya["id"]]
    body = (await s.disclose(categories=["children"], person=leo)).json()
    assert body["released"] == {}
    assert body["withheld"] == [{"category": "children", "reason": "elements_not_consented"}]
    assert "Ridge" not in str(body)


async def test_unknown_elements_are_refused_naming_them(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    from tests.consent.helpers import consent_body

    cases = [
        ([{"category": "court", "elements": ["hearings", "verdicts"]}], "verdicts"),
        ([{"category": "safety_plan", "elements": ["hearings"]}], "hearings"),
        ([{"category": "children", "elements": ["not-a-child"]}], "not-a-child"),
        ([{"category": "court", "elements": []}], "elements"),
        (["court", {"category": "court", "elements": ["hearings"]}], "once"),
    ]
    for categories, named in cases:
        r = await s.post("advocate", url, consent_body(s.survivor["id"], s.cps.id, categories=categories))
        assert r.status_code == 422, (categories, r.text)
        assert named in r.text
    other_case = await s.world.case(s["advocate"])
    stranger = await s.world.person(s["advocate"], other_case["id"], case_role="child", full_name="Other Child")
    for bad in (stranger["id"], s.survivor["id"]):  # a child of another case; not a child
        r = await s.post("advocate", url, consent_body(
            s.survivor["id"], s.cps.id, categories=[{"category": "children", "elements": [bad]}]))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["type"] == "unknown_child" and bad in r.text
    r = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")
    assert r.json()["items"] == []  # nothing was recorded
