"""The safety-plan summary as a disclosure source (`app.safety_plans.sources`): one select built once, read with
the request's other category sources (on PostgreSQL in the one statement of `rows_together`), releasing what it
always did: that a plan exists, when it was reviewed, the shareable elements in her order, texts unsealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together
from tests.statements import statements

CATEGORIES = ["identity", "contact", "safety_plan"]
FIRST = {"exists": True, "last_reviewed_on": "2026-11-20", "elements": [
    {"key": "school_pickup", "text": "Only her sister Ana collects the children.", "shareable": True}]}
SECOND = {"exists": True, "last_reviewed_on": "2026-11-30", "elements": [
    {"key": "contact_rules", "text": "Never call her at home.", "shareable": True},
    {"key": "exchange_location", "text": "Exchanges at the Harbor Street police station lobby.", "shareable": False},
    {"key": "school_pickup", "text": "Only her sister Ana collects the children.", "shareable": True},
]}


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def _scene(world: Any) -> tuple[Any, dict[str, Any]]:
    """Her consent to the categories asked, a shared note under two of them, and her summary, replaced once."""
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=CATEGORIES)
    for category, text in (("contact", "Reach her through the shelter desk."),
                           ("safety_plan", "The plan was reviewed with her sister present.")):
        r = await world.post(s["advocate"], f"/api/v1/cases/{s.case['id']}/notes",
                             {"text": text, "audience": "shared", "category": category, "person_id": s.survivor["id"]})
        assert r.status_code == 201, r.text
    url = f"/api/v1/people/{s.survivor['id']}/safety-plan-summary"
    r = await world.put(s["advocate"], url, FIRST)
    assert r.status_code == 201, r.text
    r = await world.put(s["advocate"], url, SECOND, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    return s, r.json()


async def test_the_summary_is_released_as_before_beside_the_notes(client, world):
    s, summary = await _scene(world)
    r = await s.disclose(categories=CATEGORIES)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == []
    released = body["released"]["safety_plan"]
    assert set(released) == {"safety_plan_summary", "notes"}
    assert released["safety_plan_summary"] == {
        "exists": True, "last_reviewed_on": "2026-11-30",
        "elements": [{"key": "contact_rules", "text": "Never call her at home."},
                     {"key": "school_pickup", "text": "Only her sister Ana collects the children."}]}
    assert [n["text"] for n in released["notes"]] == ["The plan was reviewed with her sister present."]
    assert "Harbor Street" not in r.text and "exchange_location" not in r.text
    meta = body["released_meta"]["safety_plan"]
    assert meta["elements"] == ["contact_rules", "school_pickup"] and meta["agency_id"] == str(s.dv.id)
    # as of the summary's last change (later than the note's)
    assert summary["updated_at"] is not None
    assert _when(meta["as_of"]) == _when(summary["updated_at"])


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="the category sources' selects are read together on PostgreSQL only")
async def test_on_postgresql_the_summary_is_read_in_the_one_statement_of_every_source(client, world):
    s, _ = await _scene(world)
    assert (await s.disclose(categories=CATEGORIES)).status_code == 201  # warm: first-use lookups
    with statements() as seen:
        r = await s.disclose(categories=CATEGORIES)
    assert r.status_code == 201, r.text
    assert r.json()["released"]["safety_plan"]["safety_plan_summary"]["elements"][0]["key"] == "contact_rules"
    assert_read_together(seen, "safety_plan_summaries", "case_notes", "contact_preferences")
