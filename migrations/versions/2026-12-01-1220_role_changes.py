"""role changes: a change that mixes admin and casework roles waits here for a second admin

Revision ID: role_changes
Revises: mandate_safeguards
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'role_changes'
down_revision: str | Sequence[str] | None = 'mandate_safeguards'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('role_changes',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('roles_before', sa.JSON(), nullable=False),
    sa.Column('roles_after', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_role_changes_agency_id_agencies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_changes'))
    )
    with op.batch_alter_table('role_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_changes_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_changes_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_changes_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('role_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_changes_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_changes_created_at'))
        batch_op.drop_index(batch_op.f('ix_role_changes_agency_id'))
    op.drop_table('role_changes')
