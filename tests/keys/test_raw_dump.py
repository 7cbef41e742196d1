"""A raw dump of the database holds no sealed plaintext and no unwrapped key: every table's every column as
text (PostgreSQL), or the database file's bytes and its write-ahead log (SQLite)."""

from __future__ import annotations

import base64
from pathlib import Path

import sqlalchemy as sa

from app.core import crypto, kek
from app.core.config import get_settings
from app.core.db import get_engine, sessionmaker
from tests.keys.test_agency_keys import _data_keys

SECRETS = ("Willowmere Hollow 4417", "555 0199 8812", "Knock twice, ask for Ruth")


async def _dump(db_kind: str) -> bytes:
    if db_kind == "sqlite":
        path = sa.engine.make_url(get_settings().database_url).database
        await get_engine().dispose()  # let the write-ahead log settle into the file
        files = [Path(f"{path}{suffix}") for suffix in ("", "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    parts: list[str] = []
    async with sessionmaker()() as s:
        tables = (await s.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars().all()
        for t in tables:
            parts += [r or "" for r in (await s.execute(sa.text(f'SELECT t::text FROM "{t}" t'))).scalars()]
    return "\n".join(parts).encode()


def _forms(key: bytes) -> list[bytes]:
    return [key, base64.b64encode(key), base64.urlsafe_b64encode(key).rstrip(b"="), key.hex().encode()]


async def test_a_raw_dump_holds_no_plaintext_and_no_unwrapped_key(client, world, db_kind):
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    case = await world.case(advocate)
    person = await world.person(advocate, case["id"], contact={"phone": SECRETS[1]},
                                address={"line1": SECRETS[0], "line2": None, "city": "Lindale", "region": "OR",
                                         "postal_code": "97000", "country": "US", "kind": "actual"},
                                safe_contact_instructions=SECRETS[2])
    r = await world.post(advocate, f"/api/v1/cases/{case['id']}/notes",
                         {"text": f"Note: {SECRETS[2]}", "audience": "own_agency"})
    assert r.status_code == 201
    assert (await world.get(advocate, f"/api/v1/people/{person['id']}")).json()["contact"]["phone"] == SECRETS[1]

    (key,) = await _data_keys(dv.id)
    data_key = crypto.ring.key(key.id)
    kek_bytes = kek.local._key(key.kek_id)
    dump = await _dump(db_kind)
    assert len(dump) > 10_000 and key.id.encode() in dump  # the dump is real: it holds the key's id
    for secret in SECRETS:
        assert secret.encode() not in dump, secret
    for raw in (data_key, kek_bytes):
        for form in _forms(raw):
            assert form not in dump
