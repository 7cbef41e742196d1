"""Child details through the API: kept for a child only (422 otherwise), replaced with If-Match, sealed where
identifying, another agency's are 404, and released as category `children` about the child, under the
non-abusive parent's consent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.children.models import ChildDetails
from app.core.db import sessionmaker
from tests.consent.helpers import audit_rows, build_scene, uid

DETAILS = {
    "living_arrangement": {"kind": "kinship_care", "with_whom": ["grandparent"]},
    "school": {"name": "Larkspur Elementary", "grade": "3"},
    "visitation": {"kind": "supervised", "supervisor_kind": "visitation_center",
                   "schedule": "Saturdays 10-12 at the Fernhill center"},
    "needs": {"codes": ["trauma_support", "educational"], "text": "Nightmares since the move."},
}


def url(person: dict[str, Any]) -> str:
    return f"/api/v1/people/{person['id']}/child-details"


async def _rows(person_id: Any) -> list[dict[str, Any]]:
    async with sessionmaker()() as s:
        t = ChildDetails.__table__
        return [dict(r) for r in (await s.execute(sa.select(t).where(t.c.person_id == uid(person_id)))).mappings()]


async def _child(s: Any, actor: str = "advocate") -> dict[str, Any]:
    return await s.world.person(s[actor], s.case["id"], case_role="child", full_name="Mia Example",
                                date_of_birth="2018-03-01")


async def test_put_get_and_replace(client, world):
    s = await build_scene(world)
    child = await _child(s)
    assert (await world.get(s["advocate"], url(child))).status_code == 404
    r = await world.put(s["advocate"], url(child), DETAILS)
    assert r.status_code == 201, r.text
    body, etag = r.json(), r.headers["ETag"]
    assert {k: body[k] for k in DETAILS} == DETAILS
    r = await world.get(s["advocate"], url(child))
    assert r.status_code == 200 and r.json() == body and r.headers["ETag"] == etag

    partial = {"living_arrangement": {"kind": "with_survivor", "with_whom": ["survivor_parent"]}}
    assert (await world.put(s["advocate"], url(child), partial)).status_code == 428
    r = await world.put(s["advocate"], url(child), partial, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["living_arrangement"] == partial["living_arrangement"]
    # PUT replaces the whole record: what was left out is no longer known
    assert r.json()["school"] is None and r.json()["visitation"] is None and r.json()["needs"] is None
    assert (await world.put(s["advocate"], url(child), DETAILS, headers={"If-Match": etag})).status_code == 412
    assert [e.action for e in await audit_rows(object_id=body["id"])] == ["child_details.create",
                                                                           "child_details.update"]


async def test_only_for_a_child(client, world):
    s = await build_scene(world)
    for target in (s.survivor,):
        r = await world.put(s["advocate"], url(target), DETAILS)
        assert r.status_code == 422 and r.json()["errors"][0]["type"] == "not_a_child"
        assert (await world.get(s["advocate"], url(target))).status_code == 422
    assert await _rows(s.survivor["id"]) == []


async def test_sealed_at_rest(client, world):
    s = await build_scene(world)
    child = await _child(s)
    assert (await world.put(s["advocate"], url(child), DETAILS)).status_code == 201
    (row,) = await _rows(child["id"])
    raw = repr(row)
    for secret in ("Larkspur", "Fernhill", "Nightmares"):
        assert secret not in raw
    assert row["living_arrangement"] == "kinship_care" and row["need_codes"] == ["trauma_support", "educational"]


async def test_other_agencies_get_404_and_cps_keeps_its_own(client, world):
    s = await build_scene(world)
    child = await _child(s)
    assert (await world.put(s["advocate"], url(child), DETAILS)).status_code == 201
    for actor in ("cps_worker", "third_worker", "dv_other_advocate"):
        assert (await world.get(s[actor], url(child))).status_code == 404
        assert (await world.put(s[actor], url(child), DETAILS)).status_code == 404
    cps_case = await world.case(s["cps_worker"])
    cps_child = await world.person(s["cps_worker"], cps_case["id"], case_role="child", full_name="K")
    assert (await world.put(s["cps_worker"], url(cps_child), DETAILS)).status_code == 201
    assert (await world.get(s["advocate"], url(cps_child))).status_code == 404


async def test_bad_input_is_422_and_writes_nothing(client, world):
    s = await build_scene(world)
    child = await _child(s)
    bad = [
        {"living_arrangement": {"kind": "on_the_moon"}},
        {"living_arrangement": {"kind": "with_survivor", "with_whom": ["sibling", "sibling"]}},
        {"living_arrangement": {"kind": "with_survivor", "address": "12 Elm St"}},
        {"visitation": {"kind": "unsupervised", "supervisor_kind": "relative"}},
        {"visitation": {"kind": "none", "schedule": "Sundays"}},
        {"needs": {"codes": ["flying"]}},
        {"school": {"name": ""}},
        {"school": "Larkspur Elementary"},
    ]
    for body in bad:
        r = await world.put(s["advocate"], url(child), body)
        assert r.status_code == 422, body
        assert "Larkspur" not in r.text and "Elm St" not in r.text
    assert await _rows(child["id"]) == []


async def test_released_as_children_under_the_parents_consent(client, world):
    s = await build_scene(world)
    child = await _child(s)
    await s.agreement()
    grantor = {"person_id": s.survivor["id"], "relationship": "parent"}
    await s.consent(person=child, categories=["identity"], grantor=grantor)
    r = await world.put(s["advocate"], url(child), DETAILS)
    assert r.status_code == 201
    r = await s.disclose(categories=["children"], person=child)
    assert r.json()["withheld"] == [{"category": "children", "reason": "category_not_consented"}]
    assert "Larkspur" not in r.text

    await s.consent(person=child, categories=["children"], grantor=grantor)
    r = await s.disclose(categories=["children"], person=child)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released"]["children"] == {"child_details": DETAILS}
    meta = body["released_meta"]["children"]
    assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == [] and meta["as_of"]
    # the survivor's own disclosure of children carries nothing of the child's record (it is about the child)
    await s.consent(categories=["children"])
    r = await s.disclose(categories=["children"])
    assert r.json()["withheld"] == [{"category": "children", "reason": "no_data"}]
    accounting = (await world.get(s["advocate"], f"/api/v1/people/{child['id']}/disclosures")).json()["items"]
    assert accounting[0]["id"] == body["id"] and accounting[0]["categories_released"] == ["children"]
