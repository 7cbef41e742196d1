"""The disclosure rule reads what it decides from in one statement (the person, whether the requesting agency is
linked to them, the mandates naming it with their warning tasks, the agreements in force and the consents with
their grantors), and each category source once per request, whichever categories are asked together."""

from __future__ import annotations

from typing import Any

from tests.consent.helpers import build_scene
from tests.statements import statements

RULE_TABLES = ("legal_mandates", "agreements", "consents ", "consents\n", "notification_tasks", "person_links",
               "referral_people")




def reads_of(seen: list[str], *tables: str) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and any(t in s for t in tables)]


async def _note(s: Any, category: str, text: str) -> None:
    r = await s.world.post(s["advocate"], f"/api/v1/cases/{s.case['id']}/notes",
                           {"text": text, "audience": "shared", "category": category, "person_id": s.survivor["id"]})
    assert r.status_code == 201, r.text


async def test_the_rule_reads_in_one_statement_and_the_notes_of_every_category_once(client, world):
    s = await build_scene(world)
    await s.agreement()
    # A consent for identity, contact, a mandate in force for court whose warning is done, and one still waiting.
    await s.consent(categories=["identity", "contact"])
    await s.warned(await s.mandate(["court"]))
    await s.mandate(["assessments"])
    await _note(s, "identity", "Prefers her maiden name in letters.")
    await _note(s, "contact", "Reach her through the shelter desk.")
    await _note(s, "court", "Hearing moved to the afternoon.")

    with statements() as seen:
        r = await s.disclose(categories=["identity", "contact", "court", "assessments", "location"],
                             purpose="safety_planning")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released_basis"] == {"identity": "consent", "contact": "consent", "court": "legal_mandate"}
    assert {w["category"]: w["reason"] for w in body["withheld"]} == {
        "assessments": "mandate_notice_pending", "location": "category_not_consented"}
    assert [n["text"] for n in body["released"]["identity"]["notes"]] == ["Prefers her maiden name in letters."]
    assert [n["text"] for n in body["released"]["contact"]["notes"]] == ["Reach her through the shelter desk."]
    assert [n["text"] for n in body["released"]["court"]["notes"]] == ["Hearing moved to the afternoon."]

    rule = reads_of(seen, *RULE_TABLES)
    assert len(rule) == 1, rule  # the person, the link, mandates (and their warnings), agreements, consents
    assert "people" in rule[0]
    assert len(reads_of(seen, "case_notes")) == 1  # the notes of identity, contact and court together
    assert len(reads_of(seen, "FROM people")) == 1  # the person is read with the rule, not again


async def test_a_request_from_an_agency_with_no_link_reads_the_person_and_the_rule_once(client, world):
    """An agency that nothing links to her: the one statement finds the person and no link, and the request is
    refused (404) without any source being read."""
    s = await build_scene(world)
    await s.agreement("third")
    with statements() as seen:
        r = await s.disclose("third_worker", categories=["identity"])
    assert r.status_code == 404
    assert len(reads_of(seen, *RULE_TABLES)) == 1
    assert reads_of(seen, "case_notes") == []
