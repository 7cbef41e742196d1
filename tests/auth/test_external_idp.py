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
        self.raw = None  # bytes served instead of {"keys": keys}, to play a broken provider


@pytest.fixture
def idp_server():
    state = _JWKS()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state.hits += 1
            body = state.raw if state.raw is not None else json.dumps({"keys": state.keys}).encode()
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
def configure(idp_server, monkeypatch):
    """configure(agency) -> issuer: an identity provider that speaks for that one agency."""

    def _configure(agency):
        issuer = f"https://idp-{uuid.uuid4().hex[:6]}.example"
        monkeypatch.setattr(get_settings(), "external_idps", json.dumps([{
            "issuer": issuer, "audience": "tandem", "jwks_url": idp_server.url, "agency_id": str(agency.id),
            "agency_claim": "https://tandem/agency", "roles_claim": "groups", "email_claim": "email"}]))
        return issuer

    return _configure


def _token(pem, kid, issuer, agency_id, groups, **over):
    now = int(time.time())
    claims = {"iss": issuer, "aud": "tandem", "sub": "ext-123", "iat": now, "nbf": now, "exp": now + 300,
              "https://tandem/agency": str(agency_id), "groups": groups, "email": "ext@agency.example"}
    claims.update(over)
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


async def test_external_token_is_accepted_and_mapped(client, world, idp_server, configure):
    agency = await world.agency("dv")
    configured = configure(agency)
    pem, jwk = _key()
    idp_server.keys = [jwk]
    token = _token(pem, jwk["kid"], configured, agency.id, ["dv_advocate"])
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["agency_id"] == str(agency.id) and r.json()["roles"] == ["dv_advocate"]
    assert r.json()["email"] == "ext@agency.example"


async def test_unknown_kid_triggers_one_refetch(client, world, idp_server, configure):
    agency = await world.agency("cps")
    configured = configure(agency)
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


async def test_external_token_with_wrong_kind_role_or_audience_fails(client, world, idp_server, configure):
    agency = await world.agency("dv")
    configured = configure(agency)
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


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def test_token_naming_another_agency_is_refused(client, world, idp_server, configure):
    """A DV agency's provider cannot speak for a CPS agency: not to read, not to create accounts there."""
    dv = await world.agency("dv")
    cps = await world.agency("cps")
    configured = configure(dv)
    pem, jwk = _key()
    idp_server.keys = [jwk]
    own = _token(pem, jwk["kid"], configured, dv.id, ["dv_advocate"])
    assert (await client.get("/api/v1/me", headers=_bearer(own))).status_code == 200
    for roles in (["cps_worker"], ["cps_supervisor"], ["agency_admin"]):
        foreign = _token(pem, jwk["kid"], configured, cps.id, roles)
        r = await client.get("/api/v1/me", headers=_bearer(foreign))
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/api/v1/cases", headers=_bearer(foreign))).status_code == 401
    admin_there = _token(pem, jwk["kid"], configured, cps.id, ["agency_admin"])
    email = f"planted-{uuid.uuid4().hex[:6]}@test.example"
    r = await client.post("/api/v1/users", headers=_bearer(admin_there), json={
        "email": email, "full_name": "Planted", "agency_id": str(cps.id), "roles": ["cps_worker"],
        "password": "a long enough password"})
    assert r.status_code == 401
    platform = await world.admin()
    listed = (await world.get(platform, "/api/v1/users", params={"limit": 200})).json()["items"]
    assert email not in {u["email"] for u in listed}


async def test_token_without_an_agency_claim_is_refused(client, world, idp_server, configure):
    agency = await world.agency("dv")
    configured = configure(agency)
    pem, jwk = _key()
    idp_server.keys = [jwk]
    token = _token(pem, jwk["kid"], configured, agency.id, ["dv_advocate"])
    claims = jwt.get_unverified_claims(token)
    for value in (None, "", "not-a-uuid", [str(agency.id)]):
        if value is None:
            claims.pop("https://tandem/agency", None)
        else:
            claims["https://tandem/agency"] = value
        t = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": jwk["kid"]})
        r = await client.get("/api/v1/me", headers=_bearer(t))
        assert r.status_code == 401, (value, r.text)


async def test_provider_admin_changes_no_account_of_another_agency(client, world, idp_server, configure):
    dv = await world.agency("dv")
    cps = await world.agency("cps")
    cps_worker = await world.user(cps, "cps_worker")
    configured = configure(dv)
    pem, jwk = _key()
    idp_server.keys = [jwk]
    admin = _bearer(_token(pem, jwk["kid"], configured, dv.id, ["agency_admin"]))
    email = f"x-{uuid.uuid4().hex[:6]}@test.example"
    r = await client.post("/api/v1/users", headers=admin, json={
        "email": email, "full_name": "X", "agency_id": str(cps.id), "roles": ["cps_worker"],
        "password": "a long enough password"})
    assert r.status_code == 404
    r = await client.patch(f"/api/v1/users/{cps_worker.id}", headers=admin, json={"roles": ["cps_supervisor"]})
    assert r.status_code == 404
    assert (await client.post(f"/api/v1/users/{cps_worker.id}/deactivate", headers=admin)).status_code == 404
    assert (await world.get(cps_worker, "/api/v1/me")).json()["roles"] == ["cps_worker"]


def _idp(**over):
    item = {"issuer": "https://idp.example", "audience": "tandem", "jwks_url": "http://127.0.0.1:9/jwks.json",
            "agency_id": str(uuid.uuid4())}
    item.update(over)
    return {k: v for k, v in item.items() if v is not None}


@pytest.mark.parametrize("entries", [
    [_idp(agency_id=None)],
    [_idp(agency_id="")],
    [_idp(agency_id="dv-agency")],
    [_idp(), _idp(issuer="https://other.example", agency_id=None)],
    [_idp(issuer=None)],
    [_idp(jwks_url="file:///etc/passwd")],
    [_idp(algorithms=["HS256"])],
    [_idp(), _idp()],  # one issuer, two agencies
    [_idp(surprise="field")],
    {"issuer": "https://idp.example"},
    "not json",
], ids=["no-agency", "empty-agency", "agency-not-uuid", "second-without-agency", "no-issuer", "not-http",
        "hmac", "duplicate-issuer", "unknown-field", "not-a-list", "not-json"])
def test_provider_config_without_its_agency_is_refused_at_start(monkeypatch, entries):
    from pydantic import ValidationError

    from app.core.config import Settings

    raw = entries if isinstance(entries, str) else json.dumps(entries)
    monkeypatch.setenv("TANDEM_EXTERNAL_IDPS", raw)
    with pytest.raises(ValidationError) as e:
        Settings()
    assert "external_idps" in str(e.value)


def test_a_complete_provider_config_is_accepted(monkeypatch):
    from app.core.config import Settings

    monkeypatch.setenv("TANDEM_EXTERNAL_IDPS", json.dumps([_idp(), _idp(issuer="https://b.example")]))
    assert Settings().external_idps


@pytest.mark.parametrize("body", [
    b"not json at all",
    b"\xff\xfe\x00garbage",
    b"null",
    b"[]",
    b'"keys"',
    b"{}",
    b'{"keys": 5}',
    b'{"keys": "abc"}',
    b'{"keys": {"kid": "x"}}',
    b'{"keys": ["x", 3, null]}',
    b'{"keys": [{"kid": ["a"]}]}',
    b'{"keys": [{"kid": {"a": 1}, "kty": "RSA"}]}',
    b'{"keys": [{"kid": "KID"}]}',
    b'{"keys": [{"kid": "KID", "kty": "RSA"}]}',
    b'{"keys": [{"kid": "KID", "kty": "RSA", "n": "!!!", "e": "AQAB"}]}',
    b'{"keys": [{"kid": "KID", "kty": "RSA", "n": 12, "e": []}]}',
    b'{"keys": [{"kid": "KID", "kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
    b'{"keys": [{"kid": "KID", "kty": "oct", "k": "c2VjcmV0"}]}',
    b'{"keys": [{"kid": "KID", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}',
    b'{"keys": [{"kid": "KID", "kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "HS256"}]}',
    b'{"keys": [' + b'{"kid": "KID", "kty": "RSA"},' * 5 + b'{"kid": "KID"}]}',
], ids=lambda b: b[:40].decode("latin-1"))
async def test_malformed_jwks_is_401_never_500(client, world, idp_server, configure, body):
    agency = await world.agency("dv")
    configured = configure(agency)
    pem, jwk = _key()
    idp_server.raw = body.replace(b"KID", jwk["kid"].encode())
    token = _token(pem, jwk["kid"], configured, agency.id, ["dv_advocate"])
    r = await client.get("/api/v1/me", headers=_bearer(token))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    # once the provider serves its keys again, the same token is accepted
    idp_server.raw = None
    idp_server.keys = [jwk]
    jwks_cache.clear()
    assert (await client.get("/api/v1/me", headers=_bearer(token))).status_code == 200


async def test_a_provider_user_is_recorded_by_a_bounded_reference_not_by_their_subject(
        client, world, idp_server, configure):
    """A provider's `sub` may be long or personal (an email address): audit and idempotency records keep a
    fixed-length reference derived from issuer and subject instead, so every audited write works."""
    import sqlalchemy as sa

    from app.core.db import sessionmaker
    from app.trail.models import AuditEvent

    agency = await world.agency("cps")
    issuer = configure(agency)
    pem, jwk = _key()
    idp_server.keys = [jwk]
    subject = "maria.lopez.caseworker@" + "county-child-welfare." * 6 + "example"
    token = _token(pem, jwk["kid"], issuer, agency.id, ["cps_supervisor"], sub=subject)
    auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "ext-case-1"}
    r = await client.post("/api/v1/cases", json={"reference": "EXT-1", "dv_indicators": []}, headers=auth)
    assert r.status_code == 201, r.text
    again = await client.post("/api/v1/cases", json={"reference": "EXT-1", "dv_indicators": []}, headers=auth)
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
    me = (await client.get("/api/v1/me", headers=auth)).json()
    async with sessionmaker()() as s:
        actors = (await s.execute(sa.select(AuditEvent.actor_id).where(
            AuditEvent.object_id == r.json()["id"]))).scalars().all()
        owners = (await s.execute(sa.text("SELECT owner FROM idempotency_records"))).scalars().all()
    assert actors and all(a == me["id"] for a in actors)
    assert len(me["id"]) <= 80 and "maria" not in me["id"] and "maria" not in " ".join(owners)
