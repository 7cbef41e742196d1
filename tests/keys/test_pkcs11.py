"""An agency's key-encryption key in a hardware security module (PKCS#11), against a SoftHSM2 token the test
initialises itself. The HSM wraps and unwraps the agency's data keys; the key never leaves it. When the slot
is removed, only that agency's sealed fields stop answering (503 key-unavailable)."""

from __future__ import annotations

import base64

import pytest

from app.core import crypto, kek, keyring
from app.core.db import own_transaction
from app.core.errors import TYPE_BASE
from app.keys import operations
from tests.keys.hsm import softhsm_token
from tests.keys.test_agency_keys import ADDRESS, _data_keys, _kids, _person, _raw


async def _to_hsm(agency_id, kek_id: str) -> int:
    async with own_transaction() as session:
        return await keyring.rewrap(session, agency_id, "pkcs11", kek_id)


async def test_data_keys_wrapped_by_an_hsm_key(client, world):
    token = softhsm_token()
    kek_id = token.generate_key("dv-kek")
    dv, advocate, case, person = await _person(world)
    _, worker, _, other = await _person(world, "cps")

    assert await _to_hsm(dv.id, kek_id) == 1
    (key,) = await _data_keys(dv.id)
    assert (key.provider, key.kek_id) == ("pkcs11", kek_id)
    wrapped = base64.b64decode(key.wrapped)
    with pytest.raises(kek.KekUnavailable):  # not a local key any more: only the HSM opens it
        kek.local.unwrap(kek_id, wrapped, crypto.wrap_aad(key.id, dv.id))
    plain = kek.pkcs11_keks.unwrap(kek_id, wrapped, crypto.wrap_aad(key.id, dv.id))
    assert len(plain) == 32
    with pytest.raises(kek.KekUnavailable):  # bound to its id and agency
        kek.pkcs11_keks.unwrap(kek_id, wrapped, crypto.wrap_aad(key.id, other["id"]))

    crypto.ring.forget()  # the next read unwraps through the HSM
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200 and r.json()["address"] == ADDRESS

    # A new data key for the agency is wrapped by the HSM too, and its values are sealed again under it.
    await operations.rotate(dv.id)
    keys = await _data_keys(dv.id)
    assert len(keys) == 2 and {k.provider for k in keys} == {"pkcs11"}
    assert _kids(await _raw(person["id"])) == {keys[-1].id}

    # The slot is removed: this agency's sealed fields answer 503; everything else answers.
    token.remove()
    try:
        crypto.ring.forget()
        r = await world.get(advocate, f"/api/v1/people/{person['id']}")
        assert r.status_code == 503 and r.json()["type"] == TYPE_BASE + "key-unavailable"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Quiet Orchard" not in r.text and kek_id not in r.text
        assert (await world.get(advocate, f"/api/v1/cases/{case['id']}")).status_code == 200
        r = await world.get(worker, f"/api/v1/people/{other['id']}")
        assert r.status_code == 200 and r.json()["address"] == ADDRESS
    finally:
        token.restore()
    crypto.ring.forget()
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200 and r.json()["address"] == ADDRESS


async def test_shredding_destroys_the_hsm_key(client, world):
    token = softhsm_token()
    kek_id = token.generate_key("leaving-kek")
    dv, advocate, _, person = await _person(world)
    await _to_hsm(dv.id, kek_id)
    (key,) = await _data_keys(dv.id)
    wrapped = base64.b64decode(key.wrapped)

    result = await operations.shred(dv.id)
    assert result.kek_destroyed and result.provider == "pkcs11"
    # Even a backup's copy of the wrapped key cannot be opened: the HSM key is gone.
    with pytest.raises(kek.KekUnavailable):
        kek.pkcs11_keks.unwrap(kek_id, wrapped, crypto.wrap_aad(key.id, dv.id))
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 503 and r.json()["type"] == TYPE_BASE + "key-unavailable"


async def test_an_unusable_hsm_key_changes_nothing(client, world):
    token = softhsm_token()
    dv, advocate, _, person = await _person(world)
    (before,) = await _data_keys(dv.id)
    with pytest.raises(Exception) as e:
        await _to_hsm(dv.id, token.kek_id("no-such-key"))
    assert getattr(e.value, "slug", None) == "key-unavailable"
    assert [(k.provider, k.kek_id, k.wrapped) for k in await _data_keys(dv.id)] == [
        (before.provider, before.kek_id, before.wrapped)]
    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200
