"""OAuth 2 as the standard says, checked with the clients integrators use: authlib (httpx, over the ASGI app)
and requests-oauthlib (requests, over a real socket). Both default to HTTP Basic client authentication
(`client_secret_basic`); `client_secret_post` works too; refusals are RFC 6749 errors the libraries raise as
their own exceptions."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError
from requests_oauthlib import OAuth2Session

from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token"
SECRET = "integration-secret-value-1"


def _authlib(app, **kw) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test", **kw)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_authlib_client_credentials(app, world, insecure_transport, method):
    agency = await world.agency("dv")
    system = await world.client_app(agency, "dv_advocate", secret=SECRET)
    async with _authlib(app, client_id=system.client_id, client_secret=SECRET,
                        token_endpoint_auth_method=method) as oauth:
        token = await oauth.fetch_token("http://tandem.test" + TOKEN, grant_type="client_credentials")
        assert token["token_type"] == "bearer" and token["expires_in"] > 0
        me = await oauth.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["client_id"] == system.client_id and me.json()["agency_kind"] == "dv"


async def test_authlib_raises_invalid_client_for_a_wrong_secret(app, world, insecure_transport):
    agency = await world.agency("dv")
    system = await world.client_app(agency, "dv_advocate", secret=SECRET)
    async with _authlib(app, client_id=system.client_id, client_secret="not-the-secret") as oauth:
        with pytest.raises(AuthlibOAuthError) as raised:
            await oauth.fetch_token("http://tandem.test" + TOKEN, grant_type="client_credentials")
    assert raised.value.error == "invalid_client"


async def test_authlib_password_grant(app, world, insecure_transport):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    async with _authlib(app, token_endpoint_auth_method="none") as oauth:
        token = await oauth.fetch_token("http://tandem.test" + TOKEN, username=actor.user.email,
                                        password=PASSWORD)
        me = await oauth.get("/api/v1/me")
        assert token["access_token"] and me.json()["email"] == actor.user.email
        with pytest.raises(AuthlibOAuthError) as raised:
            await oauth.fetch_token("http://tandem.test" + TOKEN, username=actor.user.email, password="wrong")
    assert raised.value.error == "invalid_grant"


async def test_requests_oauthlib_backend_application(live_url, world, insecure_transport):
    agency = await world.agency("cps")
    system = await world.client_app(agency, "cps_worker", secret=SECRET)

    def run() -> tuple[dict, dict]:
        oauth = OAuth2Session(client=BackendApplicationClient(client_id=system.client_id))
        # requests-oauthlib sends the client's credentials by HTTP Basic unless told otherwise.
        token = oauth.fetch_token(live_url + TOKEN, client_id=system.client_id, client_secret=SECRET)
        return token, oauth.get(live_url + "/api/v1/me").json()

    token, me = await asyncio.to_thread(run)
    assert token["token_type"] == "bearer"
    assert me["client_id"] == system.client_id and me["agency_kind"] == "cps"


async def test_requests_oauthlib_errors(live_url, world, insecure_transport):
    agency = await world.agency("cps")
    system = await world.client_app(agency, "cps_worker", secret=SECRET)
    actor = await world.user(agency, "cps_worker")

    def wrong_secret() -> None:
        OAuth2Session(client=BackendApplicationClient(client_id=system.client_id)).fetch_token(
            live_url + TOKEN, client_id=system.client_id, client_secret="wrong")

    def wrong_password() -> None:
        OAuth2Session(client=LegacyApplicationClient(client_id=None)).fetch_token(
            live_url + TOKEN, username=actor.user.email, password="wrong", include_client_id=False)

    def right_password() -> dict:
        return OAuth2Session(client=LegacyApplicationClient(client_id=None)).fetch_token(
            live_url + TOKEN, username=actor.user.email, password=PASSWORD, include_client_id=False)

    with pytest.raises(InvalidClientError):
        await asyncio.to_thread(wrong_secret)
    with pytest.raises(InvalidGrantError):
        await asyncio.to_thread(wrong_password)
    assert (await asyncio.to_thread(right_password))["access_token"]


async def test_curl_basic_client_credentials(client, world):
    """`curl -u client_id:secret -d grant_type=client_credentials`: the RFC's own example."""
    agency = await world.agency("dv")
    system = await world.client_app(agency, "dv_advocate", secret=SECRET)
    basic = base64.b64encode(f"{system.client_id}:{SECRET}".encode()).decode()
    r = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                          headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"


@pytest.mark.parametrize("case", ["wrong_secret", "unknown_client", "no_credentials", "garbled_basic"])
async def test_invalid_client_is_401_with_a_basic_challenge(client, world, case):
    agency = await world.agency("dv")
    system = await world.client_app(agency, "dv_advocate", secret=SECRET)
    creds = {"wrong_secret": f"{system.client_id}:nope", "unknown_client": f"nobody:{SECRET}"}.get(case)
    headers = {}
    if creds:
        headers["Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode()
    elif case == "garbled_basic":
        headers["Authorization"] = "Basic %%%not-base64"
    r = await client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Basic")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "invalid_client" and r.json()["error_description"]
    assert r.headers["cache-control"] == "no-store"


async def test_two_client_authentication_methods_at_once_are_refused(client, world):
    agency = await world.agency("dv")
    system = await world.client_app(agency, "dv_advocate", secret=SECRET)
    basic = base64.b64encode(f"{system.client_id}:{SECRET}".encode()).decode()
    r = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": system.client_id,
                                       "client_secret": SECRET}, headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_unsupported_and_missing_grant_types(client):
    r = await client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = await client.post(TOKEN, data={})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
