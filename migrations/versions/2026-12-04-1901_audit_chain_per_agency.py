"""one audit hash chain per agency, appended at commit

The single platform-wide chain is re-chained into one chain per agency (`audit_events.chain`: the agency's id,
or `platform` for events of no agency), in the order it holds them: each event gets its seq in its chain and
is re-hashed after the one before it there (the hashed form is the app's, `app.trail.recorder.canonical`).
`audit_chain_heads` holds each chain's newest seq (appends take its row). The old chain's head (seq
and hash) is kept sealed in `audit_sealed_heads` (app.core.crypto.seal_platform_json, handed over by env.py as the
`seal` option, aad b"audit_sealed_heads"), so it can still be matched against a copy kept outside. Checkpoints
are per chain; the old ones point into the old chain and are dropped (the next verification sets new ones).

Downgrade re-chains every event into one chain again, ordered by time (then chain and seq).

Revision ID: audit_chain_per_agency
Revises: agency_data_keys
Create Date: 2026-12-04 19:00:00
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'audit_chain_per_agency'
down_revision: str | Sequence[str] | None = 'agency_data_keys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
PLATFORM = "platform"
SEALED_AAD = b"audit_sealed_heads"
BATCH = 5000
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

events = sa.table(
    "audit_events",
    sa.column("id", sa.Uuid()), sa.column("chain", sa.String()), sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_type", sa.String()),
    sa.column("actor_id", sa.String()), sa.column("agency_id", sa.Uuid()), sa.column("action", sa.String()),
    sa.column("object_type", sa.String()), sa.column("object_id", sa.String()),
    sa.column("request_id", sa.String()), sa.column("outcome", sa.String()),
    sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
)


def _at(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _hash(prev: str, seq: int, row: Any) -> str:
    """app.trail.recorder.chain_hash, as of this revision."""
    body = {
        "seq": seq, "id": str(row.id), "at": _at(row.at).isoformat(), "actor_type": row.actor_type,
        "actor_id": row.actor_id, "agency_id": str(row.agency_id) if row.agency_id else None,
        "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
        "request_id": row.request_id, "outcome": row.outcome,
    }
    return hashlib.sha256(prev.encode() + _ENCODER.encode(body).encode()).hexdigest()


def _rechain(conn: sa.Connection, order: Sequence[Any], chain_of: Callable[[Any], str]) -> dict[str, tuple[int, str]]:
    """Give every event, in `order`, the next seq and hash of the chain `chain_of(row)` names. Every seq is
    negated first: the rows still to do are those below zero (`order` sees their negated seq), in batches."""
    conn.execute(events.update().values(seq=-events.c.seq))
    heads: dict[str, tuple[int, str]] = {}
    while True:
        rows = conn.execute(sa.select(events).where(events.c.seq < 0).order_by(*order).limit(BATCH)).all()
        if not rows:
            return heads
        updates = []
        for row in rows:
            chain = chain_of(row)
            seq, prev = heads.get(chain, (0, GENESIS))
            seq += 1
            new = _hash(prev, seq, row)
            heads[chain] = (seq, new)
            updates.append({"_id": row.id, "_chain": chain, "_seq": seq, "_prev": prev, "_hash": new})
        conn.execute(events.update().where(events.c.id == sa.bindparam("_id")).values(
            chain=sa.bindparam("_chain"), seq=sa.bindparam("_seq"), prev_hash=sa.bindparam("_prev"),
            hash=sa.bindparam("_hash")), updates)


def upgrade() -> None:
    conn = op.get_bind()
    heads = op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    sealed = op.create_table('audit_sealed_heads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_sealed_heads'))
    )
    old = conn.execute(sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)).first()
    if old is not None:
        seal = op.get_context().opts.get("seal")
        if seal is None:
            raise RuntimeError("this revision seals the old audit head: run it through Tandem's migrations/env.py")
        conn.execute(sealed.insert().values(id=1, sealed=seal({"seq": old.seq, "hash": old.hash}, SEALED_AAD),
                                            recorded_at=datetime.now(UTC)))

    op.drop_table('audit_checkpoints')
    op.create_table('audit_checkpoints',
    sa.Column('chain', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chain', 'seq', name=op.f('pk_audit_checkpoints'))
    )

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=36), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
    found = _rechain(conn, [events.c.seq.desc()], lambda r: str(r.agency_id) if r.agency_id else PLATFORM)
    if found:
        conn.execute(heads.insert(), [{"chain": c, "seq": s} for c, (s, _) in found.items()])
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain', 'seq'])


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_chain_seq'), type_='unique')
    _rechain(conn, [events.c.at, events.c.chain, events.c.seq.desc()], lambda r: PLATFORM)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.drop_column('chain')

    op.drop_table('audit_checkpoints')
    op.create_table('audit_checkpoints',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoints'))
    )
    op.drop_table('audit_sealed_heads')
    op.drop_table('audit_chain_heads')
