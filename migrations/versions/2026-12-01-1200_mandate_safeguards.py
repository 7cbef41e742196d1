"""mandate safeguards: every legal mandate expires (at most a year after it was recorded) and can be withdrawn

Mandates recorded before this revision had no end; they are given one a year after they were recorded.

Revision ID: mandate_safeguards
Revises: bench_indexes
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = 'mandate_safeguards'
down_revision: str | Sequence[str] | None = 'bench_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_mandates = sa.table(
    'legal_mandates',
    sa.column('id', sa.Uuid()),
    sa.column('created_at', app.core.db.UTCDateTime(timezone=True)),
    sa.column('expires_at', app.core.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason_enc', sa.Text(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.select(_mandates.c.id, _mandates.c.created_at)).all()
    if rows:
        conn.execute(
            _mandates.update().where(_mandates.c.id == sa.bindparam('b_id'))
            .values(expires_at=sa.bindparam('b_expires_at', type_=app.core.db.UTCDateTime(timezone=True))),
            [{'b_id': r.id, 'b_expires_at': r.created_at + timedelta(days=365)} for r in rows],
        )

    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=app.core.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason_enc')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('expires_at')
