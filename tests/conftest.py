"""Test harness: a fresh migrated database per run (SQLite or PostgreSQL), the real app over ASGI.

TANDEM_TEST_DB=sqlite (default) or postgresql selects the database. PostgreSQL runs create and drop
their own database on TANDEM_TEST_PG (default postgresql+asyncpg://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="tandem-test-"))
_KIND = os.environ.get("TANDEM_TEST_DB", "sqlite")
_PG_BASE = os.environ.get("TANDEM_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
_DB_NAME = f"tandem_test_{uuid.uuid4().hex[:12]}"

if _KIND == "postgresql":
    os.environ["DATABASE_URL"] = f"{_PG_BASE}/{_DB_NAME}"
else:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{_TMP}/tandem.db"
os.environ["TANDEM_VAR_DIR"] = str(_TMP / "var")
os.environ["TANDEM_WEBHOOK_WORKER_ENABLED"] = "false"
os.environ["TANDEM_ALLOW_LOCAL_KEYS"] = "true"  # one host, one var dir: keys may be generated (PostgreSQL too)
os.environ.setdefault("TANDEM_LOG_LEVEL", "WARNING")

import httpx  # noqa: E402

from app.core.config import get_settings  # noqa: E402

get_settings.cache_clear()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = _PG_BASE.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if _KIND == "postgresql":
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_DB_NAME}"'))
    from app.cli import migrate

    migrate()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _KIND == "postgresql":
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)'))
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def db_kind() -> str:
    return _KIND


@pytest.fixture(scope="session")
def app():
    from app.main import create_app

    return create_app()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as c:
        yield c


@pytest.fixture
def clock():
    """Freeze or move the service's clock: clock.set(datetime); released after the test."""
    from app.core import clock as clk

    class _Clock:
        set = staticmethod(clk.set_now)
        now = staticmethod(clk.utcnow)

    yield _Clock
    clk.set_now(None)


@pytest.fixture
async def world(client):
    """Builds agencies, users and tokens for a test (see tests/factories.py)."""
    from tests.factories import World

    return World(client)
