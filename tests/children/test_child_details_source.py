"""A child's details as a disclosure source (`app.children.sources`): one select built once, read with the
request's other category sources (on PostgreSQL in the one statement of `rows_together`), releasing what it
always did: the four parts of the record, sealed ones unsealed, as of its last change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.children.test_child_details import DETAILS
from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together
from tests.statements import statements

CATEGORIES = ["identity", "children"]
FIRST = {"living_arrangement": {"kind": "with_survivor", "with_whom": ["survivor_parent"]}}


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def _scene(world: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A child of her case, the parent's consent for the child, a shared note about the child and the child's
    details, replaced once."""
    s = await build_scene(world)
    child = await world.person(s["advocate"], s.case["id"], case_role="child", full_name="Mia Example",
                               date_of_birth="2018-03-01")
    await s.agreement()
    await s.consent(person=child, categories=CATEGORIES,
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await world.post(s["advocate"], f"/api/v1/cases/{s.case['id']}/notes",
                         {"text": "Her grandmother brings her to school.", "audience": "shared",
                          "category": "children", "person_id": child["id"]})
    assert r.status_code == 201, r.text
    url = f"/api/v1/people/{child['id']}/child-details"
    r = await world.put(s["advocate"], url, FIRST)
    assert r.status_code == 201, r.text
    r = await world.put(s["advocate"], url, DETAILS, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    return s, child, r.json()


async def test_the_details_are_released_as_before_beside_the_notes(client, world):
    s, child, details = await _scene(world)
    r = await s.disclose(categories=CATEGORIES, person=child)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == []
    released = body["released"]["children"]
    assert set(released) == {"child_details", "notes"}
    assert released["child_details"] == DETAILS
    assert [n["text"] for n in released["notes"]] == ["Her grandmother brings her to school."]
    meta = body["released_meta"]["children"]
    assert meta["elements"] == [] and meta["agency_id"] == str(s.dv.id)
    assert details["updated_at"] is not None
    assert _when(meta["as_of"]) == _when(details["updated_at"])  # the record's last change, after the note's


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="the category sources' selects are read together on PostgreSQL only")
async def test_on_postgresql_the_details_are_read_in_the_one_statement_of_every_source(client, world):
    s, child, _ = await _scene(world)
    assert (await s.disclose(categories=CATEGORIES, person=child)).status_code == 201  # warm
    with statements() as seen:
        r = await s.disclose(categories=CATEGORIES, person=child)
    assert r.status_code == 201, r.text
    assert r.json()["released"]["children"]["child_details"] == DETAILS
    assert_read_together(seen, "child_details", "case_notes")
