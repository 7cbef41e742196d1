"""`tandem rotate-data-key` re-encrypts every sealed value, with the local key file and with TANDEM_DATA_KEYS."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import sqlalchemy as sa

from app.cases.models import Person
from app.core import crypto
from app.core.config import get_settings
from app.core.db import sessionmaker
from tests.cases.helpers import uid

ADDRESS = {"line1": "88 Quiet Orchard Way", "line2": None, "city": "Lindale", "region": "OR",
           "postal_code": "97000", "country": "US", "kind": "acp_substitute"}


async def _raw(person_id: str) -> dict:
    async with sessionmaker()() as s:
        t = Person.__table__
        return dict((await s.execute(sa.select(t).where(t.c.id == uid(person_id)))).mappings().one())


def _key_ids(row: dict) -> set[str]:
    return {crypto.key_id_of(row[c]) for c in ("contact_enc", "address_enc", "safe_contact_enc")}


async def _person(world):
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    case = await world.case(advocate)
    person = await world.person(advocate, case["id"], address=ADDRESS, contact={"phone": "555 0142"},
                                safe_contact_instructions="Text first.")
    return advocate, person


def test_command_is_registered():
    from app.cli import build_parser

    assert build_parser().parse_args(["rotate-data-key"]).command == "rotate-data-key"


async def test_rotate_with_local_key_file(client, world):
    advocate, person = await _person(world)
    key_file = get_settings().var_dir / "keys" / "data-keys.txt"
    before = _key_ids(await _raw(person["id"]))
    old_lines = key_file.read_text().split()

    tandem = Path(sys.executable).parent / "tandem"
    proc = await asyncio.create_subprocess_exec(str(tandem), "rotate-data-key", env=os.environ.copy(),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    stdout = out.decode()
    crypto.reset_data_keys()  # this process now reads the new key list too

    lines = key_file.read_text().split()
    assert lines[1:] == old_lines  # the new key comes first, older keys stay for values not yet re-sealed
    new_kid = lines[0].split(":")[0]
    assert new_kid not in {line.split(":")[0] for line in old_lines}
    assert new_kid in stdout
    row = await _raw(person["id"])
    assert _key_ids(row) == {new_kid} != before
    assert row["version"] == 1  # re-sealing is not an edit: the ETag stays

    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200
    assert r.json()["address"] == ADDRESS
    assert r.json()["safe_contact_instructions"] == "Text first."


async def test_rotate_with_configured_keys(client, world, monkeypatch):
    from app.cases.commands import rotate_data_key

    advocate, person = await _person(world)
    key_file = get_settings().var_dir / "keys" / "data-keys.txt"
    local = ",".join(key_file.read_text().split())
    local_current = crypto.data_keys().current
    fresh = crypto.new_key_spec()
    fresh_kid = fresh.split(":")[0]

    def use_keys(spec: str | None) -> None:
        if spec is None:
            monkeypatch.delenv("TANDEM_DATA_KEYS", raising=False)
        else:
            monkeypatch.setenv("TANDEM_DATA_KEYS", spec)
        get_settings.cache_clear()
        crypto.reset_data_keys()

    try:
        # The operator puts the new key first; the command re-seals everything with it.
        use_keys(f"{fresh},{local}")
        kid, added, n = await rotate_data_key()
        assert (kid, added) == (fresh_kid, False)
        assert n >= 3
        assert _key_ids(await _raw(person["id"])) == {fresh_kid}
        r = await world.get(advocate, f"/api/v1/people/{person['id']}")
        assert r.json()["address"] == ADDRESS
        # Running it again finds nothing left to do.
        assert (await rotate_data_key())[2] == 0
    finally:
        # Back to the local key as current, so the rest of the run reads what it writes.
        use_keys(f"{local},{fresh}")
        await rotate_data_key()
        use_keys(None)
    assert crypto.data_keys().current == local_current
    assert _key_ids(await _raw(person["id"])) == {local_current}
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.json()["address"] == ADDRESS
