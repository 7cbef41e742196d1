"""A request that fails at commit answers with an error and leaves nothing behind."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import sessionmaker
from app.identity.models import Agency


async def test_commit_failure_is_reported_not_swallowed(client, world, monkeypatch):
    admin = await world.admin()
    real_commit = AsyncSession.commit

    async def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    r = await world.post(admin, "/api/v1/agencies", {"name": "Never Stored Agency", "kind": "dv"})
    monkeypatch.setattr(AsyncSession, "commit", real_commit)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"]
    async with sessionmaker()() as s:
        found = (await s.execute(select(Agency).where(Agency.name == "Never Stored Agency"))).first()
    assert found is None


async def test_successful_write_is_committed(client, world):
    admin = await world.admin()
    r = await world.post(admin, "/api/v1/agencies", {"name": "Stored Agency", "kind": "cps"})
    assert r.status_code == 201
    async with sessionmaker()() as s:
        found = (await s.execute(select(Agency).where(Agency.id == uuid.UUID(r.json()["id"])))).scalar_one()
    assert found.name == "Stored Agency"


def test_every_route_commits_before_it_answers(app):
    """Every session dependency is function-scoped: the commit runs before the response is sent."""
    from app.core.db import get_session
    from tests.routes import api_routes

    def sessions(dependant):
        for sub in dependant.dependencies:
            if sub.call is get_session:
                yield sub
            yield from sessions(sub)

    wrong, checked = [], 0
    for route in api_routes(app):
        for sub in sessions(route.dependant):
            checked += 1
            if sub.scope != "function":
                wrong.append(route.path)
    assert checked > 10
    assert wrong == []


async def test_a_kept_refusal_is_committed_before_its_error_is_answered(client, world):
    """A refused disclosure answers 404 and its accounting stays on record (AppError.keep_writes)."""
    from tests.consent.helpers import build_scene

    s = await build_scene(world)
    r = await s.disclose(actor="third_worker")
    assert r.status_code == 404
    assert [x["outcome"] for x in await s.accounting()] == ["refused"]
    # An ordinary refusal in the same kind of request keeps nothing: an unknown category is 422.
    r = await s.post("third_worker", "/api/v1/disclosures",
                     {"person_id": s.survivor["id"], "purpose": "safety_planning", "categories": ["diary"]})
    assert r.status_code == 422
    assert len(await s.accounting()) == 1


async def test_a_kept_refusal_that_cannot_be_committed_is_not_answered_as_kept(client, world, monkeypatch):
    from tests.consent.helpers import build_scene

    s = await build_scene(world)
    real_commit = AsyncSession.commit

    async def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    r = await s.disclose(actor="third_worker")
    monkeypatch.setattr(AsyncSession, "commit", real_commit)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await s.accounting() == []


async def test_end_reads_refuses_a_session_that_has_written(client, world):
    from app.core.db import end_reads

    async with sessionmaker()() as s:
        await s.execute(select(Agency.id).limit(1))
        await end_reads(s)  # only read: ended, nothing to lose
        assert not s.in_transaction()
        s.add(Agency(name="Written Agency", kind="dv"))
        await s.flush()
        with pytest.raises(RuntimeError):
            await end_reads(s)  # would drop the write
        assert s.in_transaction()
        await s.rollback()
