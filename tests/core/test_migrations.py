"""Alembic builds the schema: upgrade -> downgrade -> upgrade on a database of its own, matching the models.

The history is one line with one head, no revision imports the app, and a landed revision is never edited
(migrations/checksums.txt).
"""

import ast
import asyncio
import hashlib
import json
import os
import re
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.checklists.defaults import DEFAULT_TEMPLATES
from app.cli import ROOT, alembic_config
from app.core.config import get_settings
from app.core.db import make_engine, metadata

VERSIONS = ROOT / "migrations" / "versions"
CHECKSUMS = ROOT / "migrations" / "checksums.txt"


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
    command.upgrade(cfg, "head")
    full = _tables(scratch_url)
    assert {"agencies", "users", "audit_events", "cases", "people"} <= full
    assert _compare(scratch_url) == [], "the migrations and the models disagree"
    assert _on(scratch_url, _newest_default_templates) == {
        j.value: [dict(i) for i in items] for j, items in DEFAULT_TEMPLATES.items()
    }, "the default checklist templates the migrations publish are not the ones in app/checklists/defaults.py"
    command.downgrade(cfg, "base")
    assert _tables(scratch_url) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert _tables(scratch_url) == full
    assert os.environ["DATABASE_URL"] != scratch_url  # the suite's own database was not touched


# ---------------------------------------------------------------- the migration scrubs what was kept before


def _on(url: str, fn: Any) -> Any:
    async def run() -> Any:
        engine = make_engine(get_settings().model_copy(update={"database_url": url}))
        async with engine.begin() as conn:
            out = await conn.run_sync(fn)
        await engine.dispose()
        return out

    return asyncio.run(run())


def _shape(conn: Any) -> tuple[set[str], int]:
    columns = {c["name"] for c in sa.inspect(conn).get_columns("idempotency_records")}
    return columns, conn.execute(sa.text("SELECT count(*) FROM idempotency_records")).scalar_one()


def test_idempotency_migration_drops_bodies_and_scrubs_rows(scratch_url, monkeypatch):
    """Records kept before held response bodies (secrets, notes) and unkeyed hashes: the upgrade deletes them
    and drops the column; the downgrade brings the column back empty."""
    from alembic import command

    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    cfg = alembic_config()
    command.upgrade(cfg, "referral_list_indexes")
    secret = "old-client-secret-kept-in-clear"
    sqlite = scratch_url.startswith("sqlite")

    def insert(conn: Any) -> None:
        conn.execute(sa.text(
            "INSERT INTO idempotency_records (id, owner, key, request_hash, status_code, response_body, created_at) "
            "VALUES (:id, 'user:x', 'k', :h, 201, :body, :at)"),
            {"id": uuid.uuid4().hex if sqlite else uuid.uuid4(),
             "h": "0" * 64, "body": json.dumps({"id": str(uuid.uuid4()), "client_secret": secret}),
             "at": datetime.now(UTC).replace(tzinfo=None) if sqlite else datetime.now(UTC)})

    _on(scratch_url, insert)
    assert _on(scratch_url, _shape) == ({"id", "owner", "key", "request_hash", "status_code", "response_body",
                                         "created_at"}, 1)
    command.upgrade(cfg, "idempotency_ids_only")
    assert _on(scratch_url, _shape) == ({"id", "owner", "key", "request_hash", "status_code", "resource_id",
                                         "created_at"}, 0)
    command.downgrade(cfg, "referral_list_indexes")  # the shape comes back, not the data
    assert _on(scratch_url, _shape) == ({"id", "owner", "key", "request_hash", "status_code", "response_body",
                                         "created_at"}, 0)
    command.upgrade(cfg, "head")


def _newest_default_templates(conn: Any) -> dict[str, list[dict[str, Any]]]:
    """Each juncture's newest default template (no agency), as its items."""
    rows = conn.execute(sa.text(
        "SELECT juncture, revision, items FROM checklist_templates WHERE agency_id IS NULL ORDER BY revision")).all()
    return {juncture: json.loads(items) if isinstance(items, str) else items for juncture, _, items in rows}


# ---------------------------------------------------------------- the foreign key of a referral's named consent


def _row(conn: Any, table: str, **values: Any) -> None:
    """Insert a row: the values given, a plain value of its type in every other required column."""
    sqlite = conn.dialect.name == "sqlite"
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for c in t.columns:
        if c.name in values or c.nullable:
            continue
        type_ = str(c.type)
        values[c.name] = (0 if "INT" in type_ else False if "BOOL" in type_ else
                          datetime(2026, 11, 30, tzinfo=UTC) if "TIMESTAMP" in type_ or "DATETIME" in type_ else
                          date(2026, 11, 30) if "DATE" in type_ else time(9) if "TIME" in type_ else
                          [] if "JSON" in type_ else "x")
    conn.execute(t.insert().values(**{k: v.hex if sqlite and isinstance(v, uuid.UUID) else v
                                      for k, v in values.items()}))


def _referral(conn: Any, ids: dict[str, uuid.UUID], consent_id: uuid.UUID) -> None:
    """A referral naming `consent_id`, with one step of its timeline and one person (rows pointing at it)."""
    referral_id = uuid.uuid4()
    _row(conn, "referrals", id=referral_id, case_id=ids["case"], from_agency_id=ids["cps"],
         to_agency_id=ids["dv"], consent_id=consent_id)
    _row(conn, "referral_events", id=uuid.uuid4(), referral_id=referral_id)
    _row(conn, "referral_people", id=uuid.uuid4(), referral_id=referral_id, person_id=ids["person"])


def _counts(conn: Any) -> tuple[str, int, int, int]:
    def n(table: str) -> int:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    return version, n("referrals"), n("referral_events"), n("referral_people")


def test_referral_consent_key_keeps_referrals_and_refuses_dangling_ones(scratch_url, monkeypatch):
    """The upgrade keeps every referral and the rows pointing at them (on SQLite it rebuilds the table under
    them); afterwards the database refuses a referral naming no consent, and an upgrade over such a referral
    fails and changes nothing."""
    from alembic import command

    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    cfg = alembic_config()
    command.upgrade(cfg, "audit_checkpoints")
    ids = {k: uuid.uuid4() for k in ("cps", "dv", "case", "person", "consent")}

    def world(conn: Any) -> None:
        _row(conn, "agencies", id=ids["cps"], kind="cps")
        _row(conn, "agencies", id=ids["dv"], kind="dv")
        _row(conn, "cases", id=ids["case"], agency_id=ids["cps"])
        _row(conn, "people", id=ids["person"], case_id=ids["case"], agency_id=ids["cps"])
        _row(conn, "consents", id=ids["consent"], person_id=ids["person"], case_id=ids["case"],
             agency_id=ids["cps"], recipient_agency_id=ids["dv"], grantor_person_id=ids["person"])
        _referral(conn, ids, ids["consent"])

    _on(scratch_url, world)
    command.upgrade(cfg, "referral_consent_fk")  # the revision under test, whatever comes after it
    assert _on(scratch_url, _counts) == ("referral_consent_fk", 1, 1, 1)
    with pytest.raises(sa.exc.IntegrityError):
        _on(scratch_url, lambda c: _referral(c, ids, uuid.uuid4()))
    assert _on(scratch_url, _counts) == ("referral_consent_fk", 1, 1, 1)

    command.downgrade(cfg, "audit_checkpoints")
    assert _on(scratch_url, _counts) == ("audit_checkpoints", 1, 1, 1)
    _on(scratch_url, lambda c: _referral(c, ids, uuid.uuid4()))  # without the key a dangling one goes in
    with pytest.raises((sa.exc.IntegrityError, RuntimeError)):
        command.upgrade(cfg, "referral_consent_fk")
    assert _on(scratch_url, _counts) == ("audit_checkpoints", 2, 2, 2)


# ---------------------------------------------------------------- the shape of the history


def _script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _revision_files() -> list[Path]:
    return sorted(VERSIONS.glob("*.py"))


def test_exactly_one_head():
    assert len(_script().get_heads()) == 1, "the history has forked: put the new revision on top of the head"


def test_the_history_is_one_line_in_file_order():
    """One base; each revision has one parent and at most one child (no branches, no merges); each file is
    named YYYY-MM-DD-HHMM_<revision id>.py, and the files sort in the order of the history."""
    revisions = list(_script().walk_revisions())  # head first
    assert [r.revision for r in revisions if r.down_revision is None] == [revisions[-1].revision]
    for r in revisions:
        assert r.down_revision is None or isinstance(r.down_revision, str), f"{r.revision} merges revisions"
        assert not r.is_merge_point and not r.is_branch_point, r.revision
        assert not r.branch_labels and not r.dependencies, r.revision
        assert re.fullmatch(rf"\d{{4}}-\d{{2}}-\d{{2}}-\d{{4}}_{re.escape(r.revision)}\.py", Path(r.path).name), r.path
    assert [Path(r.path).name for r in reversed(revisions)] == [p.name for p in _revision_files()]


def test_revision_ids_fit_the_version_table():
    """alembic_version.version_num is VARCHAR(32): on PostgreSQL a longer id fails the upgrade that reaches it
    (SQLite does not enforce the length, so only this check catches it there)."""
    too_long = [r.revision for r in _script().walk_revisions() if len(r.revision) > 32]
    assert too_long == []


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in {
                "__import__", "import_module"}:
            modules |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return modules


def test_no_revision_imports_the_app():
    """A revision builds the same schema and rows whatever the code says later: it never imports `app` (a
    default it needs is copied into it)."""
    offenders = {p.name: sorted(m for m in _imported_modules(p) if m == "app" or m.startswith(("app.", ".")))
                 for p in _revision_files()}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def _manifest() -> list[tuple[str, str]]:
    lines = [line.split() for line in CHECKSUMS.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert all(len(parts) == 2 for parts in lines), "each line of checksums.txt is `<sha256>  <file name>`"
    return [(name, digest) for digest, name in lines]


def test_a_landed_revision_is_never_edited():
    """Every revision file is listed in migrations/checksums.txt, in the order of the history (a new one is
    appended), and still has the checksum it landed with."""
    manifest = _manifest()
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in _revision_files()}
    missing = [name for name, _ in manifest if name not in files]
    assert not missing, f"landed revisions were removed or renamed: {missing}"
    edited = [name for name, digest in manifest if files[name] != digest]
    assert not edited, f"landed revisions were edited (write a new revision instead): {edited}"
    unlisted = sorted(set(files) - {name for name, _ in manifest})
    assert not unlisted, f"append these to migrations/checksums.txt: {unlisted}"
    assert [name for name, _ in manifest] == [p.name for p in _revision_files()], "list them in history order"
