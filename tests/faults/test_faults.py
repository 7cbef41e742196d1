"""Faults on PostgreSQL with a real server process: the database goes away and comes back; a process is
killed in the middle of a write."""

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
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from app.core.db import sessionmaker
from tests.faults.proxy import TcpProxy

pytestmark = pytest.mark.skipif(os.environ.get("TANDEM_TEST_DB") != "postgresql",
                                reason="fault tests drive a PostgreSQL server")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str) -> None:
        self.port = _free_port()
        env = dict(os.environ, DATABASE_URL=database_url, TANDEM_DB_POOL_TIMEOUT="2", TANDEM_LOG_LEVEL="WARNING")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def _via(proxy_port: int) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return f"{parts.scheme}://{parts.username}@127.0.0.1:{proxy_port}{parts.path}"


@pytest.fixture
def proxy():
    port = urlsplit(os.environ["DATABASE_URL"]).port or 5432
    p = TcpProxy(port)
    p.start()
    yield p
    p.close()


async def test_database_outage_is_503_and_service_resumes(world, proxy):
    admin = await world.admin()
    server = Server(_via(proxy.port))
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=admin.h, timeout=15) as c:
            assert (await c.get("/readyz")).status_code == 200
            assert (await c.get("/api/v1/agencies")).status_code == 200
            proxy.stop()
            r = await c.get("/api/v1/agencies")
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["retry-after"]) > 0
            w = await c.post("/api/v1/agencies", json={"name": "During outage", "kind": "dv"})
            assert w.status_code == 503
            ready = await c.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"]
            proxy.start()
            deadline = time.monotonic() + 20
            while (await c.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "service did not resume"
                await asyncio.sleep(0.3)
            assert (await c.get("/api/v1/agencies")).status_code == 200
            created = await c.post("/api/v1/agencies", json={"name": "After outage", "kind": "dv"})
            assert created.status_code == 201
    finally:
        server.kill()


async def test_process_killed_mid_write_leaves_nothing_half_written(world):
    """The write inserts the agency, then, at its commit, waits for its audit chain's head (the heads table is
    locked here); killing the process at that moment must leave neither the agency nor its audit event."""
    import asyncpg

    admin = await world.admin()
    server = Server(os.environ["DATABASE_URL"])
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
    locker = await asyncpg.connect(dsn)
    name = f"Half written {uuid.uuid4().hex[:8]}"
    locking = locker.transaction()
    try:
        await locking.start()
        await locker.execute("LOCK TABLE audit_chain_heads IN EXCLUSIVE MODE")
        async with httpx.AsyncClient(base_url=server.url, headers=admin.h, timeout=30) as c:
            write = asyncio.create_task(c.post("/api/v1/agencies", json={"name": name, "kind": "dv"}))
            deadline = time.monotonic() + 15
            while True:  # wait until the server's transaction is blocked on the lock
                waiting = await locker.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'audit_chain_heads'::regclass AND NOT granted")
                if waiting:
                    break
                assert time.monotonic() < deadline, "the write never reached the audit chain's head"
                await asyncio.sleep(0.1)
            server.kill()
            with pytest.raises(httpx.HTTPError):
                await write
    finally:
        await locking.rollback()
        await locker.close()
        server.kill()
    from app.identity.models import Agency

    async with sessionmaker()() as s:
        assert (await s.execute(sa.select(Agency).where(Agency.name == name))).first() is None
        from app.audit.service import verify_all

        result = await verify_all(full=True)
        assert result["ok"] is True

