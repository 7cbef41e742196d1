"""Alembic builds the schema: upgrade -> downgrade -> upgrade on a database of its own, matching the models."""

import asyncio
import os
import uuid

import pytest
import sqlalchemy as sa

from app.cli import alembic_config
from app.core.config import get_settings
from app.core.db import make_engine, metadata


def _compare(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    async def run():
        s = get_settings().model_copy(update={"database_url": url})
        engine = make_engine(s)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), metadata))
        await engine.dispose()
        return diff

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run():
        s = get_settings().model_copy(update={"database_url": url})
        engine = make_engine(s)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(run())


@pytest.fixture
def scratch_url(db_kind, tmp_path):
    if db_kind == "postgresql":
        from tests.conftest import _PG_BASE, _pg_admin

        name = f"tandem_mig_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        yield f"{_PG_BASE}/{name}"
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        yield f"sqlite+aiosqlite:///{tmp_path}/mig.db"


def test_upgrade_downgrade_upgrade(scratch_url, monkeypatch):
    from alembic import command

    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", scratch_url)
    cfg = alembic_config()
    command.upgrade(cfg, "heads")
    full = _tables(scratch_url)
    assert {"agencies", "users", "audit_events", "cases", "people"} <= full
    assert _compare(scratch_url) == [], "the migrations and the models disagree"
    command.downgrade(cfg, "base")
    assert _tables(scratch_url) <= {"alembic_version"}
    command.upgrade(cfg, "heads")
    assert _tables(scratch_url) == full
    assert os.environ["DATABASE_URL"] != scratch_url  # the suite's own database was not touched
