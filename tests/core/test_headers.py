"""Caching and sniffing: API answers (per principal, often personal data) are never stored by a cache; no response
is content-sniffed. /metrics asks for its token when one is configured."""

import uuid

import pytest

from app.core.config import get_settings

PROBLEM = "application/problem+json"


def _no_store(r) -> bool:
    return "no-store" in r.headers.get("cache-control", "")


async def test_every_api_answer_is_no_store_and_nosniff(world, client):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    answers = {
        "me": await world.get(admin, "/api/v1/me"),
        "list": await world.get(admin, "/api/v1/users"),
        "create": await world.post(await world.admin(), "/api/v1/agencies", {"name": "Cached?", "kind": "dv"}),
        "not found": await world.get(admin, f"/api/v1/agencies/{uuid.uuid4()}/offices"),
        "unauthenticated": await client.get("/api/v1/me"),
        "invalid": await world.get(admin, "/api/v1/users", params={"limit": 0}),
        "token": await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": admin.user.email,
                                                              "password": "correct horse battery staple"}),
        "too large": await client.post("/api/v1/agencies", content=b"x" * 1_100_000,
                                       headers={**admin.h, "content-type": "application/json"}),
        "unknown": await client.get("/api/v1/no-such-thing"),
    }
    assert answers["token"].status_code == 200 and answers["too large"].status_code == 413
    for what, r in answers.items():
        assert _no_store(r), (what, r.status_code, r.headers.get("cache-control"))
        assert r.headers.get("x-content-type-options") == "nosniff", what


async def test_every_other_response_is_nosniff_and_the_jwks_may_be_cached(client):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/.well-known/jwks.json",
                 "/no-such-page"):
        r = await client.get(path)
        assert r.headers.get("x-content-type-options") == "nosniff", path
    r = await client.delete("/healthz")
    assert r.status_code == 405 and r.headers.get("x-content-type-options") == "nosniff"
    assert not _no_store(await client.get("/.well-known/jwks.json"))


@pytest.fixture
def metrics_token(monkeypatch):
    token = "metrics-" + uuid.uuid4().hex
    monkeypatch.setattr(get_settings(), "metrics_token", token)
    return token


async def test_metrics_require_the_token_when_one_is_set(client, metrics_token):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {metrics_token}"},
                    {"Authorization": f"Bearer {metrics_token}x"}, {"Authorization": "Bearer"}):
        r = await client.get("/metrics", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"].startswith(PROBLEM) and r.headers["www-authenticate"].startswith("Bearer")
        assert "tandem_http_requests_total" not in r.text and metrics_token not in r.text
    r = await client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert r.status_code == 200 and "tandem_http_requests_total" in r.text


async def test_metrics_stay_open_without_a_token(client):
    assert get_settings().metrics_token == ""
    assert (await client.get("/metrics")).status_code == 200
