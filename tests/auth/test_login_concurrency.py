"""The login lockout holds however guesses are timed, and a login holds no database lock while it checks a hash.

Hash checks run in a fixed set of worker-thread slots (app.auth.service.hash_check_slots). The tests take
those slots themselves for a while: every login then waits just before its hash check, so what a login does
before and around the check can be observed deterministically, without racing a clock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.auth.service import hash_check_slots
from app.core.config import get_settings
from app.core.db import sessionmaker
from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _login(client, email, password):
    return await client.post(TOKEN, data={"grant_type": "password", "username": email, "password": password})


@asynccontextmanager
async def hash_checks_held() -> AsyncIterator[None]:
    """No hash check can start until the block ends (the test holds every slot)."""
    slots = hash_check_slots()
    holders = [object() for _ in range(int(slots.total_tokens))]
    for h in holders:
        await slots.acquire_on_behalf_of(h)
    try:
        yield
    finally:
        for h in holders:
            slots.release_on_behalf_of(h)


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> bool:
    """Poll `check` until it holds (True) or `seconds` pass (False); the tests assert on the outcome."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


def _sqlite_path() -> str:
    return get_settings().database_url.split("///", 1)[1]


async def _attempts(name: str, db_kind: str) -> int:
    """The attempt count recorded for an account name, read without taking any lock."""
    if db_kind == "sqlite":
        with sqlite3.connect(_sqlite_path(), timeout=0) as conn:  # a plain reader: WAL lets it read beside a writer
            row = conn.execute("SELECT count FROM login_failures WHERE email = ?", (name,)).fetchone()
        return int(row[0]) if row else 0
    async with sessionmaker()() as s:
        found = (await s.execute(sa.text("SELECT count FROM login_failures WHERE email = :e"), {"e": name})).first()
    return int(found[0]) if found else 0


async def test_forty_parallel_guesses_check_five_and_refuse_the_right_one(client, world, clock, db_kind):
    clock.set(START)
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    email = actor.user.email
    slots = hash_check_slots()

    async def checking() -> bool:
        return slots.statistics().tasks_waiting >= 1

    tasks: list[asyncio.Task] = []
    async with hash_checks_held():
        tasks += [asyncio.create_task(_login(client, email, f"wrong guess {i}")) for i in range(37)]
        # the first guess is at its hash check; the others have had every chance to get in line
        assert await _until(checking)
        await asyncio.sleep(0.1)
        tasks.append(asyncio.create_task(_login(client, email, PASSWORD)))  # guess 38: the right one
        tasks += [asyncio.create_task(_login(client, email, f"wrong guess {i}")) for i in range(38, 40)]
        await asyncio.sleep(0.1)
    results = await asyncio.gather(*tasks)
    codes = [r.status_code for r in results]
    assert codes[37] == 429, codes
    assert codes.count(400) == 5, codes  # at most five wrong passwords were ever checked
    assert set(codes) == {400, 429}, codes  # never a 409 or a 500
    for r in results:
        if r.status_code == 429:
            assert 0 < int(r.headers["retry-after"]) <= 900
            assert r.headers["content-type"].startswith("application/problem+json")
    assert await _attempts(email, db_kind) == 5
    assert (await _login(client, email, PASSWORD)).status_code == 429
    clock.set(START + timedelta(minutes=16))
    assert (await _login(client, email, PASSWORD)).status_code == 200


async def test_concurrent_first_failures_count_once_each_and_never_conflict(client, world, clock):
    clock.set(START)
    agency = await world.agency("dv")
    actor = await world.user(agency, "dv_advocate")
    for email in (actor.user.email, "nobody-concurrent@test.example"):
        results = await asyncio.gather(*(_login(client, email, f"wrong {i}") for i in range(12)))
        codes = sorted(r.status_code for r in results)
        assert codes == [400] * 5 + [429] * 7, codes
        assert (await _login(client, email, PASSWORD)).status_code == 429


async def test_a_failed_login_holds_no_lock_while_its_hash_is_checked(client, world, db_kind):
    """SQLite has one writer at a time: a login must not keep the write lock through its (slow) hash check,
    or every failed login would stall everyone else's writes. On PostgreSQL: no transaction stays open."""
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    other = await world.user(agency, "cps_worker")
    victim = await world.user(agency, "cps_worker")
    slots = hash_check_slots()

    async def waiting() -> bool:
        return slots.statistics().tasks_waiting >= 1

    login: asyncio.Task | None = None
    try:
        async with hash_checks_held():
            login = asyncio.create_task(_login(client, victim.user.email, "not the password"))
            assert await _until(waiting), "the login never reached its hash check"
            if db_kind == "sqlite":
                conn = sqlite3.connect(_sqlite_path(), timeout=0, isolation_level=None)
                try:
                    conn.execute("BEGIN IMMEDIATE")  # "database is locked" if the login holds the write lock
                    conn.execute("ROLLBACK")
                finally:
                    conn.close()
            else:
                async with sessionmaker()() as s:
                    open_tx = (await s.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))).scalar_one()
                assert open_tx == 0
            # another user's write completes while the hash check is still waiting
            r = await asyncio.wait_for(world.patch(admin, f"/api/v1/users/{other.id}", {"full_name": "Renamed"}), 10)
            assert r.status_code == 200, r.text
            assert not login.done()
    finally:
        result = await login if login is not None else None
    assert result is not None and result.status_code == 400 and result.json()["error"] == "invalid_grant"


async def test_slots_claimed_over_many_connections_at_once_are_numbered_exactly(clock, db_kind):
    """What several processes would do: claims on separate connections, all at once, without this process's
    queue in front. Each slot number is handed out once, and none beyond the maximum."""
    from app.auth import throttle
    from app.core.errors import TooManyRequests

    clock.set(START)
    name = "many-connections@test.example"

    async def one() -> int | None:
        async with sessionmaker()() as s:
            try:
                n = await throttle.claim(s, name)
            except TooManyRequests:
                return None
            await s.commit()
            return n

    got = await asyncio.gather(*(one() for _ in range(25)))
    assert sorted(n for n in got if n is not None) == [1, 2, 3, 4, 5], got
    assert got.count(None) == 20
    assert await _attempts(name, db_kind) == 5
