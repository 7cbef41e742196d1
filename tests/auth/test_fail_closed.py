"""Every way a token can be wrong is a 401 with WWW-Authenticate: Bearer, each its own test."""

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.tokens_util import claims_for, hs256_with_public_key, sign, unsigned


@pytest.fixture
async def worker(world):
    agency = await world.agency("cps")
    return await world.user(agency, "cps_worker")


async def _me(client, token):
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _assert_401(r):
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_control_a_well_formed_token_is_accepted(client, worker):
    assert (await _me(client, sign(claims_for(worker)))).status_code == 200


async def test_missing_token(client):
    _assert_401(await client.get("/api/v1/me"))


async def test_alg_none(client, worker):
    _assert_401(await _me(client, unsigned(claims_for(worker))))


async def test_hs256_signed_with_the_public_key(client, worker):
    _assert_401(await _me(client, hs256_with_public_key(claims_for(worker))))


async def test_expired(client, worker):
    now = int(time.time())
    _assert_401(await _me(client, sign(claims_for(worker, iat=now - 3600, nbf=now - 3600, exp=now - 1800))))


async def test_not_yet_valid(client, worker):
    now = int(time.time())
    _assert_401(await _me(client, sign(claims_for(worker, nbf=now + 3600))))


async def test_issued_in_the_future(client, worker):
    now = int(time.time())
    _assert_401(await _me(client, sign(claims_for(worker, iat=now + 3600))))


async def test_wrong_audience(client, worker):
    _assert_401(await _me(client, sign(claims_for(worker, aud="someone-else"))))


async def test_wrong_issuer(client, worker):
    _assert_401(await _me(client, sign(claims_for(worker, iss="https://evil.example"))))


async def test_unknown_kid(client, worker):
    _assert_401(await _me(client, sign(claims_for(worker), kid="not-a-known-kid")))


async def test_signed_by_another_key_under_our_kid(client, worker):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    _assert_401(await _me(client, sign(claims_for(worker), private_pem=pem)))


async def test_payload_altered_after_signing(client, worker, world):
    token = sign(claims_for(worker))
    head, _, sig = token.split(".")
    other_agency = await world.agency("cps")
    forged = claims_for(worker, agency_id=str(other_agency.id))
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    _assert_401(await _me(client, f"{head}.{body}.{sig}"))


async def test_token_of_a_deactivated_user(client, world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    worker = await world.user(agency, "cps_worker")
    assert (await _me(client, worker.token)).status_code == 200
    r = await world.post(admin, f"/api/v1/users/{worker.id}/deactivate")
    assert r.status_code == 200 and r.json()["active"] is False
    _assert_401(await _me(client, worker.token))


async def test_role_claim_for_the_wrong_agency_kind(client, world):
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    _assert_401(await _me(client, sign(claims_for(advocate, roles=["cps_worker"]))))


async def test_role_claim_the_user_does_not_hold(client, worker):
    _assert_401(await _me(client, sign(claims_for(worker, roles=["cps_supervisor"]))))


async def test_garbage(client):
    _assert_401(await _me(client, "not.a.jwt"))


async def test_missing_exp_or_nbf(client, worker):
    for claim in ("exp", "nbf", "iat"):
        claims = claims_for(worker)
        del claims[claim]
        _assert_401(await _me(client, sign(claims)))


async def test_service_clock_decides_expiry(client, world, clock):
    from datetime import timedelta

    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    clock.set(clock.now() + timedelta(minutes=16))
    _assert_401(await _me(client, worker.token))
    clock.set(clock.now() - timedelta(minutes=10))
    assert (await _me(client, worker.token)).status_code == 200
