"""Case notes through the API: an audience for each note, texts sealed and never in lists, If-Match on change,
another agency's notes 404, and a shared note released only under the category it is filed under, for the
person it is about, when the rule releases that category; own-agency notes never leave."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.consent.disclosures import CATEGORY_SOURCES
from app.core.db import sessionmaker
from app.core.vocab import DataCategory
from app.notes.models import CaseNote
from tests.consent.helpers import audit_rows, build_scene, uid

PRIVATE = "He called the office twice asking where she is staying."
SHARED = "She completed the court-accompaniment session; the next hearing is set."


def notes_url(case: dict[str, Any]) -> str:
    return f"/api/v1/cases/{case['id']}/notes"


async def _raw(case_id: Any) -> list[dict[str, Any]]:
    async with sessionmaker()() as s:
        t = CaseNote.__table__
        return [dict(r) for r in (await s.execute(sa.select(t).where(t.c.case_id == uid(case_id)))).mappings()]


async def _note(s: Any, **body: Any) -> dict[str, Any]:
    r = await s.world.post(s["advocate"], notes_url(s.case), body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_write_read_change_and_list_without_text(client, world):
    s = await build_scene(world)
    private = await _note(s, text=PRIVATE, audience="own_agency")
    shared = await _note(s, text=SHARED, audience="shared", category="court", person_id=s.survivor["id"])
    assert private["category"] is None and private["author_id"] == str(s["advocate"].id)
    assert shared["category"] == "court" and shared["person_id"] == s.survivor["id"]

    r = await world.get(s["dv_supervisor"], f"/api/v1/notes/{private['id']}")
    assert r.status_code == 200 and r.json()["text"] == PRIVATE
    etag = r.headers["ETag"]

    r = await world.get(s["advocate"], notes_url(s.case))
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [shared["id"], private["id"]]
    assert "text" not in items[0] and "He called" not in r.text and "hearing" not in r.text
    r = await world.get(s["advocate"], notes_url(s.case) + "?audience=shared")
    assert [i["id"] for i in r.json()["items"]] == [shared["id"]]
    r = await world.get(s["advocate"], notes_url(s.case) + "?category=court")
    assert [i["id"] for i in r.json()["items"]] == [shared["id"]]

    r = await world.patch(s["advocate"], f"/api/v1/notes/{private['id']}", {"text": "Corrected."},
                          headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["text"] == "Corrected." and r.json()["updated_at"]
    r = await world.patch(s["advocate"], f"/api/v1/notes/{private['id']}", {"text": "Again."},
                          headers={"If-Match": etag})
    assert r.status_code == 412
    # making a shared note private files it under no category
    r = await world.patch(s["advocate"], f"/api/v1/notes/{shared['id']}", {"audience": "own_agency"})
    assert r.status_code == 200 and r.json()["category"] is None and r.json()["audience"] == "own_agency"
    assert [e.action for e in await audit_rows(object_id=private["id"])] == ["note.create", "note.update"]


async def test_text_is_sealed_at_rest(client, world):
    s = await build_scene(world)
    await _note(s, text=PRIVATE, audience="own_agency")
    (row,) = await _raw(s.case["id"])
    assert "office twice" not in repr(row) and row["audience"] == "own_agency"


async def test_filing_rules_and_bad_input_are_422_and_write_nothing(client, world):
    s = await build_scene(world)
    other_case = await world.case(s["advocate"])
    stranger = await world.person(s["advocate"], other_case["id"])
    bad = [
        {"text": SHARED, "audience": "shared"},  # no category
        {"text": SHARED, "audience": "shared", "category": "court"},  # no person
        {"text": SHARED, "audience": "own_agency", "category": "court"},  # own-agency note under a category
        {"text": SHARED, "audience": "shared", "category": "court", "person_id": stranger["id"]},  # not of the case
        {"text": SHARED, "audience": "shared", "category": "gossip", "person_id": s.survivor["id"]},
        {"text": SHARED, "audience": "everyone"},
        {"text": "", "audience": "own_agency"},
        {"audience": "own_agency"},
    ]
    for body in bad:
        r = await world.post(s["advocate"], notes_url(s.case), body)
        assert r.status_code == 422, body
        assert "hearing" not in r.text
    assert await _raw(s.case["id"]) == []

    note = await _note(s, text=PRIVATE, audience="own_agency")
    for body in ({"text": None}, {"audience": None}, {"audience": "shared"}, {"category": "court"},
                 {"audience": "shared", "category": "court", "person_id": stranger["id"]}):
        r = await world.patch(s["advocate"], f"/api/v1/notes/{note['id']}", body)
        assert r.status_code == 422, body
    r = await world.get(s["advocate"], f"/api/v1/notes/{note['id']}")
    assert r.json() == note


async def test_other_agencies_get_404(client, world):
    s = await build_scene(world)
    note = await _note(s, text=SHARED, audience="shared", category="court", person_id=s.survivor["id"])
    for actor in ("cps_worker", "third_worker", "dv_other_advocate"):
        assert (await world.get(s[actor], f"/api/v1/notes/{note['id']}")).status_code == 404
        assert (await world.patch(s[actor], f"/api/v1/notes/{note['id']}", {"text": "x"})).status_code == 404
        assert (await world.get(s[actor], notes_url(s.case))).status_code == 404
        r = await world.post(s[actor], notes_url(s.case), {"text": "x", "audience": "own_agency"})
        assert r.status_code == 404
    assert len(await _raw(s.case["id"])) == 1


def test_every_category_has_a_notes_source(app):
    for category in DataCategory:
        names = [getattr(src, "__name__", "") for src in CATEGORY_SOURCES.get(category.value, [])]
        assert f"shared_notes_{category.value}" in names, category


async def test_a_shared_note_leaves_only_under_its_category_and_private_ones_never(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity", "court"])
    await _note(s, text=PRIVATE, audience="own_agency", person_id=s.survivor["id"])
    shared = await _note(s, text=SHARED, audience="shared", category="court", person_id=s.survivor["id"])
    elsewhere = await _note(s, text="Assessment went well.", audience="shared", category="assessments",
                            person_id=s.survivor["id"])

    r = await s.disclose(categories=["court", "assessments", "identity"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["released"]["court"] == {"notes": [{"id": shared["id"], "written_at": body["released"]["court"][
        "notes"][0]["written_at"], "text": SHARED, "category": "court"}]}
    assert body["released_meta"]["court"]["agency_id"] == str(s.dv.id)
    assert body["released_meta"]["court"]["as_of"][:19] == shared["created_at"][:19]
    assert {"category": "assessments", "reason": "category_not_consented"} in body["withheld"]
    assert "office twice" not in r.text and "went well" not in r.text
    assert "notes" not in body["released"]["identity"]

    # filed elsewhere, the same note leaves with that category instead
    r = await world.patch(s["advocate"], f"/api/v1/notes/{elsewhere['id']}", {"category": "court"})
    assert r.status_code == 200
    r = await s.disclose(categories=["court"])
    assert [n["id"] for n in r.json()["released"]["court"]["notes"]] == [shared["id"], elsewhere["id"]]
    # a note made private no longer leaves at all: nothing else on file under court
    for n in (shared, elsewhere):
        await world.patch(s["advocate"], f"/api/v1/notes/{n['id']}", {"audience": "own_agency"})
    r = await s.disclose(categories=["court"])
    assert r.json()["withheld"] == [{"category": "court", "reason": "no_data"}]
    assert "office twice" not in r.text
    assert [row["outcome"] for row in await s.accounting()] == ["withheld", "released", "partial"]


async def test_a_note_about_another_person_is_not_released_about_her(client, world):
    s = await build_scene(world)
    child = await world.person(s["advocate"], s.case["id"], case_role="child", full_name="Kid")
    await s.agreement()
    await s.consent(categories=["children"])
    await _note(s, text="School reports he is settling in.", audience="shared", category="children",
                person_id=child["id"])
    r = await s.disclose(categories=["children"])
    assert r.json()["withheld"] == [{"category": "children", "reason": "no_data"}]
    assert "settling" not in r.text
