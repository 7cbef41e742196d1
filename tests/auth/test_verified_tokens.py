"""A local token's signature, issuer and audience are verified once per key ring; its times, and the account
behind it, on every request."""

from datetime import timedelta

import pytest

from app.auth import tokens
from tests.auth.tokens_util import claims_for, sign


@pytest.fixture
def decodes(monkeypatch):
    """How many times the JOSE library decoded (and so verified the signature of) a token."""
    seen: list[str] = []
    real = tokens.jwt.decode

    def counting(token, *args, **kwargs):
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return seen


async def _me(client, token):
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_is_verified_once_then_its_times_on_every_request(client, world, clock, decodes):
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    token = sign(claims_for(worker))
    for _ in range(3):
        assert (await _me(client, token)).status_code == 200
    assert decodes == [token]
    # Remembered, but no longer valid on the service clock: refused without verifying it again.
    clock.set(clock.now() + timedelta(minutes=11))
    r = await _me(client, token)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert decodes == [token]


async def test_a_remembered_token_is_refused_once_its_account_is_deactivated(client, world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    worker = await world.user(agency, "cps_worker")
    token = sign(claims_for(worker))
    assert (await _me(client, token)).status_code == 200
    r = await world.post(admin, f"/api/v1/users/{worker.user.id}/deactivate", {})
    assert r.status_code == 200, r.text
    assert (await _me(client, token)).status_code == 401


async def test_a_new_key_ring_verifies_again(client, world, decodes):
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    token = sign(claims_for(worker))
    assert (await _me(client, token)).status_code == 200
    tokens.reset_keyring()  # as a key rotation does
    assert (await _me(client, token)).status_code == 200
    assert decodes == [token, token]


async def test_a_bad_signature_on_a_known_token_is_not_taken_for_it(client, world):
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    token = sign(claims_for(worker))
    assert (await _me(client, token)).status_code == 200
    head, body, signature = token.split(".")
    forged = ".".join((head, body, ("A" if signature[0] != "A" else "B") + signature[1:]))
    r = await _me(client, forged)
    assert r.status_code == 401, r.text
