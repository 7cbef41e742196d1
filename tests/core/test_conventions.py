"""Conventions every endpoint shares: problem+json, keyset pagination, ETags, idempotency, limits, ids."""

import asyncio
import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker

PROBLEM = "application/problem+json"


async def test_unknown_path_and_wrong_method_are_problem_json(client):
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    assert set(r.json()) >= {"type", "title", "status", "detail"}
    r = await client.delete("/healthz")
    assert r.status_code == 405 and r.headers["content-type"].startswith(PROBLEM)


async def test_validation_errors_name_the_field_and_never_echo_input(world):
    admin = await world.admin()
    r = await world.post(admin, "/api/v1/users", {"email": "not-an-email-SECRETVALUE", "full_name": "N",
                                                   "roles": ["cps_worker"], "password": "tinySECRET"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert ("body", "email") in locs and ("body", "password") in locs
    assert "SECRET" not in r.text
    assert all(set(e) == {"loc", "msg", "type"} for e in r.json()["errors"])


async def test_malformed_json_is_422(world, client):
    admin = await world.admin()
    r = await client.post("/api/v1/agencies", content=b'{"name": ', headers={**admin.h,
                                                                              "content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)


async def test_unknown_fields_are_refused(world):
    admin = await world.admin()
    r = await world.post(admin, "/api/v1/agencies", {"name": "A", "kind": "cps", "id": str(uuid.uuid4())})
    assert r.status_code == 422


async def test_keyset_pages_are_stable_under_inserts(world):
    admin = await world.admin()
    for i in range(5):
        await world.post(admin, "/api/v1/agencies", {"name": f"Paged {i}", "kind": "dv"})
    seen: list[str] = []
    cursor = None
    first = True
    while True:
        params = {"limit": 2, "kind": "dv"} | ({"cursor": cursor} if cursor else {})
        r = await world.get(admin, "/api/v1/agencies", params=params)
        assert r.status_code == 200
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [a["id"] for a in body["items"]]
        if first:  # an insert after the first page must not shift what later pages return
            await world.post(admin, "/api/v1/agencies", {"name": "Inserted meanwhile", "kind": "dv"})
            first = False
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    async with sessionmaker()() as s:
        from app.identity.models import Agency

        before = (await s.execute(sa.select(sa.func.count()).select_from(Agency).where(
            Agency.kind == "dv", Agency.name != "Inserted meanwhile"))).scalar_one()
    assert len(seen) >= before  # nothing that existed before the walk was skipped


async def test_limit_bounds_and_bad_cursor(world):
    admin = await world.admin()
    for params in ({"limit": 0}, {"limit": 201}, {"limit": 10**12}, {"cursor": "!!not-a-cursor"}):
        r = await world.get(admin, "/api/v1/agencies", params=params)
        assert r.status_code == 422, params
    assert (await world.get(admin, "/api/v1/agencies", params={"limit": 200})).status_code == 200


async def test_etag_and_if_match(world):
    admin = await world.admin()
    agency = (await world.post(admin, "/api/v1/agencies", {"name": "Versioned", "kind": "cps"})).json()
    r = await world.get(admin, f"/api/v1/agencies/{agency['id']}")
    etag = r.headers["etag"]
    ok = await world.patch(admin, f"/api/v1/agencies/{agency['id']}", {"jurisdiction": "East"},
                           headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = await world.patch(admin, f"/api/v1/agencies/{agency['id']}", {"jurisdiction": "West"},
                              headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"].startswith(PROBLEM)
    assert (await world.get(admin, f"/api/v1/agencies/{agency['id']}")).json()["jurisdiction"] == "East"


async def test_idempotency_key_replays_and_refuses_a_different_body(world):
    admin = await world.admin()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    name = f"Idem {uuid.uuid4().hex[:6]}"
    a = await world.post(admin, "/api/v1/agencies", {"name": name, "kind": "dv"}, headers=key)
    b = await world.post(admin, "/api/v1/agencies", {"name": name, "kind": "dv"}, headers=key)
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    c = await world.post(admin, "/api/v1/agencies", {"name": name + "x", "kind": "dv"}, headers=key)
    assert c.status_code == 422
    async with sessionmaker()() as s:
        from app.identity.models import Agency

        n = (await s.execute(sa.select(sa.func.count()).select_from(Agency).where(
            Agency.name.in_([name, name + "x"])))).scalar_one()
    assert n == 1


async def test_request_id_is_echoed_or_made(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32


async def test_body_size_depth_and_string_limits(world, client):
    admin = await world.admin()
    big = b'{"name": "' + b"a" * 1_100_000 + b'", "kind": "dv"}'
    r = await client.post("/api/v1/agencies", content=big, headers={**admin.h, "content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    deep = b"[" * 5000 + b"]" * 5000
    r = await client.post("/api/v1/agencies", content=deep, headers={**admin.h, "content-type": "application/json"})
    assert r.status_code == 422
    r = await world.post(admin, "/api/v1/agencies", {"name": "n" * 10_000, "kind": "dv"})
    assert r.status_code == 422


async def test_health_readiness_and_metrics(client, world):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    admin = await world.admin()
    await world.get(admin, f"/api/v1/agencies/{uuid.uuid4()}")
    text = (await client.get("/metrics")).text
    assert 'route="/api/v1/agencies/{agency_id}"' in text
    assert "tandem_http_request_duration_seconds_bucket" in text


async def test_readyz_is_503_when_the_schema_is_not_at_the_newest_revision(client):
    async with sessionmaker()() as s:
        await s.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('unknown_rev')"))
        await s.commit()
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503
    finally:
        async with sessionmaker()() as s:
            await s.execute(sa.text("DELETE FROM alembic_version WHERE version_num = 'unknown_rev'"))
            await s.commit()
    assert (await client.get("/readyz")).status_code == 200


async def test_concurrent_updates_one_wins(world, client):
    admin = await world.admin()
    agency = (await world.post(admin, "/api/v1/agencies", {"name": "Race", "kind": "cps"})).json()
    etag = (await world.get(admin, f"/api/v1/agencies/{agency['id']}")).headers["etag"]
    results = await asyncio.gather(*[
        world.patch(admin, f"/api/v1/agencies/{agency['id']}", {"jurisdiction": f"J{i}"}, headers={"If-Match": etag})
        for i in range(2)])
    codes = sorted(r.status_code for r in results)
    assert codes[0] == 200 and codes[1] in (409, 412)
