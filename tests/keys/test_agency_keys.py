"""Each agency's data under its own keys: sealing, rotation (data key and key-encryption key), shredding and
the migration from the single platform key. Run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from app.cases.models import Person, person_aad
from app.core import crypto, kek, keyring
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.core.errors import TYPE_BASE
from app.core.models import AgencyKey, DataKey
from app.keys import operations
from tests.cases.helpers import uid

SEALED = ("contact_enc", "address_enc", "safe_contact_enc")
ADDRESS = {"line1": "88 Quiet Orchard Way", "line2": None, "city": "Lindale", "region": "OR",
           "postal_code": "97000", "country": "US", "kind": "acp_substitute"}


async def _raw(person_id: str) -> dict:
    async with sessionmaker()() as s:
        t = Person.__table__
        return dict((await s.execute(sa.select(t).where(t.c.id == uid(person_id)))).mappings().one())


def _kids(row: dict) -> set[str]:
    return {crypto.key_id_of(row[c]) for c in SEALED if row[c] is not None}


async def _data_keys(agency_id: uuid.UUID) -> list[DataKey]:
    async with sessionmaker()() as s:
        return list((await s.execute(sa.select(DataKey).where(DataKey.agency_id == agency_id)
                                     .order_by(DataKey.created_at))).scalars())


async def _person(world, kind: str = "dv", **extra):
    agency = await world.agency(kind)
    actor = await world.user(agency, "dv_advocate" if kind == "dv" else "cps_worker")
    case = await world.case(actor)
    person = await world.person(actor, case["id"], address=ADDRESS, contact={"phone": "555 0142"},
                                safe_contact_instructions="Text first.", **extra)
    return agency, actor, case, person


async def test_each_agency_seals_under_its_own_data_key(client, world):
    dv, _, _, p1 = await _person(world, "dv")
    cps, _, _, p2 = await _person(world, "cps")
    k1, k2 = _kids(await _raw(p1["id"])), _kids(await _raw(p2["id"]))
    assert k1 == {crypto.ring.current[dv.id]} and k2 == {crypto.ring.current[cps.id]} and k1 != k2
    for agency, kids in ((dv, k1), (cps, k2)):
        (key,) = await _data_keys(agency.id)
        assert {key.id} == kids and key.provider == "local" and key.wrapped
        async with sessionmaker()() as s:
            config = await s.get(AgencyKey, agency.id)
        assert config is not None and config.kek_id == key.kek_id
        # Stored wrapped only: the plaintext key is what the KEK opens, and it is not what the table holds.
        plain = kek.local.unwrap(key.kek_id, base64.b64decode(key.wrapped), crypto.wrap_aad(key.id, agency.id))
        assert len(plain) == 32 and plain not in base64.b64decode(key.wrapped)
    # A value sealed for one agency does not open as another's row (the row and field binding holds).
    row = await _raw(p1["id"])
    assert crypto.decrypt_json(row["address_enc"], person_aad(uid(p1["id"]), "address")) == ADDRESS


async def test_the_cache_is_bounded_and_a_miss_unwraps_again(client, world, monkeypatch):
    _, actor, _, person = await _person(world)
    monkeypatch.setenv("TANDEM_DATA_KEY_CACHE_SIZE", "1")
    get_settings.cache_clear()
    try:
        await _person(world, "cps")  # another agency's key pushes this one out
        assert len(crypto.ring.cached()) <= 1
        r = await world.get(actor, f"/api/v1/people/{person['id']}")
        assert r.status_code == 200 and r.json()["address"] == ADDRESS
    finally:
        monkeypatch.delenv("TANDEM_DATA_KEY_CACHE_SIZE")
        get_settings.cache_clear()


def test_commands_are_registered():
    from app.cli import build_parser

    parser = build_parser()
    aid = str(uuid.uuid4())
    assert parser.parse_args(["rotate-data-key", "--agency", aid]).command == "rotate-data-key"
    assert parser.parse_args(["shred-agency-key", "--agency", aid]).command == "shred-agency-key"
    assert parser.parse_args(["migrate-data-keys"]).command == "migrate-data-keys"


async def _tandem(*args: str) -> tuple[int, str, str]:
    tandem = Path(sys.executable).parent / "tandem"
    proc = await asyncio.create_subprocess_exec(str(tandem), *args, env=os.environ.copy(),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_rotating_one_agency_reseals_its_data_only(client, world):
    dv, advocate, _, mine = await _person(world, "dv")
    _, worker, _, theirs = await _person(world, "cps")
    before_mine, before_theirs = _kids(await _raw(mine["id"])), _kids(await _raw(theirs["id"]))

    code, out, err = await _tandem("rotate-data-key", "--agency", str(dv.id))
    assert code == 0, err
    assert "re-encrypted" in out

    keys = await _data_keys(dv.id)
    assert len(keys) == 2 and keys[0].wrapped  # the older key stays (values sealed with it still open)
    row = await _raw(mine["id"])
    assert _kids(row) == {keys[-1].id} != before_mine
    assert row["version"] == 1  # re-sealing is not an edit: the ETag stays
    assert _kids(await _raw(theirs["id"])) == before_theirs  # another agency's rows untouched

    # This process meets a key another process made: that read asks to retry while the ring reloads.
    r = await world.get(advocate, f"/api/v1/people/{mine['id']}")
    if r.status_code == 503:
        assert r.json()["type"] == TYPE_BASE + "key-unavailable"
        r = await world.get(advocate, f"/api/v1/people/{mine['id']}")
    assert r.status_code == 200 and r.json()["address"] == ADDRESS
    assert r.json()["safe_contact_instructions"] == "Text first."
    assert (await world.get(worker, f"/api/v1/people/{theirs['id']}")).json()["address"] == ADDRESS
    # New values are sealed with the new key in this process too.
    r = await world.patch(advocate, f"/api/v1/people/{mine['id']}", {"contact": {"phone": "555 0199"}},
                          headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200
    assert crypto.key_id_of((await _raw(mine["id"]))["contact_enc"]) == keys[-1].id


async def test_rotating_the_key_encryption_key_rewraps_without_touching_rows(client, world):
    dv, advocate, _, person = await _person(world)
    row = await _raw(person["id"])
    (before,) = await _data_keys(dv.id)

    done = await operations.rotate(dv.id, kek=True)
    assert done["keys_rewrapped"] == 1 and done["values"] == 0
    (after,) = await _data_keys(dv.id)
    assert after.id == before.id and after.kek_id != before.kek_id and after.wrapped != before.wrapped
    assert await _raw(person["id"]) == row  # no sealed value changed
    async with sessionmaker()() as s:
        config = await s.get(AgencyKey, dv.id)
    assert config is not None and config.kek_id == after.kek_id and config.rotated_at > before.created_at

    # The old KEK is no longer needed: destroy it, forget the unwrapped keys, read through the new KEK.
    assert kek.local.destroy(before.kek_id)
    crypto.ring.forget()
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200 and r.json()["address"] == ADDRESS


async def test_shredding_makes_only_that_agencys_sealed_data_unreadable(client, world):
    dv, advocate, case, person = await _person(world)
    _, worker, _, other = await _person(world, "cps")
    (key,) = await _data_keys(dv.id)
    kek_file = get_settings().var_dir / "keys" / "keks" / f"{key.kek_id}.key"
    assert kek_file.exists()

    code, out, err = await _tandem("shred-agency-key", "--agency", str(dv.id))
    assert code == 2 and "--yes" in err  # asks for confirmation first
    assert (await _data_keys(dv.id))[0].wrapped
    code, out, err = await _tandem("shred-agency-key", "--agency", str(dv.id), "--yes")
    assert code == 0, err
    assert "destroyed 1 data keys" in out
    assert [k.wrapped for k in await _data_keys(dv.id)] == [None]
    assert not kek_file.exists()  # the backups' wrapped keys can no longer be opened either

    await keyring.ensure_loaded()
    crypto.ring.stale = True  # what another process (the command) did is read again, as a restart would
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    if r.status_code == 200:  # the request before reloaded the ring: the next one reads it
        r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 503
    body = r.json()
    assert body["type"] == TYPE_BASE + "key-unavailable" and "Text first" not in r.text
    # Everything else answers: the agency's unsealed data, and another agency's sealed data.
    assert (await world.get(advocate, f"/api/v1/cases/{case['id']}")).status_code == 200
    assert (await world.get(worker, f"/api/v1/people/{other['id']}")).json()["address"] == ADDRESS
    # Nothing new is sealed for it either.
    r = await world.post(advocate, f"/api/v1/cases/{case['id']}/people",
                         {"full_name": "New", "case_role": "adult_survivor", "contact": {"phone": "555 0100"}})
    assert r.status_code == 503
    async with sessionmaker()() as s:
        actions = set((await s.execute(sa.text(
            "SELECT action FROM audit_events WHERE object_id = :a"), {"a": str(dv.id)})).scalars())
    assert "agency_key.shred" in actions


async def _seal_with_platform_key(person_id: str) -> None:
    """Turn a person's sealed values back into what the single platform key sealed before agency keys."""
    pid = uid(person_id)
    t = Person.__table__
    async with sessionmaker()() as s:
        row = (await s.execute(sa.select(t).where(t.c.id == pid))).mappings().one()
        dk = crypto.data_keys()
        values = {}
        for col, field in (("contact_enc", "contact"), ("address_enc", "address"),
                           ("safe_contact_enc", "safe_contact_instructions")):
            plain = crypto.decrypt(row[col], person_aad(pid, field))
            nonce = os.urandom(12)
            ct = crypto.AESGCM(dk.keys[dk.current]).encrypt(nonce, plain, person_aad(pid, field))
            values[col] = f"v1:{dk.current}:{crypto._b64e(nonce + ct)}"
        await s.execute(t.update().where(t.c.id == pid).values(values))
        await s.commit()


async def test_migration_from_the_platform_key_is_resumable(client, world):
    people = []
    for kind in ("dv", "cps", "dv"):
        agency, actor, _, person = await _person(world, kind)
        await _seal_with_platform_key(person["id"])
        people.append((agency, actor, person))
    # Values under the platform key keep opening until they are migrated.
    agency, actor, person = people[0]
    assert (await _raw(person["id"]))["address_enc"].startswith("v1:")
    r = await world.get(actor, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200 and r.json()["address"] == ADDRESS

    # A run that stops part way (a value that does not open) keeps what it did; the next run continues.
    broken_id = uid(people[2][2]["id"])
    t = Person.__table__
    async with sessionmaker()() as s:
        good = (await s.execute(sa.select(t.c.address_enc).where(t.c.id == broken_id))).scalar_one()
        await s.execute(t.update().where(t.c.id == broken_id).values(address_enc=good[:-6] + "AAAAAA"))
        await s.commit()
    try:
        await operations.migrate(batch_size=1)
        raise AssertionError("the damaged value should stop the migration")
    except keyring.ResealError as e:
        assert "people.address_enc" in str(e) and str(broken_id) in str(e)
    async with sessionmaker()() as s:
        await s.execute(t.update().where(t.c.id == broken_id).values(address_enc=good))
        await s.commit()
    rows = [await _raw(p["id"]) for _, _, p in people]
    assert all(row["contact_enc"].startswith("v2:") for row in rows)  # kept: sealed before the stop

    code, out, err = await _tandem("migrate-data-keys", "--batch-size", "2")
    assert code == 0, err
    for agency, actor, person in people:
        row = await _raw(person["id"])
        assert _kids(row) == {k.id for k in await _data_keys(agency.id)}  # under its own agency's key
        assert all(row[c].startswith("v2:") for c in SEALED)
        r = await world.get(actor, f"/api/v1/people/{person['id']}")
        if r.status_code == 503:  # keys this process has not loaded yet: reloaded for the next request
            r = await world.get(actor, f"/api/v1/people/{person['id']}")
        assert r.json()["address"] == ADDRESS
    # Nothing is left under the platform key: a run again has nothing to do.
    assert await operations.migrate() == 0


def test_replicas_that_may_not_generate_keys_use_the_configured_local_kek(monkeypatch):
    from app.core.config import KeysNotConfigured

    try:
        monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1/none")
        monkeypatch.setenv("TANDEM_ALLOW_LOCAL_KEYS", "false")
        monkeypatch.delenv("TANDEM_LOCAL_KEKS", raising=False)
        get_settings.cache_clear()
        try:
            kek.new_local_kek_id()
            raise AssertionError("a key file would be generated where other replicas cannot read it")
        except KeysNotConfigured as e:
            assert "TANDEM_LOCAL_KEKS" in str(e)
        shared = base64.urlsafe_b64encode(os.urandom(32)).decode()
        monkeypatch.setenv("TANDEM_LOCAL_KEKS", f"shared-kek:{shared}")
        get_settings.cache_clear()
        assert kek.new_local_kek_id() == "shared-kek"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_worker_that_has_not_seen_a_new_agency_loads_its_key_before_the_first_write(client, world):
    """An agency made by another worker process is not in this process's ring yet: its staff's first sealed
    write here must load the ring (not answer 503 key-unavailable and leave the reload to the next request)."""
    agency = await world.agency("dv")
    actor = await world.user(agency, "dv_advocate")
    case = await world.case(actor)
    # As a process that loaded its ring before the agency existed.
    crypto.ring.replace([w for w in crypto.ring.wrapped.values() if w.agency_id != agency.id])
    assert agency.id not in crypto.ring.current
    person = await world.person(actor, case["id"], address=ADDRESS, contact={"phone": "555 0142"})
    assert _kids(await _raw(person["id"])) == {crypto.ring.current[agency.id]}
