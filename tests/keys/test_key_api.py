"""GET /agencies/{id}/key and key changes: the agency's own admin sees and moves its key; a platform admin may
ask but the agency's admin decides. Every step is audited, with ids only."""

from __future__ import annotations

import sqlalchemy as sa

from app.core import crypto
from app.core.db import sessionmaker
from tests.keys.hsm import softhsm_token
from tests.keys.test_agency_keys import ADDRESS, _data_keys, _person


async def _actions(agency_id) -> list[str]:
    async with sessionmaker()() as s:
        return list((await s.execute(sa.text(
            "SELECT action FROM audit_events WHERE agency_id = :a ORDER BY seq"),
            {"a": agency_id.hex if s.bind.dialect.name == "sqlite" else agency_id})).scalars())


async def test_the_agency_admin_sees_its_key_and_moves_it_to_its_hsm(client, world):
    token = softhsm_token()
    kek_id = token.generate_key("agency-own")
    dv, advocate, _, person = await _person(world)
    admin = await world.user(dv, "agency_admin")
    other_admin = await world.user(await world.agency("cps"), "agency_admin")

    r = await world.get(admin, f"/api/v1/agencies/{dv.id}/key")
    assert r.status_code == 200
    body = r.json()
    (key,) = await _data_keys(dv.id)
    assert body["provider"] == "local" and body["key_id"] == key.kek_id and body["data_key_id"] == key.id
    assert set(body) == {"provider", "key_id", "rotated_at", "data_key_id"}  # no key material
    assert (await world.get(other_admin, f"/api/v1/agencies/{dv.id}/key")).status_code == 404
    assert (await world.get(advocate, f"/api/v1/agencies/{dv.id}/key")).status_code == 403

    r = await world.post(admin, f"/api/v1/agencies/{dv.id}/key-changes", {"provider": "pkcs11", "key_id": kek_id})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "approved"
    body = (await world.get(admin, f"/api/v1/agencies/{dv.id}/key")).json()
    assert (body["provider"], body["key_id"]) == ("pkcs11", kek_id)
    crypto.ring.forget()
    assert (await world.get(advocate, f"/api/v1/people/{person['id']}")).json()["address"] == ADDRESS
    actions = await _actions(dv.id)
    assert {"agency_key.read", "key_change.request", "agency_key.rewrap", "key_change.approve"} <= set(actions)

    # A key the HSM does not hold: 422, nothing changes.
    r = await world.post(admin, f"/api/v1/agencies/{dv.id}/key-changes",
                         {"provider": "pkcs11", "key_id": token.kek_id("missing")})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "key_id"]
    assert (await world.get(admin, f"/api/v1/agencies/{dv.id}/key")).json()["key_id"] == kek_id


async def test_a_platform_admin_cannot_move_an_agency_key_alone(client, world):
    dv, advocate, _, person = await _person(world)
    admin = await world.user(dv, "agency_admin")
    platform = await world.admin()
    (before,) = await _data_keys(dv.id)

    r = await world.post(platform, f"/api/v1/agencies/{dv.id}/key-changes",
                         {"provider": "local", "key_id": "kek-platform-held"})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    change_url = r.headers["Location"]
    assert [k.kek_id for k in await _data_keys(dv.id)] == [before.kek_id]  # nothing moved yet
    assert (await world.post(platform, f"{change_url}/approve")).status_code == 403
    r = await world.post(admin, f"/api/v1/agencies/{dv.id}/key-changes", {"provider": "local", "key_id": "kek-x"})
    assert r.status_code == 409  # one change at a time

    r = await world.post(admin, f"{change_url}/reject")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [k.kek_id for k in await _data_keys(dv.id)] == [before.kek_id]
    assert (await world.post(admin, f"{change_url}/approve")).status_code == 409

    r = await world.post(platform, f"/api/v1/agencies/{dv.id}/key-changes",
                         {"provider": "local", "key_id": "kek-agreed"})
    r = await world.post(admin, f"{r.headers['Location']}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [k.kek_id for k in await _data_keys(dv.id)] == ["kek-agreed"]
    crypto.ring.forget()
    assert (await world.get(advocate, f"/api/v1/people/{person['id']}")).json()["address"] == ADDRESS
    r = await world.get(admin, "/api/v1/key-changes")
    assert {c["status"] for c in r.json()["items"]} >= {"rejected", "approved"}
