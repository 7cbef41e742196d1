import pytest

from app.core.config import get_settings
from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token"


async def _login(client, email, password):
    return await client.post(TOKEN, data={"grant_type": "password", "username": email, "password": password})


async def test_password_login_and_me(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    r = await _login(client, actor.user.email, PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == get_settings().access_token_ttl_seconds
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"id": str(actor.id), "kind": "user", "email": actor.user.email, "client_id": None,
                         "name": actor.user.full_name, "agency_id": str(agency.id), "agency_name": agency.name,
                         "agency_kind": "cps", "roles": ["cps_worker"]}


async def test_token_carries_the_contract_claims(client, world):
    from jose import jwt

    agency = await world.agency("dv")
    actor = await world.user(agency, "dv_advocate")
    token = (await _login(client, actor.user.email, PASSWORD)).json()["access_token"]
    header, claims = jwt.get_unverified_header(token), jwt.get_unverified_claims(token)
    assert header["alg"] == "RS256" and header["kid"]
    for claim in ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "agency_id", "agency_kind", "roles"):
        assert claim in claims
    assert claims["agency_kind"] == "dv" and claims["roles"] == ["dv_advocate"]
    assert claims["exp"] - claims["iat"] == get_settings().access_token_ttl_seconds


async def test_unknown_user_and_wrong_password_answer_alike(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    wrong = await _login(client, actor.user.email, "not the password")
    unknown = await _login(client, "nobody-here@test.example", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_grant"


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, world, clock):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    clock.set(start)
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    for _ in range(5):
        assert (await _login(client, actor.user.email, "wrong")).status_code == 400
    locked = await _login(client, actor.user.email, PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    clock.set(start + timedelta(minutes=14))
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 429
    clock.set(start + timedelta(minutes=16))
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 200


async def test_failures_spread_beyond_the_window_do_not_lock(client, world, clock):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    for i in range(6):
        clock.set(start + timedelta(minutes=4 * i))
        assert (await _login(client, actor.user.email, "wrong")).status_code == 400
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 200


async def test_unknown_account_locks_too(client, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    for _ in range(5):
        await _login(client, "ghost@test.example", "x")
    assert (await _login(client, "ghost@test.example", "x")).status_code == 429


async def test_deactivated_user_cannot_log_in(client, world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    actor = await world.user(agency, "cps_worker")
    await world.post(admin, f"/api/v1/users/{actor.id}/deactivate")
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 400


@pytest.mark.parametrize("data, status, error", [
    ({"grant_type": "password", "username": "a@b.example"}, 400, "invalid_request"),
    ({"grant_type": "client_credentials", "client_id": "x"}, 401, "invalid_client"),
    ({"username": "a@b.example", "password": "x"}, 400, "invalid_request"),
    ({"grant_type": "password", "username": "a" * 400, "password": "x"}, 400, "invalid_request"),
])
async def test_incomplete_grants_are_rfc6749_errors(client, data, status, error):
    r = await client.post(TOKEN, data=data)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == error and r.json()["error_description"]


async def test_unsupported_grant_type(client):
    r = await client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


async def test_client_credentials_and_secret_rotation(client, world):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    r = await world.post(admin, "/api/v1/clients", {"name": "Case system", "roles": ["dv_advocate"]})
    assert r.status_code == 201, r.text
    created = r.json()
    grant = {"grant_type": "client_credentials", "client_id": created["client_id"],
             "client_secret": created["client_secret"]}
    tok = await client.post(TOKEN, data=grant)
    assert tok.status_code == 200
    token = tok.json()["access_token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["client_id"] == created["client_id"] and me.json()["agency_kind"] == "dv"
    listed = await world.get(admin, "/api/v1/clients")
    assert "client_secret" not in listed.json()["items"][0]
    rotated = await world.post(admin, f"/api/v1/clients/{created['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["client_secret"] != created["client_secret"]
    # the old token and the old secret stop working at once
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert (await client.post(TOKEN, data=grant)).status_code == 401
    grant["client_secret"] = rotated.json()["client_secret"]
    assert (await client.post(TOKEN, data=grant)).status_code == 200


async def test_a_right_password_gives_back_only_its_own_attempt(client, world, clock):
    """A successful login does not wipe the wrong guesses of its window: they still count toward the lock."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    for _ in range(4):
        assert (await _login(client, actor.user.email, "wrong")).status_code == 400
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 200
    assert (await _login(client, actor.user.email, "wrong")).status_code == 400
    assert (await _login(client, actor.user.email, PASSWORD)).status_code == 429
