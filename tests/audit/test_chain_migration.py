"""The migration to one chain per agency: the single platform-wide chain is re-chained per agency (and the
platform's events of no agency), every chain verifies, the old head is kept sealed, and the downgrade makes
one verifiable chain again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from app.cli import alembic_config
from app.core.config import get_settings
from app.core.crypto import decrypt_json
from app.trail.models import PLATFORM_CHAIN, SEALED_HEAD_AAD
from app.trail.recorder import GENESIS, chain_hash
from tests.core.test_migrations import _on, scratch_url  # noqa: F401  (the fixture)

BEFORE = "person_case_links"
REVISION = "audit_chain_per_agency"

_old = sa.table(
    "audit_events",
    sa.column("id", sa.Uuid()), sa.column("seq", sa.Integer()), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_type", sa.String()), sa.column("actor_id", sa.String()), sa.column("agency_id", sa.Uuid()),
    sa.column("action", sa.String()), sa.column("object_type", sa.String()), sa.column("object_id", sa.String()),
    sa.column("request_id", sa.String()), sa.column("outcome", sa.String()), sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _aware(row: Any) -> SimpleNamespace:
    """A stored row as the hash sees it (SQLite gives naive UTC datetimes back)."""
    d = dict(row._mapping)
    d["at"] = d["at"].replace(tzinfo=UTC) if d["at"].tzinfo is None else d["at"].astimezone(UTC)
    return SimpleNamespace(**d)


def _old_chain(agencies: list[uuid.UUID | None], at: datetime) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS
    for i, agency in enumerate(agencies, start=1):
        ev = SimpleNamespace(id=uuid.uuid4(), seq=i, at=at + timedelta(seconds=i), actor_type="user",
                             actor_id=str(uuid.uuid4()), agency_id=agency, action=f"test.step{i}",
                             object_type="test", object_id=str(i), request_id=None, outcome="success",
                             prev_hash=prev)
        ev.hash = prev = chain_hash(prev, ev)
        rows.append(vars(ev))
    return rows


def _chains(conn: Any) -> dict[str, list[SimpleNamespace]]:
    table = sa.table("audit_events", *[sa.column(c.name, c.type) for c in _old.columns], sa.column("chain"))
    out: dict[str, list[SimpleNamespace]] = {}
    for row in conn.execute(sa.select(table).order_by(table.c.chain, table.c.seq)).all():
        out.setdefault(row.chain, []).append(_aware(row))
    return out


def _intact(events: list[SimpleNamespace]) -> bool:
    prev = GENESIS
    for i, ev in enumerate(events, start=1):
        if ev.seq != i or ev.prev_hash != prev or chain_hash(prev, ev) != ev.hash:
            return False
        prev = ev.hash
    return True


def test_the_single_chain_is_rechained_per_agency_and_its_head_sealed(scratch_url, monkeypatch):  # noqa: F811
    from alembic import command

    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    cfg = alembic_config()
    command.upgrade(cfg, BEFORE)
    a, b = uuid.uuid4(), uuid.uuid4()
    order = [a, None, b, a, a, b, None, a]
    old = _old_chain(order, datetime(2026, 12, 1, 9, tzinfo=UTC))
    _on(scratch_url, lambda conn: conn.execute(_old.insert(), old))
    _on(scratch_url, lambda conn: conn.execute(sa.text(
        "INSERT INTO audit_checkpoints (seq, hash, verified_at) VALUES (8, :h, :at)"),
        {"h": old[-1]["hash"], "at": datetime(2026, 12, 1, 10)}))

    command.upgrade(cfg, REVISION)
    chains = _on(scratch_url, _chains)
    assert set(chains) == {str(a), str(b), PLATFORM_CHAIN}
    for key, agency in ((str(a), a), (str(b), b), (PLATFORM_CHAIN, None)):
        events = chains[key]
        # Each chain holds its agency's events, in the order the old chain held them, re-linked from genesis.
        assert [e.id for e in events] == [r["id"] for r in old if r["agency_id"] == agency]
        assert all(e.agency_id == agency for e in events)
        assert _intact(events), key
    heads = dict(_on(scratch_url, lambda conn: conn.execute(sa.text(
        "SELECT chain, seq FROM audit_chain_heads")).all()))
    assert heads == {str(a): 4, str(b): 2, PLATFORM_CHAIN: 2}
    # The old checkpoints pointed into the old chain; the old head is kept, sealed.
    assert _on(scratch_url, lambda conn: conn.execute(sa.text("SELECT count(*) FROM audit_checkpoints"))
               .scalar_one()) == 0
    sealed = _on(scratch_url, lambda conn: conn.execute(sa.text("SELECT sealed FROM audit_sealed_heads")).all())
    assert len(sealed) == 1 and old[-1]["hash"] not in sealed[0][0]
    assert decrypt_json(sealed[0][0], SEALED_HEAD_AAD) == {"seq": 8, "hash": old[-1]["hash"]}

    # Down again: one chain, ordered by time, that verifies.
    command.downgrade(cfg, BEFORE)
    back = _on(scratch_url, lambda conn: [_aware(r) for r in conn.execute(
        sa.select(_old).order_by(_old.c.seq)).all()])
    assert [e.id for e in back] == [r["id"] for r in old]
    assert _intact(back)
    command.upgrade(cfg, "head")
    assert all(_intact(events) for events in _on(scratch_url, _chains).values())


def test_an_empty_trail_needs_no_seal(scratch_url, monkeypatch):  # noqa: F811
    from alembic import command

    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    command.upgrade(alembic_config(), "head")
    assert _on(scratch_url, lambda conn: conn.execute(sa.text("SELECT count(*) FROM audit_sealed_heads"))
               .scalar_one()) == 0
