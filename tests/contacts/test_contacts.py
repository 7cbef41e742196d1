"""Safe contact through the API: structured preferences that carry the person's existing instructions (one
sealed value, on the person), If-Match once they exist, sealed fields at rest, a log of attempts with no free
text, 404 across agencies, and the release under `contact` (preferences yes, attempts never)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.contacts.models import ContactAttempt, ContactPreferences
from app.core.clock import utcnow
from app.core.db import sessionmaker
from tests.consent.helpers import SAFE, audit_rows, build_scene, uid

PREFS = {
    "channels": ["text", "email"],
    "safe_times": [{"weekdays": ["mon", "wed"], "start": "09:30:00", "end": "11:00:00"}],
    "timezone": "America/Los_Angeles", "voicemail_ok": False, "code_word": "marigold",
    "others_may_answer": "Her cousin Dalia", "ask_if_safe_first": True,
}


def prefs_url(person: dict[str, Any]) -> str:
    return f"/api/v1/people/{person['id']}/contact-preferences"


def attempts_url(person: dict[str, Any]) -> str:
    return f"/api/v1/people/{person['id']}/contact-attempts"


async def _raw(model: Any, person_id: Any) -> list[dict[str, Any]]:
    async with sessionmaker()() as s:
        t = model.__table__
        return [dict(r) for r in (await s.execute(sa.select(t).where(t.c.person_id == uid(person_id)))).mappings()]


async def test_existing_instructions_are_part_of_the_preferences(client, world):
    s = await build_scene(world)
    # before any PUT: the person's instructions, no structured preferences, no ETag
    r = await world.get(s["advocate"], prefs_url(s.survivor))
    assert r.status_code == 200, r.text
    assert r.json()["instructions"] == SAFE and r.json()["id"] is None and r.json()["channels"] == []
    assert "ETag" not in r.headers
    # a person with nothing on file: 404
    other = await world.person(s["advocate"], s.case["id"])
    assert (await world.get(s["advocate"], prefs_url(other))).status_code == 404

    r = await world.put(s["advocate"], prefs_url(s.survivor), PREFS)  # instructions left out: kept
    assert r.status_code == 201, r.text
    body, etag = r.json(), r.headers["ETag"]
    assert {k: body[k] for k in PREFS} == PREFS and body["instructions"] == SAFE
    r = await world.get(s["advocate"], prefs_url(s.survivor))
    assert r.json() == body and r.headers["ETag"] == etag

    # the instructions are one value: written through the preferences, read through the person
    r = await world.put(s["advocate"], prefs_url(s.survivor), {**PREFS, "instructions": "Email only."},
                        headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    person = (await world.get(s["advocate"], f"/api/v1/people/{s.survivor['id']}")).json()
    assert person["safe_contact_instructions"] == "Email only."
    etag = r.headers["ETag"]
    r = await world.put(s["advocate"], prefs_url(s.survivor), {"instructions": None}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["instructions"] is None and r.json()["channels"] == []
    person = (await world.get(s["advocate"], f"/api/v1/people/{s.survivor['id']}")).json()
    assert person["safe_contact_instructions"] is None
    assert [e.action for e in await audit_rows(object_id=body["id"])] == [
        "contact_preferences.create", "contact_preferences.update", "contact_preferences.update"]


async def test_replacing_needs_if_match(client, world):
    s = await build_scene(world)
    r = await world.put(s["advocate"], prefs_url(s.survivor), PREFS)
    etag = r.headers["ETag"]
    assert (await world.put(s["advocate"], prefs_url(s.survivor), PREFS)).status_code == 428
    r = await world.put(s["advocate"], prefs_url(s.survivor), PREFS, headers={"If-Match": 'W/"x.9"'})
    assert r.status_code == 412
    assert (await world.put(s["advocate"], prefs_url(s.survivor), PREFS, headers={"If-Match": etag})).status_code == 200
    assert (await world.put(s["advocate"], prefs_url(s.survivor), PREFS, headers={"If-Match": etag})).status_code == 412


async def test_sealed_at_rest(client, world):
    s = await build_scene(world)
    assert (await world.put(s["advocate"], prefs_url(s.survivor), PREFS)).status_code == 201
    (row,) = await _raw(ContactPreferences, s.survivor["id"])
    raw = repr(row)
    assert "marigold" not in raw and "Dalia" not in raw and "09:30" not in raw
    assert row["channels"] == ["text", "email"] and row["voicemail_ok"] is False


async def test_bad_preferences_are_422_and_write_nothing(client, world):
    s = await build_scene(world)
    bad = [
        {**PREFS, "channels": ["carrier_pigeon"]},
        {**PREFS, "channels": ["text", "text"]},
        {**PREFS, "safe_times": [{"weekdays": ["mon"], "start": "11:00", "end": "09:00"}]},
        {**PREFS, "safe_times": [{"weekdays": [], "start": "09:00", "end": "10:00"}]},
        {**PREFS, "safe_times": [{"weekdays": ["someday"], "start": "09:00", "end": "10:00"}]},
        {**PREFS, "timezone": "Mars/Olympus_Mons"},
        {**PREFS, "timezone": None},
        {**PREFS, "code_word": ""},
        {**PREFS, "address": "somewhere"},
    ]
    for body in bad:
        r = await world.put(s["advocate"], prefs_url(s.survivor), body)
        assert r.status_code == 422, body
        assert "marigold" not in r.text and "Dalia" not in r.text
    assert await _raw(ContactPreferences, s.survivor["id"]) == []
    person = (await world.get(s["advocate"], f"/api/v1/people/{s.survivor['id']}")).json()
    assert person["safe_contact_instructions"] == SAFE and person["updated_at"] is None


async def test_other_agencies_get_404(client, world):
    s = await build_scene(world)
    assert (await world.put(s["advocate"], prefs_url(s.survivor), PREFS)).status_code == 201
    for actor in ("cps_worker", "third_worker", "dv_other_advocate"):
        assert (await world.get(s[actor], prefs_url(s.survivor))).status_code == 404
        assert (await world.put(s[actor], prefs_url(s.survivor), PREFS)).status_code == 404
        assert (await world.get(s[actor], attempts_url(s.survivor))).status_code == 404
        r = await world.post(s[actor], attempts_url(s.survivor), {"channel": "call", "reached": False})
        assert r.status_code == 404
    assert await _raw(ContactAttempt, s.survivor["id"]) == []


async def test_contact_attempts_log(client, world):
    s = await build_scene(world)
    earlier = (utcnow() - timedelta(days=1)).isoformat()
    r = await world.post(s["advocate"], attempts_url(s.survivor),
                         {"attempted_at": earlier, "channel": "call", "reached": False})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["by_user_id"] == str(s["advocate"].id) and first["reached"] is False
    r = await world.post(s["dv_supervisor"], attempts_url(s.survivor), {"channel": "text", "reached": True},
                         headers={"Idempotency-Key": "attempt-1"})
    assert r.status_code == 201
    second = r.json()
    again = await world.post(s["dv_supervisor"], attempts_url(s.survivor), {"channel": "text", "reached": True},
                             headers={"Idempotency-Key": "attempt-1"})
    assert again.status_code == 201 and again.json()["id"] == second["id"]
    assert again.headers["Idempotent-Replayed"] == "true"

    r = await world.get(s["advocate"], attempts_url(s.survivor))
    items = r.json()["items"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]  # the latest attempt first
    assert set(items[0]) == {"id", "person_id", "attempted_at", "channel", "reached", "by_user_id", "created_at"}
    assert items[0]["by_user_id"] == str(s["dv_supervisor"].id)
    assert [e.action for e in await audit_rows(object_id=first["id"])] == ["contact_attempt.create"]

    future = (utcnow() + timedelta(hours=1)).isoformat()
    for body in ({"attempted_at": future, "channel": "call", "reached": True}, {"channel": "fax", "reached": True},
                 {"channel": "call"}, {"channel": "call", "reached": True, "note": "she said he was home"}):
        assert (await world.post(s["advocate"], attempts_url(s.survivor), body)).status_code == 422, body
    assert len(await _raw(ContactAttempt, s.survivor["id"])) == 2


async def test_released_under_contact_without_attempts(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity"])
    r = await world.put(s["advocate"], prefs_url(s.survivor), PREFS)
    assert r.status_code == 201
    prefs = r.json()
    await world.post(s["advocate"], attempts_url(s.survivor), {"channel": "call", "reached": True})
    r = await s.disclose(categories=["contact"])
    assert r.json()["withheld"] == [{"category": "contact", "reason": "category_not_consented"}]
    assert "marigold" not in r.text

    await s.consent(categories=["contact"])
    r = await s.disclose(categories=["contact"])
    assert r.status_code == 201, r.text
    body = r.json()
    contact = body["released"]["contact"]
    assert contact["safe_contact_instructions"] == SAFE
    assert contact["preferences"] == {k: v for k, v in PREFS.items()}
    assert "attempts" not in contact and "reached" not in r.text
    meta = body["released_meta"]["contact"]
    assert meta["agency_id"] == str(s.dv.id)
    assert meta["as_of"][:19] == prefs["created_at"][:19]  # the latest change of what is released
    assert (await s.accounting())[0]["categories_released"] == ["contact"]
