"""Alembic environment (async). The database URL comes from Tandem's settings, never from alembic.ini.

This file, unlike a revision, may import the app: the settings give the database and the models' metadata is
what autogenerate compares against. A revision never imports the app (tests/core/test_migrations.py checks):
`render_item` below writes the app's column types as the plain SQLAlchemy types they store as, so a generated
revision needs only sqlalchemy and alembic.

On SQLite a batch migration rebuilds a table (copy, drop, rename); dropping a table other rows point at fails
while foreign keys are enforced, so, as SQLite's ALTER TABLE procedure prescribes, enforcement is switched off
around the migrations, and after each revision `PRAGMA foreign_key_check` must find nothing before it commits.

A revision that must seal a value (it cannot import app.core.crypto) gets `seal_platform_json` as the `seal`
option: `op.get_context().opts["seal"]`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from app import models  # noqa: F401  (register every table)
from app.core.config import get_settings
from app.core.crypto import seal_platform_json
from app.core.db import UTCDateTime, make_engine, metadata

config = context.config
target_metadata = metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """App column types as the SQLAlchemy types they store as (same DDL), so revisions never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations_offline() -> None:
    context.configure(url=get_settings().database_url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Straight on the driver's connection: the pragma is a no-op inside a transaction, and SQLAlchemy's own
    execute would begin one first."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _sqlite_no_dangling_rows(ctx: MigrationContext, step: MigrationInfo, heads: set[str],
                             run_args: dict[str, Any]) -> None:
    """After each revision, inside its transaction (SQLite commits revision by revision): with enforcement off,
    the revision itself must not have left a row pointing at nothing, or it is rolled back."""
    assert ctx.connection is not None
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise RuntimeError(f"{step.up_revision_id}: rows point at nothing in {tables}")


def do_run_migrations(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, render_item=render_item, seal=seal_platform_json,
                      on_version_apply=[_sqlite_no_dangling_rows] if sqlite else [])
    if sqlite:
        _sqlite_foreign_keys(connection, False)
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, True)


async def run_async_migrations() -> None:
    engine = make_engine(get_settings())
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
