"""Compare the schema two migration histories build, on SQLite and PostgreSQL (a check, not a revision).

    PYTHONPATH=$PWD python migrations/compare_chains.py OLD_REF [--old-target heads] [--new-target head]
        [--db sqlite|postgresql|both] [--data]

OLD_REF is a git revision whose `migrations/` is extracted to a temporary directory; the other side is this
working tree's `migrations/`. Each side is upgraded on a scratch database of its own (SQLite file; PostgreSQL on
TANDEM_TEST_PG, default postgresql+asyncpg://postgres@127.0.0.1:5432, created and dropped here), then dumped:
the inspector's view of every table (columns in order with type, nullability, default; primary key; indexes
with their predicates; unique, foreign-key and check constraints), the DDL text (pg_dump --schema-only, or
sqlite_master), and the default checklist templates the migrations insert. Prints a unified diff of each and
exits 1 when anything differs.

Written to prove that the rebuilt linear history builds the same schema as the history it replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("TANDEM_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


def _extract(ref: str, into: Path) -> Path:
    """`migrations/` as of git revision `ref`, written under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "migrations"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "migrations"


def _upgrade(script_location: Path, url: str, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    from app.core.config import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(script_location))
    command.upgrade(cfg, target)


def _inspect(conn: sa.Connection) -> dict[str, Any]:
    insp = sa.inspect(conn)
    dialect = conn.dialect
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        def named(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return sorted(items, key=lambda i: str(i.get("name")))

        out[table] = {
            "columns": [{"name": c["name"], "type": c["type"].compile(dialect=dialect), "nullable": c["nullable"],
                         "default": c.get("default"), "autoincrement": c.get("autoincrement"),
                         "comment": c.get("comment")} for c in insp.get_columns(table)],
            "primary_key": insp.get_pk_constraint(table),
            "indexes": named(insp.get_indexes(table)),
            "unique_constraints": named(insp.get_unique_constraints(table)),
            "foreign_keys": named(insp.get_foreign_keys(table)),
            "check_constraints": named(insp.get_check_constraints(table)),
        }
    return out


def _templates(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.text(
        "SELECT id, agency_id, juncture, revision, items, published_by FROM checklist_templates")).mappings().all()
    out = []
    for r in rows:
        items = r["items"] if not isinstance(r["items"], str) else json.loads(r["items"])
        out.append({"id": str(uuid.UUID(str(r["id"]))), "agency_id": r["agency_id"], "juncture": r["juncture"],
                    "revision": r["revision"], "items": items, "published_by": r["published_by"]})
    return sorted(out, key=lambda t: t["id"])


_CONSTRAINT = ("CONSTRAINT ", "FOREIGN KEY", "PRIMARY KEY", "UNIQUE", "CHECK")


def _split_top_level(body: str) -> list[str]:
    """Split a CREATE TABLE body at the commas outside parentheses and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [" ".join(p.split()) for p in parts if p.strip()]


def _normalized(sql: str | None) -> str:
    """A CREATE TABLE as its columns in order, then its table constraints sorted, one a line: SQLite keeps the
    text as written, so a table rebuilt by a batch migration lists its constraints in no fixed order (even twice
    from the same history) and ALTER TABLE ADD COLUMN splices the new column's text after the constraints."""
    if not sql or not sql.startswith("CREATE TABLE"):
        return sql or ""
    head, _, body = sql.partition("(")
    parts = _split_top_level(body.strip()[:-1])
    columns = [p for p in parts if not p.startswith(_CONSTRAINT)]
    constraints = sorted(p for p in parts if p.startswith(_CONSTRAINT))
    return "\n".join([" ".join(head.replace('"', "").split()) + " ("] + ["\t" + p for p in columns + constraints] + [")"])


def _ddl(url: str, conn: sa.Connection) -> str:
    if url.startswith("sqlite"):
        rows = conn.execute(sa.text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")).all()
        return "\n".join(f"{t} {n} on {tb}:\n{_normalized(sql)}\n" for t, n, tb, sql in rows)
    u = sa.engine.make_url(url)
    dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-h", u.host or "127.0.0.1",
                           "-p", str(u.port or 5432), "-U", u.username or "postgres", u.database or ""],
                          check=True, capture_output=True, text=True).stdout
    # Comments and the per-dump random \\restrict key say nothing about the schema.
    return "\n".join(line for line in dump.splitlines()
                     if not line.startswith(("--", "\\restrict", "\\unrestrict")))


def _dump(url: str, with_data: bool) -> dict[str, str]:
    from app.core.config import get_settings
    from app.core.db import make_engine

    async def run() -> dict[str, str]:
        engine = make_engine(get_settings().model_copy(update={"database_url": url}))
        async with engine.connect() as conn:
            inspected = await conn.run_sync(_inspect)
            ddl = await conn.run_sync(lambda c: _ddl(url, c))
            templates = await conn.run_sync(_templates) if with_data else []
        await engine.dispose()
        return {"inspector": json.dumps(inspected, indent=1, default=str, sort_keys=True),
                "ddl": ddl, "checklist_templates": json.dumps(templates, indent=1, sort_keys=True)}

    return asyncio.run(run())


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_BASE.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _build(kind: str, script_location: Path, target: str, tmp: Path, with_data: bool) -> dict[str, str]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp}/{uuid.uuid4().hex}.db"
        _upgrade(script_location, url, target)
        return _dump(url, with_data)
    name = f"tandem_cmp_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{PG_BASE}/{name}"
        _upgrade(script_location, url, target)
        return _dump(url, with_data)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old_ref")
    p.add_argument("--old-target", default="heads")
    p.add_argument("--new-target", default="head")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--data", action="store_true", help="also compare the default checklist templates")
    args = p.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    tmp = Path(tempfile.mkdtemp(prefix="tandem-cmp-"))
    saved_url = os.environ.get("DATABASE_URL")
    differs = False
    try:
        old_dir = _extract(args.old_ref, tmp)
        for kind in kinds:
            old = _build(kind, old_dir, args.old_target, tmp, args.data)
            new = _build(kind, ROOT / "migrations", args.new_target, tmp, args.data)
            for part in old:
                diff = list(difflib.unified_diff(old[part].splitlines(), new[part].splitlines(),
                                                 f"{args.old_ref}:{args.old_target}", f"tree:{args.new_target}",
                                                 lineterm="", n=4))
                print(f"== {kind} {part}: {'identical' if not diff else 'DIFFERENT'}"
                      f" ({len(old[part].splitlines())} lines)")
                if diff:
                    differs = True
                    print("\n".join(diff))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if saved_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved_url
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
