"""Tokens from an agency's own identity provider, verified against a JWKS served inside the test."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from app.auth.tokens import jwks_cache, public_jwk
from app.core.config import get_settings


class _JWKS:
    def __init__(self):
        self.keys = []
        self.hits = 0


@pytest.fixture
def idp_server():
    state = _JWKS()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state.hits += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    yield state
    server.shutdown()
    jwks_cache.clear()


def _key():
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode()
    return pem, public_jwk(k.public_key())


@pytest.fixture
def configured(idp_server, monkeypatch):
    issuer = f"https://idp-{uuid.uuid4().hex[:6]}.example"
    monkeypatch.setattr(get_settings(), "external_idps", json.dumps([{
        "issuer": issuer, "audience": "tandem", "jwks_url": idp_server.url,
        "agency_claim": "https://tandem/agency", "roles_claim": "groups", "email_claim": "email"}]))
    return issuer


def _token(pem, kid, issuer, agency_id, groups, **over):
    now = int(time.time())
    claims = {"iss": issuer, "aud": "tandem", "sub": "ext-123", "iat": now, "nbf": now, "exp": now + 300,
              "https://tandem/agency": str(agency_id), "groups": groups, "email": "ext@agency.example"}
    claims.update(over)
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


async def test_external_token_is_accepted_and_mapped(client, world, idp_server, configured):
    agency = await world.agency("dv")
    pem, jwk = _key()
    idp_server.keys = [jwk]
    token = _token(pem, jwk["kid"], configured, agency.id, ["dv_advocate"])
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["agency_id"] == str(agency.id) and r.json()["roles"] == ["dv_advocate"]
    assert r.json()["email"] == "ext@agency.example"


async def test_unknown_kid_triggers_one_refetch(client, world, idp_server, configured):
    agency = await world.agency("cps")
    pem1, jwk1 = _key()
    idp_server.keys = [jwk1]
    t1 = _token(pem1, jwk1["kid"], configured, agency.id, ["cps_worker"])
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {t1}"})).status_code == 200
    hits = idp_server.hits
    # cached: a second call does not fetch again
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {t1}"})).status_code == 200
    assert idp_server.hits == hits
    pem2, jwk2 = _key()
    idp_server.keys = [jwk1, jwk2]  # the provider rotated
    t2 = _token(pem2, jwk2["kid"], configured, agency.id, ["cps_worker"])
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {t2}"})).status_code == 200
    assert idp_server.hits == hits + 1


async def test_external_token_with_wrong_kind_role_or_audience_fails(client, world, idp_server, configured):
    agency = await world.agency("dv")
    pem, jwk = _key()
    idp_server.keys = [jwk]
    bad_role = _token(pem, jwk["kid"], configured, agency.id, ["cps_worker"])
    bad_aud = _token(pem, jwk["kid"], configured, agency.id, ["dv_advocate"], aud="other")
    unknown_agency = _token(pem, jwk["kid"], configured, uuid.uuid4(), ["dv_advocate"])
    admin_claim = _token(pem, jwk["kid"], configured, agency.id, ["platform_admin"])
    for t in (bad_role, bad_aud, unknown_agency, admin_claim):
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {t}"})).status_code == 401


async def test_unconfigured_issuer_is_refused(client, world, idp_server):
    agency = await world.agency("dv")
    pem, jwk = _key()
    idp_server.keys = [jwk]
    token = _token(pem, jwk["kid"], "https://not-configured.example", agency.id, ["dv_advocate"])
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert idp_server.hits == 0
