"""Every problem `type` is one URI scheme (TYPE_BASE + a slug) from one table, whichever layer answers: the
error classes, the framework's own errors (unknown path, wrong method) and the middleware's (body too
large, JSON too deep)."""

from __future__ import annotations

from app.core import errors
from app.core.errors import HTTP_SLUGS, OAUTH_ERRORS, PROBLEM_TYPES, TYPE_BASE


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_class_and_handler_slug_is_in_the_table():
    import app.main  # noqa: F401  (every domain's error classes are imported)

    slugs = {c.slug for c in _subclasses(errors.AppError) if c is not errors.OAuthError}
    slugs |= {"oauth-" + e.replace("_", "-") for e in OAUTH_ERRORS}
    slugs |= set(HTTP_SLUGS.values()) | {"internal", "unavailable", "conflict", "invalid"}
    assert slugs - set(PROBLEM_TYPES) == set()
    assert all(PROBLEM_TYPES[s][0] == status for status, s in HTTP_SLUGS.items())


async def test_framework_and_middleware_problems_use_the_same_types(client, world):
    assert (await client.get("/api/v1/no-such-thing")).json()["type"] == TYPE_BASE + "not-found"
    assert (await client.put("/healthz")).json()["type"] == TYPE_BASE + "method-not-allowed"
    big = await client.post("/api/v1/agencies", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["type"] == TYPE_BASE + "payload-too-large"
    deep = await client.post("/api/v1/agencies", content=b"[" * 100 + b"]" * 100,
                             headers={"content-type": "application/json"})
    assert deep.status_code == 422 and deep.json()["type"] == TYPE_BASE + "invalid"
    token = await client.post("/api/v1/auth/token", data={"grant_type": "nope"})
    assert token.json()["type"] == TYPE_BASE + "oauth-unsupported-grant-type"
