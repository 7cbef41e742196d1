"""JWKS publishes the current and previous keys; rotation keeps issued tokens valid until they expire."""

from app.auth.tokens import keyring, reset_keyring, rotate_local_keys
from app.core.config import get_settings


async def test_jwks_and_rotation(client, world):
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    before = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keyring().kid in {k["kid"] for k in before}
    assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in before)
    old_kid = keyring().kid
    new_kid = rotate_local_keys(get_settings())
    try:
        keys = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
        assert {old_kid, new_kid} <= keys
        # a token signed with the previous key still verifies
        assert (await world.get(worker, "/api/v1/me")).status_code == 200
        fresh = await world.user(agency, "cps_worker")
        from jose import jwt

        assert jwt.get_unverified_header(fresh.token)["kid"] == new_kid
        assert (await world.get(fresh, "/api/v1/me")).status_code == 200
    finally:
        reset_keyring()
