"""The principal cache (app.auth.principal_cache): a cached caller costs no query, and every change that can end
or narrow a token still ends it on the very next request, in this process and in every other one."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.auth.principal_cache import (
    APPLICATION_NAME,
    CHANNEL,
    Account,
    PrincipalCache,
    cache,
    ensure_listening,
    listener,
)
from app.core.config import get_settings
from app.core.db import get_engine, sessionmaker
from app.identity.models import Agency, PersonAccount, User
from tests.factories import PASSWORD
from tests.statements import statements

TOKEN = "/api/v1/auth/token"
ROOT = Path(__file__).resolve().parents[2]
postgresql_only = pytest.mark.skipif(os.environ.get("TANDEM_TEST_DB") != "postgresql",
                                     reason="the LISTEN connection and other processes: PostgreSQL")




def _reads_account(seen: list[str], table: str) -> bool:
    """Whether the token check read the caller's account (app.auth.dependencies: the columns it needs)."""
    return any(s.startswith(f"SELECT {table}.id, {table}.active, {table}.token_version") for s in seen)


async def _until(check: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _cache_on(client: httpx.AsyncClient | None = None) -> None:
    """Where the cache waits for its listener (PostgreSQL), wait until it is on."""
    ensure_listening()  # as the app's lifespan does (or the first authenticated request, here without one)
    await _until(lambda: cache().on)


def _cached(kind: str, ref: Any) -> bool:
    return cache().get(kind, uuid.UUID(str(ref))) is not None


async def _warm(client, headers: dict[str, str], path: str, kind: str, ref: Any) -> None:
    await _cache_on(client)
    for _ in range(2):
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, r.text
    assert _cached(kind, ref), "the caller was not cached"


async def test_a_cached_caller_costs_no_query(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    with statements() as hit:
        assert (await world.get(actor, "/api/v1/me")).status_code == 200
    cache().clear()
    with statements() as miss:
        assert (await world.get(actor, "/api/v1/me")).status_code == 200
    assert not _reads_account(hit, "users") and _reads_account(miss, "users")
    assert len(miss) == len(hit) + 1, (hit, miss)


async def test_a_size_of_zero_turns_the_cache_off_and_the_size_bounds_it():
    off = PrincipalCache(0)
    off.turn_on()
    assert not off.on
    bounded = PrincipalCache(2)
    bounded.turn_on()
    accounts = [Account(id=uuid.uuid4(), active=True, token_version=0, roles=frozenset(), agency_id=None,
                        agency_kind=None) for _ in range(3)]
    for a in accounts:
        bounded.put("user", a, bounded.generation())
    assert len(bounded) == 2 and bounded.get("user", accounts[0].id) is None  # the least recently used went


# ------------------------------------------------------------------ each change ends the token at once


async def test_deactivation_through_the_api(client, world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    assert (await world.post(admin, f"/api/v1/users/{actor.id}/deactivate")).status_code == 200
    assert (await world.get(actor, "/api/v1/me")).status_code == 401


async def test_roles_narrowed_through_the_api(client, world):
    agency = await world.agency("cps")
    platform = await world.admin()
    actor = await world.user(agency, "cps_worker", "cps_supervisor")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    r = await world.patch(platform, f"/api/v1/users/{actor.id}", {"roles": ["cps_worker"]})
    assert r.status_code == 200, r.text
    assert (await world.get(actor, "/api/v1/me")).status_code == 401


async def test_password_changed_through_the_api(client, world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    r = await world.patch(admin, f"/api/v1/users/{actor.id}", {"password": "a brand new passphrase"})
    assert r.status_code == 200, r.text
    assert (await world.get(actor, "/api/v1/me")).status_code == 401


async def test_client_secret_rotated_through_the_api(client, world):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    created = (await world.post(admin, "/api/v1/clients", {"name": "Case system", "roles": ["dv_advocate"]})).json()
    token = (await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": created["client_id"],
                                            "client_secret": created["client_secret"]})).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    await _warm(client, h, "/api/v1/me", "client", created["id"])
    assert (await world.post(admin, f"/api/v1/clients/{created['id']}/rotate-secret")).status_code == 200
    assert (await client.get("/api/v1/me", headers=h)).status_code == 401


async def _person(world):
    agency = await world.agency("dv")
    worker = await world.user(agency, "dv_advocate")
    case = await world.case(worker)
    person = await world.person(worker, case["id"])
    her = await world.person_actor(agency, person_id=person["id"])
    return worker, person, her


async def test_her_safety_lock(client, world):
    _, person, her = await _person(world)
    async with sessionmaker()() as s:
        account_id = (await s.execute(sa.select(PersonAccount.id).where(PersonAccount.person_id == uuid.UUID(person["id"])))
                      ).scalar_one()
    await _warm(client, her.h, "/api/v1/my", "person", account_id)
    assert (await client.post("/api/v1/my/lock", headers=her.h)).status_code == 200
    assert (await client.get("/api/v1/my", headers=her.h)).status_code == 401


async def test_her_access_revoked_by_the_agency(client, world):
    worker, person, her = await _person(world)
    async with sessionmaker()() as s:
        account_id = (await s.execute(sa.select(PersonAccount.id).where(PersonAccount.person_id == uuid.UUID(person["id"])))
                      ).scalar_one()
    await _warm(client, her.h, "/api/v1/my", "person", account_id)
    assert (await world.post(worker, f"/api/v1/people/{person['id']}/access/revoke")).status_code == 200
    assert (await client.get("/api/v1/my", headers=her.h)).status_code == 401


async def test_agency_kind_changed_outside_the_api(client, world):
    """Any writer's session announces the change (a command, a job): here the agency's kind, which the
    token's roles no longer fit."""
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    async with sessionmaker()() as s:
        found = await s.get(Agency, agency.id)
        assert found is not None
        found.kind = "dv"
        await s.commit()
    assert (await world.get(actor, "/api/v1/me")).status_code == 401


async def test_a_bulk_update_outside_the_api(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    async with sessionmaker()() as s:
        await s.execute(sa.update(User).where(User.id == actor.id).values(active=False))
        await s.commit()
    assert (await world.get(actor, "/api/v1/me")).status_code == 401


async def test_a_rolled_back_change_invalidates_nothing(client, world, db_kind):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    async with sessionmaker()() as s:
        found = await s.get(User, actor.id)
        assert found is not None
        found.active = False
        found.token_version += 1
        await s.flush()
        await s.rollback()
    if db_kind == "postgresql":
        await asyncio.sleep(0.3)  # a notification, had one been sent, would be here by now
    assert _cached("user", actor.id)
    assert (await world.get(actor, "/api/v1/me")).status_code == 200


async def test_a_read_overtaken_by_an_invalidation_is_not_kept(client, world):
    """A request that read the account before an invalidation arrived does not keep what it read."""
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _cache_on(client)
    engine = get_engine().sync_engine

    def arrives_meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT users.id, users.active, users.token_version"):  # the account was just read: now the notification comes in
            listener._notified(None, 0, CHANNEL, f"user:{actor.id}")

    event.listen(engine, "after_cursor_execute", arrives_meanwhile)
    try:
        assert (await world.get(actor, "/api/v1/me")).status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", arrives_meanwhile)
    assert not _cached("user", actor.id)
    assert (await world.get(actor, "/api/v1/me")).status_code == 200
    assert _cached("user", actor.id)


async def test_another_process_of_the_sqlite_database_clears_it(client, world, db_kind):
    if db_kind != "sqlite":
        pytest.skip("the stamp file is SQLite's")
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    path = sa.engine.make_url(get_settings().database_url).database
    code = (f"from pathlib import Path; from app.auth.principal_cache import _Stamp; "
            f"_Stamp(Path({path + '-principals'!r})).bump()")
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
    assert not _cached("user", actor.id)


# ------------------------------------------------------------------ PostgreSQL: the listener


@postgresql_only
async def test_a_notification_from_another_process_drops_the_entry(client, world):
    import asyncpg

    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    conn = await asyncpg.connect(os.environ["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, f"user:{actor.id}")
    finally:
        await conn.close()
    await _until(lambda: not _cached("user", actor.id), 5)


@postgresql_only
async def test_a_lost_listener_turns_the_cache_off_until_it_is_back(client, world):
    import asyncpg

    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    first_pid, outages = listener.server_pid, listener.outages
    conn = await asyncpg.connect(os.environ["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("SELECT pg_terminate_backend($1)", first_pid)
        await _until(lambda: listener.outages > outages, 10)  # it went off (and cleared) ...
        assert not _cached("user", actor.id)
        # Off: every request reads the account, and nothing is kept.
        for _ in range(2):
            with statements() as seen:
                assert (await world.get(actor, "/api/v1/me")).status_code == 200
            if cache().on:  # already back (it reconnects within a fraction of a second)
                break
            assert _reads_account(seen, "users")
        await _until(lambda: cache().on, 15)
        assert listener.server_pid != first_pid
        listening = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND application_name = $2",
                                        listener.server_pid, APPLICATION_NAME)
        assert listening == 1
    finally:
        await conn.close()
    await _warm(client, actor.h, "/api/v1/me", "user", actor.id)
    with statements() as seen:
        assert (await world.get(actor, "/api/v1/me")).status_code == 200
    assert not _reads_account(seen, "users")


@postgresql_only
async def test_while_the_listener_is_down_nothing_is_kept(client, world):
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    await _cache_on(client)
    cache().turn_off()  # as the listener does when its connection goes
    try:
        for _ in range(2):
            with statements() as seen:
                assert (await world.get(actor, "/api/v1/me")).status_code == 200
            assert _reads_account(seen, "users")
        assert len(cache()) == 0
    finally:
        cache().turn_on()


# ------------------------------------------------------------------ PostgreSQL: two worker processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TANDEM_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own process group: the workers end with it


async def _listeners(conn: Any) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        APPLICATION_NAME))


@postgresql_only
async def test_two_workers_end_a_deactivated_users_token_on_the_next_request(client, world):
    import asyncpg

    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    actor = await world.user(agency, "cps_worker")
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
    watcher = await asyncpg.connect(dsn)
    before = await _listeners(watcher)
    port = _free_port()
    proc = _serve(port, workers=2)
    url = f"http://127.0.0.1:{port}"

    async def fresh(method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=url, timeout=15) as c:  # a new connection each time
            return await c.request(method, path, **kw)

    try:
        deadline = time.monotonic() + 180  # slow to start on a loaded machine
        while await _listeners(watcher) < before + 2:  # both workers listen: both caches are on
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start listening"
            await asyncio.sleep(0.2)
        login = await fresh("POST", TOKEN, data={"grant_type": "password", "username": actor.user.email,
                                                 "password": PASSWORD})
        assert login.status_code == 200, login.text
        h = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(20):
            assert (await fresh("GET", "/api/v1/me", headers=h)).status_code == 200
        off = await fresh("POST", f"/api/v1/users/{actor.id}/deactivate", headers=admin.h)
        assert off.status_code == 200, off.text
        answers = [(await fresh("GET", "/api/v1/me", headers=h)).status_code for _ in range(40)]
        assert answers == [401] * 40
    finally:
        await watcher.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@postgresql_only
async def test_a_lifespan_in_another_event_loop_stops_without_awaiting_this_loops_listener(client, world):
    """An app whose lifespan runs in an event loop of its own (as schemathesis's ASGI client does) beside
    requests served in another: its shutdown cancels the listener of the other loop instead of awaiting a task
    it cannot await ("attached to a different loop"), and the requests' loop starts its own again."""
    ensure_listening()
    task = listener._task
    assert task is not None and not task.done()
    await asyncio.to_thread(asyncio.run, listener.stop())
    await _until(task.done, 10)
    assert task.cancelled()
    agency = await world.agency("cps")
    actor = await world.user(agency, "cps_worker")
    assert (await world.get(actor, "/api/v1/me")).status_code == 200  # the listener of this loop, again
    await _until(lambda: listener.up, 10)
