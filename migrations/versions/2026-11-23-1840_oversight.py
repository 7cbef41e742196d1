"""oversight: audit listing index, webhook endpoint versions and descriptions, delivery attempt times

Revision ID: oversight
Revises: foundation
Create Date: 2026-11-23 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.core.db

revision: str = 'oversight'
down_revision: str | Sequence[str] | None = 'foundation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_agency_seq', ['agency_id', 'seq'], unique=False)

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', app.core.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('description')
        batch_op.drop_column('version')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_agency_seq')
