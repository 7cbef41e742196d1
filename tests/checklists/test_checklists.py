"""Checklists on a case: item changes with history, completion gated by safety-critical items, read-only once
complete, invisible to other agencies."""

from __future__ import annotations

import pytest

from tests.checklists.helpers import ALL_KEYS, CRITICAL, audit_actions, team

CASES = [(j, k) for j, keys in CRITICAL.items() for k in keys]


@pytest.mark.parametrize(("juncture", "open_key"), CASES, ids=[f"{j}:{k}" for j, k in CASES])
async def test_completion_is_blocked_by_each_open_safety_critical_item(world, juncture, open_key):
    t = await team(world)
    cl = await t.start(juncture)
    assert cl["open_safety_critical"] == CRITICAL[juncture]
    others = [k for k in ALL_KEYS[juncture] if k != open_key]
    for n, key in enumerate(others):
        # done and not applicable (with a note) both close an item
        r = await (t.mark(cl["id"], key) if n % 2 else t.mark(cl["id"], key, "not_applicable", "No contact yet."))
        assert r.status_code == 200, r.text
    r = await t.complete(cl["id"])
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["open_items"] == [open_key]
    assert open_key in body["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await world.get(t.worker, f"/api/v1/checklists/{cl['id']}")
    assert r.json()["status"] == "open"

    # Set back to pending after being done, the item still blocks.
    assert (await t.mark(cl["id"], open_key)).status_code == 200
    assert (await t.mark(cl["id"], open_key, "pending")).status_code == 200
    assert (await t.complete(cl["id"])).json()["open_items"] == [open_key]

    assert (await t.mark(cl["id"], open_key)).status_code == 200
    r = await t.complete(cl["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["completed_by"] == str(t.worker.id)


async def test_refusal_lists_every_open_safety_critical_item_and_ignores_other_items(world):
    t = await team(world)
    cl = await t.start("investigation")
    r = await t.complete(cl["id"])
    assert r.status_code == 409 and r.json()["open_items"] == CRITICAL["investigation"]
    for key in CRITICAL["investigation"]:
        assert (await t.mark(cl["id"], key)).status_code == 200
    r = await t.complete(cl["id"])  # the other items are still pending: they do not block
    assert r.status_code == 200, r.text


async def test_closure_has_no_safety_critical_items_and_completes(world):
    t = await team(world)
    cl = await t.start("closure")
    assert cl["open_safety_critical"] == []
    assert (await t.complete(cl["id"])).status_code == 200


async def test_not_applicable_needs_a_note(world):
    t = await team(world)
    cl = await t.start("safety_planning")
    key = CRITICAL["safety_planning"][0]
    for body in ({"status": "not_applicable"}, {"status": "not_applicable", "note": "   "},
                 {"status": "not_applicable", "note": None}):
        r = await world.patch(t.worker, f"/api/v1/checklists/{cl['id']}/items/{key}", body)
        assert r.status_code == 422, r.text
    r = await world.patch(t.worker, f"/api/v1/checklists/{cl['id']}/items/{key}",
                          {"status": "not_applicable", "note": "She has no advocate yet; plan made with hotline."})
    assert r.status_code == 200, r.text
    item = next(i for i in r.json()["items"] if i["key"] == key)
    assert item["status"] == "not_applicable" and item["note"].startswith("She has no advocate")
    assert key not in r.json()["open_safety_critical"]


async def test_bad_item_changes(world):
    t = await team(world)
    cl = await t.start("intake")
    url = f"/api/v1/checklists/{cl['id']}/items"
    assert (await world.patch(t.worker, f"{url}/no_such_item", {"status": "done"})).status_code == 404
    assert (await world.patch(t.worker, f"{url}/{ALL_KEYS['intake'][0]}", {"status": "finished"})).status_code == 422
    assert (await world.patch(t.worker, f"{url}/{ALL_KEYS['intake'][0]}",
                              {"status": "done", "by": "someone"})).status_code == 422


async def test_each_change_records_who_and_when(world, clock):
    from datetime import UTC, datetime

    t = await team(world)
    cl = await t.start("court")
    key = CRITICAL["court"][0]
    clock.set(datetime.now(UTC).replace(microsecond=0))
    first_at = clock.now()
    assert (await t.mark(cl["id"], key, "done", "Records filed under seal.")).status_code == 200
    r = await t.mark(cl["id"], key, "pending", actor=t.supervisor)
    assert r.status_code == 200
    item = next(i for i in r.json()["items"] if i["key"] == key)
    assert item["status"] == "pending" and item["updated_by"] == str(t.supervisor.id)
    history = item["history"]
    assert [(h["kind"], h["from_status"], h["to_status"], h["by"]) for h in history] == [
        ("status", "pending", "done", str(t.worker.id)),
        ("status", "done", "pending", str(t.supervisor.id)),
    ]
    assert history[0]["note"] == "Records filed under seal."
    assert history[0]["at"].startswith(first_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert history[0]["agency_id"] == str(t.worker.agency.id)
    assert await audit_actions(cl["id"]) == ["checklist.start", "checklist.item_update", "checklist.item_update"]


async def test_item_notes_are_sealed_at_rest(world):
    import uuid

    import sqlalchemy as sa

    from app.checklists.models import ChecklistItem, ChecklistItemEvent
    from app.core.db import sessionmaker

    t = await team(world)
    cl = await t.start("court")
    key = CRITICAL["court"][1]
    note = "Shelter on Elm Street is not to be named."
    assert (await t.mark(cl["id"], key, "not_applicable", note)).status_code == 200
    cid = uuid.UUID(cl["id"])
    async with sessionmaker()() as s:
        stored = (await s.execute(sa.select(ChecklistItem.note_enc).where(
            ChecklistItem.key == key, ChecklistItem.checklist_id == cid))).scalar_one()
        events = (await s.execute(sa.select(ChecklistItemEvent.note_enc).where(
            ChecklistItemEvent.checklist_id == cid))).scalars().all()
    assert stored.startswith("v2:") and "Elm" not in stored
    assert events and all("Elm" not in e for e in events)


async def test_a_completed_checklist_is_read_only(world):
    t = await team(world)
    done = await t.completed("reunification")
    url = f"/api/v1/checklists/{done['id']}"
    key = ALL_KEYS["reunification"][0]
    r = await world.patch(t.worker, f"{url}/items/{key}", {"status": "done"})
    assert r.status_code == 409, r.text
    assert (await world.post(t.worker, f"{url}/complete")).status_code == 409
    assert (await world.post(t.worker, f"{url}/items/{key}/notes", {"text": "Late note."})).status_code == 409
    r = await world.get(t.worker, url)
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert next(i for i in r.json()["items"] if i["key"] == key)["status"] == "pending"
    assert await audit_actions(done["id"]) == ["checklist.start", "checklist.item_update", "checklist.complete"]


async def test_etag_and_if_match(world):
    t = await team(world)
    cl = await t.start("case_planning")
    url = f"/api/v1/checklists/{cl['id']}"
    r = await world.get(t.worker, url)
    etag = r.headers["ETag"]
    key = CRITICAL["case_planning"][0]
    r = await world.patch(t.worker, f"{url}/items/{key}", {"status": "done"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag
    r = await world.patch(t.worker, f"{url}/items/{key}", {"status": "pending"}, headers={"If-Match": etag})
    assert r.status_code == 412
    assert (await world.post(t.worker, f"{url}/complete", headers={"If-Match": etag})).status_code == 412


async def test_another_agencys_checklist_is_a_404(world):
    t = await team(world)
    cl = await t.start("family_meeting")
    url = f"/api/v1/checklists/{cl['id']}"
    key = CRITICAL["family_meeting"][0]
    other = await team(world)
    off_team = await world.user(t.worker.agency, "cps_worker")  # same agency, not on the case's team
    for actor in (other.worker, other.supervisor, off_team):
        assert (await world.get(actor, url)).status_code == 404
        assert (await world.patch(actor, f"{url}/items/{key}", {"status": "done"})).status_code == 404
        assert (await world.post(actor, f"{url}/complete")).status_code == 404
        assert (await world.post(actor, f"{url}/items/{key}/notes", {"text": "x"})).status_code == 404
        assert (await world.get(actor, f"/api/v1/cases/{t.case_id}/checklists")).status_code == 404
        r = await world.post(actor, f"/api/v1/cases/{t.case_id}/checklists", {"juncture": "court"})
        assert r.status_code == 404
    # An agency admin sees no case data.
    assert (await world.get(t.admin, url)).status_code == 403
    # The supervisor of the owning agency sees it (every case of the agency).
    assert (await world.get(t.supervisor, url)).status_code == 200


async def test_list_a_cases_checklists(world):
    t = await team(world)
    a = await t.start("intake")
    b = await t.completed("investigation")
    r = await world.get(t.worker, f"/api/v1/cases/{t.case_id}/checklists")
    assert r.status_code == 200
    listed = [(x["id"], x["juncture"], x["status"]) for x in r.json()["items"]]
    assert listed == [(b["id"], "investigation", "completed"), (a["id"], "intake", "open")]
    assert "items" not in r.json()["items"][0]
    r = await world.get(t.worker, f"/api/v1/cases/{t.case_id}/checklists", params={"limit": 1})
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"]
