"""each audit chain's head keeps the hash of its newest event

`audit_chain_heads.hash`: the append reads the hash to link to from the head row it takes (one statement with
the lock), not from the events. Filled from each chain's newest event up to the head's seq (genesis for a
chain without one). On SQLite, which has no data-modifying CTE, the trigger `audit_events_move_head` moves the
head's hash on when the event at the head's seq is inserted (the append's INSERT); on PostgreSQL the append's
statement moves it itself.

Revision ID: audit_head_hash
Revises: family_view
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'audit_head_hash'
down_revision: str | Sequence[str] | None = 'family_view'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

heads = sa.table("audit_chain_heads", sa.column("chain", sa.String()), sa.column("seq", sa.Integer()),
                 sa.column("hash", sa.String()))
events = sa.table("audit_events", sa.column("chain", sa.String()), sa.column("seq", sa.Integer()),
                  sa.column("hash", sa.String()))

SQLITE_TRIGGER = """
CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_chain_heads SET hash = NEW.hash WHERE chain = NEW.chain AND seq = NEW.seq;
END
"""


def upgrade() -> None:
    with op.batch_alter_table('audit_chain_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    newest = (sa.select(events.c.hash).where(events.c.chain == heads.c.chain, events.c.seq <= heads.c.seq)
              .order_by(events.c.seq.desc()).limit(1).scalar_subquery())
    op.execute(heads.update().values(hash=sa.func.coalesce(newest, GENESIS)))
    with op.batch_alter_table('audit_chain_heads', schema=None) as batch_op:
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_move_head")
    with op.batch_alter_table('audit_chain_heads', schema=None) as batch_op:
        batch_op.drop_column('hash')
