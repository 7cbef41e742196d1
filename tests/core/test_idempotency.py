"""Idempotency-Key on creates: the stored record keeps what a replay needs (owner, keyed hashes, status, the
created object's id) and nothing else; a replay re-reads the object as the caller may see it now; records
expire after TANDEM_IDEMPOTENCY_TTL_HOURS and are purged."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.core.db import sessionmaker
from tests.checklists.helpers import CRITICAL, team
from tests.consent.helpers import SECRETS, SURVIVOR, build_scene, consent_body, mandate_body
from tests.factories import Actor, World

TANDEM = str(Path(sys.executable).parent / "tandem")
ROOT = Path(__file__).resolve().parents[2]


async def rows_of(actor: Actor) -> list[dict[str, Any]]:
    """The caller's idempotency records, every column, read with plain SQL."""
    async with sessionmaker()() as s:
        rows = (await s.execute(sa.text("SELECT * FROM idempotency_records WHERE owner = :o"),
                                {"o": f"user:{actor.id}"})).mappings().all()
    return [dict(r) for r in rows]


def dump(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=str)


def stored_id(row: dict[str, Any]) -> uuid.UUID:
    value = row["resource_id"]
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def create_twice(world: World, actor: Actor, url: str, body: dict[str, Any],
                       key: str | None = None) -> tuple[httpx.Response, httpx.Response, str]:
    h = {"Idempotency-Key": key or uuid.uuid4().hex}
    r1 = await world.post(actor, url, body, headers=h)
    assert r1.status_code == 201, r1.text
    r2 = await world.post(actor, url, body, headers=h)
    return r1, r2, h["Idempotency-Key"]


def assert_replayed(r1: httpx.Response, r2: httpx.Response) -> None:
    assert r2.status_code == r1.status_code == 201, r2.text
    assert r2.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in r1.headers
    assert r2.json()["id"] == r1.json()["id"]


def assert_clean(rows: list[dict[str, Any]], created_id: str, *never: str) -> None:
    """One record, holding the created object's id and none of `never`, and no response body at all."""
    text = dump(rows)
    leaked = [s for s in never if s in text]
    assert not leaked, f"idempotency record holds {leaked}"
    assert len(rows) == 1
    assert "response_body" not in rows[0]
    assert stored_id(rows[0]) == uuid.UUID(created_id)


# ---------------------------------------------------------------- each kind of sensitive create


async def test_client_secret_is_not_kept_and_a_replay_does_not_show_it(world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    r1, r2, _ = await create_twice(world, admin, "/api/v1/clients", {"name": "Case system", "roles": ["cps_worker"]})
    secret = r1.json()["client_secret"]
    assert len(secret) > 20
    assert_clean(await rows_of(admin), r1.json()["id"], secret)
    assert_replayed(r1, r2)
    assert "client_secret" not in r2.json() and secret not in r2.text
    assert {k: v for k, v in r1.json().items() if k != "client_secret"} == r2.json()


async def test_checklist_note_is_not_kept(world):
    t = await team(world)
    cl = await t.start("safety_planning")
    key = CRITICAL["safety_planning"][0]
    note = f"She sleeps at her cousin's on Larkspur Row {uuid.uuid4().hex[:6]}"
    r1, r2, _ = await create_twice(world, t.worker, f"/api/v1/checklists/{cl['id']}/items/{key}/notes",
                                   {"text": note})
    assert_clean(await rows_of(t.worker), r1.json()["id"], note, "Larkspur")
    assert_replayed(r1, r2)
    assert r2.json() == r1.json() and r2.json()["note"] == note


async def test_juncture_override_reason_is_not_kept(world):
    t = await team(world)
    reason = f"Emergency hearing moved up; the father threatened the caseworker {uuid.uuid4().hex[:6]}"
    body = {"juncture": "court", "scheduled_for": "2026-12-01T15:00:00Z", "override_reason": reason}
    r1, r2, _ = await create_twice(world, t.supervisor, f"/api/v1/cases/{t.case_id}/junctures", body)
    assert r1.json()["overridden"] is True
    assert_clean(await rows_of(t.supervisor), r1.json()["id"], reason, "threatened")
    assert_replayed(r1, r2)
    assert r2.json() == r1.json()


async def test_person_fields_are_not_kept(world):
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    case = await world.case(advocate)
    r1, r2, _ = await create_twice(world, advocate, f"/api/v1/cases/{case['id']}/people", SURVIVOR)
    assert_clean(await rows_of(advocate), r1.json()["id"], *SECRETS, SURVIVOR["full_name"], "1988-06-01")
    assert_replayed(r1, r2)
    assert r2.json() == r1.json()


async def test_referral_reason_and_goals_are_not_kept(world):
    from tests.referrals.scene import SURVIVOR_NAME
    from tests.referrals.scene import build_scene as referral_scene

    s = await referral_scene(world, agreement=False, consent=False)
    reason = "Needs shelter after an incident on 3 Elm Street."
    goals = "Keep the children in school near Aunt Dolores."
    body = {"case_id": s.case["id"], "to_agency_id": str(s.dv.id), "person_ids": [s.survivor["id"]],
            "reason": reason, "urgency": "routine", "family_goals": goals}
    r1, r2, _ = await create_twice(world, s["cps_worker"], "/api/v1/referrals", body)
    assert_clean(await rows_of(s["cps_worker"]), r1.json()["id"], reason, "Elm Street", "Dolores", SURVIVOR_NAME)
    assert_replayed(r1, r2)
    assert r2.json() == r1.json() and r2.headers["etag"] == r1.headers["etag"]


async def test_consent_and_mandate_keep_nothing_but_ids(world):
    s = await build_scene(world)
    sid = s.survivor["id"]
    r1, r2, _ = await create_twice(world, s["advocate"], f"/api/v1/people/{sid}/consents",
                                   consent_body(sid, s.cps.id))
    assert_clean(await rows_of(s["advocate"]), r1.json()["id"], *SECRETS, "Rosa")
    assert_replayed(r1, r2)
    assert r2.json() == r1.json()

    citation = "In re the Welfare of R.E., No. 26-JV-0412 (Ostley Cty. Juv. Ct.)"
    body = mandate_body(s.cps, ["identity"], citation=citation, document_sha256="c" * 64)
    r1, r2, _ = await create_twice(world, s["dv_supervisor"], f"/api/v1/people/{sid}/legal-mandates", body)
    assert_clean(await rows_of(s["dv_supervisor"]), r1.json()["id"], citation, "26-JV-0412", "Welfare")
    assert_replayed(r1, r2)
    assert r2.json() == r1.json()


async def test_other_creates_keep_ids_only(world):
    """Every other create with a key: one record holding the id, and a replay that answers the same."""
    t = await team(world)
    admin = await world.admin()
    for actor, url, body in [
        (admin, "/api/v1/agencies", {"name": f"Agency {uuid.uuid4().hex[:6]}", "kind": "dv"}),
        (t.admin, "/api/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@t.example", "full_name": "Quinn Harlow",
                                    "roles": ["cps_worker"], "password": "a long enough password"}),
        (t.admin, f"/api/v1/agencies/{t.worker.agency.id}/offices", {"name": "North", "timezone": "America/Chicago"}),
        (t.worker, "/api/v1/cases", {"reference": f"R-{uuid.uuid4().hex[:6]}"}),
        (t.worker, f"/api/v1/cases/{t.case_id}/checklists", {"juncture": "court"}),
    ]:
        before = len(await rows_of(actor))
        r1, r2, key = await create_twice(world, actor, url, body)
        assert_replayed(r1, r2)
        assert r2.json() == r1.json(), url
        rows = await rows_of(actor)
        assert len(rows) == before + 1
        assert "Quinn" not in dump(rows) and "@t.example" not in dump(rows)


# ---------------------------------------------------------------- how the record is kept


async def test_request_hash_and_key_are_keyed_not_plain_digests(world):
    """A plain SHA-256 of a short body is a dictionary oracle for a guessable note; the stored hash is an
    HMAC under a server key, and the client's key is not stored as sent."""
    t = await team(world)
    cl = await t.start("safety_planning")
    key = CRITICAL["safety_planning"][0]
    url = f"/api/v1/checklists/{cl['id']}/items/{key}/notes"
    idem_key = f"note-{uuid.uuid4().hex}"
    r = await world.client.post(url, content=b'{"text":"He has a gun"}',
                                headers={**t.worker.h, "Idempotency-Key": idem_key,
                                         "content-type": "application/json"})
    assert r.status_code == 201, r.text
    (row,) = await rows_of(t.worker)
    plain = hashlib.sha256(url.encode() + b"\n" + b'{"text":"He has a gun"}').hexdigest()
    assert row["request_hash"] != plain and len(row["request_hash"]) == 64
    assert idem_key not in dump([row])


async def test_same_key_with_another_body_is_refused_and_changes_nothing(world):
    t = await team(world)
    cl = await t.start("safety_planning")
    key = CRITICAL["safety_planning"][0]
    url = f"/api/v1/checklists/{cl['id']}/items/{key}/notes"
    h = {"Idempotency-Key": "note-1"}
    assert (await world.post(t.worker, url, {"text": "first"}, headers=h)).status_code == 201
    r = await world.post(t.worker, url, {"text": "second"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["type"] == "idempotency_key_reused"
    assert "second" not in r.text and "first" not in r.text
    # The same key on another create path is another request too.
    r = await world.post(t.worker, "/api/v1/cases", {"reference": "x"}, headers=h)
    assert r.status_code == 422
    items = (await world.get(t.worker, f"/api/v1/checklists/{cl['id']}")).json()["items"]
    assert [e["note"] for i in items for e in i["history"]] == ["first"]
    # Keys are per caller: another worker may use the same key for its own create.
    other = await world.user(t.worker.agency, "cps_worker")
    assert (await world.post(other, "/api/v1/cases", {"reference": "y"}, headers=h)).status_code == 201


async def test_a_too_long_key_is_refused(world):
    t = await team(world)
    r = await world.post(t.worker, "/api/v1/cases", {"reference": "z"}, headers={"Idempotency-Key": "k" * 201})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


# ---------------------------------------------------------------- a replay re-reads the object


async def test_replay_shows_the_current_state(world):
    t = await team(world)
    h = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"reference": f"S-{uuid.uuid4().hex[:6]}"}
    r1 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    assert r1.status_code == 201
    patched = await world.patch(t.worker, f"/api/v1/cases/{r1.json()['id']}", {"reference": "Renamed"})
    assert patched.status_code == 200, patched.text
    r2 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    assert_replayed(r1, r2)
    assert r2.json()["reference"] == "Renamed" and r2.headers["etag"] == patched.headers["etag"]


async def test_replay_of_an_object_no_longer_visible_is_404(world):
    t = await team(world)
    h = {"Idempotency-Key": uuid.uuid4().hex}
    url = f"/api/v1/cases/{t.case_id}/checklists"
    assert (await world.post(t.worker, url, {"juncture": "court"}, headers=h)).status_code == 201
    r = await world.delete(t.supervisor, f"/api/v1/cases/{t.case_id}/team/{t.worker.id}")
    assert r.status_code == 204, r.text
    r = await world.post(t.worker, url, {"juncture": "court"}, headers=h)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


# ---------------------------------------------------------------- expiry and purge


async def test_an_expired_key_is_fresh_again(world, clock, monkeypatch):
    from app.core.config import get_settings

    t0 = datetime.now(UTC).replace(microsecond=0)
    clock.set(t0)
    t = await team(world)
    h = {"Idempotency-Key": "daily-import"}
    body = {"reference": "E-1"}
    r1 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    clock.set(t0 + timedelta(hours=23, minutes=59))
    t.worker.h = {"Authorization": f"Bearer {_token(t.worker)}"}
    r2 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    assert_replayed(r1, r2)
    clock.set(t0 + timedelta(hours=24, minutes=1))
    t.worker.h = {"Authorization": f"Bearer {_token(t.worker)}"}
    r3 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    assert r3.status_code == 201 and "idempotent-replayed" not in r3.headers
    assert r3.json()["id"] != r1.json()["id"]
    assert len(await rows_of(t.worker)) == 1  # the expired record made way for the new one
    r4 = await world.post(t.worker, "/api/v1/cases", body, headers=h)
    assert r4.json()["id"] == r3.json()["id"] and r4.headers.get("idempotent-replayed") == "true"

    # The lifetime is configurable; after it, even another body may use the key.
    monkeypatch.setattr(get_settings(), "idempotency_ttl_hours", 1)
    clock.set(t0 + timedelta(hours=25, minutes=2))
    t.worker.h = {"Authorization": f"Bearer {_token(t.worker)}"}
    r5 = await world.post(t.worker, "/api/v1/cases", {"reference": "E-2"}, headers=h)
    assert r5.status_code == 201 and "idempotent-replayed" not in r5.headers


def _token(actor: Actor) -> str:
    from tests.factories import token_for

    return token_for(actor.user, actor.agency)


async def _backdate(actor: Actor, hours: float) -> None:
    async with sessionmaker()() as s:
        await s.execute(sa.text("UPDATE idempotency_records SET created_at = :at WHERE owner = :o"),
                        {"at": _db_time(datetime.now(UTC) - timedelta(hours=hours)), "o": f"user:{actor.id}"})
        await s.commit()


def _db_time(value: datetime) -> Any:
    """The stored form of a timestamp for a raw UPDATE (naive UTC on SQLite, aware on PostgreSQL)."""
    return value.replace(tzinfo=None) if os.environ["DATABASE_URL"].startswith("sqlite") else value


async def test_purge_removes_expired_records_only(world):
    from app.core.http import purge_expired_idempotency

    t = await team(world)
    old_actor = await world.user(t.worker.agency, "cps_worker")
    for actor in (old_actor, t.worker):
        r = await world.post(actor, "/api/v1/cases", {"reference": "P"}, headers={"Idempotency-Key": "p-1"})
        assert r.status_code == 201
    await _backdate(old_actor, 24.5)
    await _backdate(t.worker, 23.5)
    removed = await purge_expired_idempotency()
    assert removed >= 1
    assert await rows_of(old_actor) == [] and len(await rows_of(t.worker)) == 1


async def test_the_worker_loop_purges_now_and_then(world):
    """The background worker of `tandem serve` calls this on every pass; it purges once per interval."""
    from app.core import http

    t = await team(world)
    assert (await world.post(t.worker, "/api/v1/cases", {"reference": "W"},
                             headers={"Idempotency-Key": "w-1"})).status_code == 201
    await _backdate(t.worker, 48)
    http._next_purge = 0.0
    await http.purge_idempotency_if_due()
    assert await rows_of(t.worker) == []
    assert (await world.post(t.worker, "/api/v1/cases", {"reference": "W2"},
                             headers={"Idempotency-Key": "w-2"})).status_code == 201
    await _backdate(t.worker, 48)
    await http.purge_idempotency_if_due()  # within the interval: nothing happens
    assert len(await rows_of(t.worker)) == 1


async def test_purge_command(world):
    t = await team(world)
    assert (await world.post(t.worker, "/api/v1/cases", {"reference": "C"},
                             headers={"Idempotency-Key": "c-1"})).status_code == 201
    await _backdate(t.worker, 30)
    proc = await asyncio.create_subprocess_exec(
        TANDEM, "purge-idempotency", cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    assert "removed" in out.decode()
    assert await rows_of(t.worker) == []



async def test_a_record_made_before_a_data_key_rotation_still_replays(world, monkeypatch):
    from app.core import crypto

    t = await team(world)
    h = {"Idempotency-Key": uuid.uuid4().hex}
    r1 = await world.post(t.worker, "/api/v1/cases", {"reference": "K-1"}, headers=h)
    old = crypto.data_keys()
    rotated = crypto.DataKeys(current="knew", keys={"knew": os.urandom(32), **old.keys})
    monkeypatch.setattr(crypto, "_keys", rotated)
    r2 = await world.post(t.worker, "/api/v1/cases", {"reference": "K-1"}, headers=h)
    assert_replayed(r1, r2)
    assert (await world.post(t.worker, "/api/v1/cases", {"reference": "K-2"}, headers=h)).status_code == 422
    # A new key's record is made under the new current key, and found again.
    h2 = {"Idempotency-Key": uuid.uuid4().hex}
    r3 = await world.post(t.worker, "/api/v1/cases", {"reference": "K-3"}, headers=h2)
    assert_replayed(r3, await world.post(t.worker, "/api/v1/cases", {"reference": "K-3"}, headers=h2))
