"""mandate safeguards: every legal mandate expires (at most a year after it was recorded) and can be withdrawn;
a court order may require immediate release; a notification task warns the survivor when a mandate comes into
force (kind mandate_notice, naming the mandate, no disclosure) or tells her of a release (kind release_notice)

Mandates recorded before this revision had no end; they are given one a year after they were recorded.
Existing tasks were all opened by releases: they become release_notice.

Revision ID: mandate_safeguards
Revises: idempotency_ids_only
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'mandate_safeguards'
down_revision: str | Sequence[str] | None = 'idempotency_ids_only'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_mandates = sa.table(
    'legal_mandates',
    sa.column('id', sa.Uuid()),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('expires_at', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('immediate_release', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('immediate_release_reason_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason_enc', sa.Text(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.select(_mandates.c.id, _mandates.c.created_at)).all()
    if rows:
        conn.execute(
            _mandates.update().where(_mandates.c.id == sa.bindparam('b_id'))
            .values(expires_at=sa.bindparam('b_expires_at', type_=sa.DateTime(timezone=True))),
            [{'b_id': r.id, 'b_expires_at': r.created_at + timedelta(days=365)} for r in rows],
        )

    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('immediate_release', existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table('notification_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='release_notice'))
        batch_op.add_column(sa.Column('mandate_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('disclosure_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_index(batch_op.f('ix_notification_tasks_mandate_id'), ['mandate_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_tasks_mandate_id_legal_mandates'),
                                    'legal_mandates', ['mandate_id'], ['id'])
    with op.batch_alter_table('notification_tasks', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
                              server_default=None)


def downgrade() -> None:
    # Warning tasks name no disclosure: they cannot survive the older schema.
    op.execute("DELETE FROM notification_tasks WHERE disclosure_id IS NULL")
    with op.batch_alter_table('notification_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_tasks_mandate_id_legal_mandates'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_tasks_mandate_id'))
        batch_op.alter_column('disclosure_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('mandate_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason_enc')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('immediate_release_reason_enc')
        batch_op.drop_column('immediate_release')
        batch_op.drop_column('expires_at')
