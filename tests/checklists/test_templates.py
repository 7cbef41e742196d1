"""Default templates ship with every database; agencies publish versions that keep every safety-critical item."""

from __future__ import annotations

import copy

import pytest

from app.checklists.defaults import DEFAULT_TEMPLATES, Juncture
from tests.checklists.helpers import ALL_KEYS, CRITICAL, team

URL = "/api/v1/checklist-templates"


def default_items(juncture: str) -> list[dict]:
    return copy.deepcopy([dict(i) for i in DEFAULT_TEMPLATES[Juncture(juncture)]])


async def test_every_juncture_has_a_default_template_with_safety_critical_items(world):
    t = await team(world)
    r = await world.get(t.worker, URL, params={"limit": 200})
    assert r.status_code == 200, r.text
    defaults = {x["juncture"]: x for x in r.json()["items"] if x["agency_id"] is None}
    assert set(defaults) == {j.value for j in Juncture}
    for juncture, tpl in defaults.items():
        assert tpl["version"] == 1
        assert [i["key"] for i in tpl["items"]] == ALL_KEYS[juncture]
        assert all(i["text"] and i["guidance"] for i in tpl["items"])
        assert [i["key"] for i in tpl["items"] if i["safety_critical"]] == CRITICAL[juncture]
    # Every juncture where the source marks steps as safety-critical carries them.
    assert all(CRITICAL[j] for j in CRITICAL if j != "closure")


async def test_supervisor_publishes_versions_that_add_and_reword(world):
    t = await team(world)
    items = default_items("court")
    items[0]["text"] = "Name his conduct in every allegation."
    items.append({"key": "interpreter_booked", "text": "Book a court interpreter.", "guidance": "",
                  "safety_critical": False})
    r = await world.post(t.supervisor, URL, {"juncture": "court", "items": items})
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["agency_id"], v1["juncture"], v1["version"]) == (str(t.supervisor.agency.id), "court", 1)
    assert v1["items"][-1]["key"] == "interpreter_booked"

    r = await world.post(t.admin, URL, {"juncture": "court", "items": items[:-1]})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2

    r = await world.get(t.worker, URL, params={"juncture": "court"})
    listed = [(x["agency_id"], x["version"]) for x in r.json()["items"]]
    mine = str(t.supervisor.agency.id)
    assert listed == [(mine, 2), (mine, 1), (None, 1)]  # latest first, then the default

    # Another agency sees the default only.
    other = await team(world)
    r = await world.get(other.worker, URL, params={"juncture": "court"})
    assert [(x["agency_id"], x["version"]) for x in r.json()["items"]] == [(None, 1)]


async def test_worker_cannot_publish(world):
    t = await team(world)
    r = await world.post(t.worker, URL, {"juncture": "intake", "items": default_items("intake")})
    assert r.status_code == 403


@pytest.mark.parametrize("juncture", [j for j in CRITICAL if CRITICAL[j]])
async def test_a_version_that_drops_a_safety_critical_item_is_refused(world, juncture):
    t = await team(world)
    for key in CRITICAL[juncture]:
        items = [i for i in default_items(juncture) if i["key"] != key]
        r = await world.post(t.supervisor, URL, {"juncture": juncture, "items": items})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["missing_keys"] == [key]
        assert key in body["detail"]
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_version_that_downgrades_or_renames_safety_critical_items_is_refused(world):
    t = await team(world)
    items = default_items("family_meeting")
    items[0]["safety_critical"] = False
    items[1]["key"] = "separate_meetings"  # renamed: the original key is gone
    r = await world.post(t.supervisor, URL, {"juncture": "family_meeting", "items": items})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["downgraded_keys"] == [CRITICAL["family_meeting"][0]]
    assert body["missing_keys"] == [CRITICAL["family_meeting"][1]]
    r = await world.get(t.worker, URL, params={"juncture": "family_meeting"})
    assert [x["agency_id"] for x in r.json()["items"]] == [None]  # nothing was published


async def test_duplicate_keys_and_bad_input_are_refused(world):
    t = await team(world)
    items = default_items("closure")
    r = await world.post(t.supervisor, URL, {"juncture": "closure", "items": items + [items[0]]})
    assert r.status_code == 422 and r.json()["duplicate_keys"] == [items[0]["key"]]
    r = await world.post(t.supervisor, URL, {"juncture": "bedtime", "items": items})
    assert r.status_code == 422
    r = await world.post(t.supervisor, URL, {"juncture": "closure", "items": []})
    assert r.status_code == 422
    r = await world.post(t.supervisor, URL, {"juncture": "closure", "items": [{**items[0], "key": "Bad Key"}]})
    assert r.status_code == 422


async def test_a_checklist_keeps_its_template_version(world):
    t = await team(world)
    items = default_items("removal")
    items.append({"key": "kinship_support", "text": "Offer kinship support.", "guidance": "",
                  "safety_critical": False})
    assert (await world.post(t.supervisor, URL, {"juncture": "removal", "items": items})).status_code == 201
    first = await t.start("removal")
    assert (first["template_version"], first["template_agency_id"]) == (1, str(t.worker.agency.id))
    assert first["items"][-1]["key"] == "kinship_support"

    items2 = default_items("removal")
    items2[0]["text"] = "Removal only after every in-home option is exhausted."
    assert (await world.post(t.supervisor, URL, {"juncture": "removal", "items": items2})).status_code == 201

    r = await world.get(t.worker, f"/api/v1/checklists/{first['id']}")
    kept = r.json()
    assert kept["template_version"] == 1 and kept["template_id"] == first["template_id"]
    assert [i["key"] for i in kept["items"]] == [i["key"] for i in items]
    assert kept["items"][0]["text"] == items[0]["text"]

    second = await t.start("removal")
    assert second["template_version"] == 2
    assert [i["key"] for i in second["items"]] == ALL_KEYS["removal"]
    assert second["items"][0]["text"] == items2[0]["text"]

    # A case of another agency still starts from the default.
    other = await team(world)
    cl = await other.start("removal")
    assert (cl["template_version"], cl["template_agency_id"]) == (1, None)
