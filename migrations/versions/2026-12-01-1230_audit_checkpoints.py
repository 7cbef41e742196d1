"""audit checkpoints: the chain's head as of each verification that found it intact, so a repeat verifies
only the events written since

Revision ID: audit_checkpoints
Revises: role_changes
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = 'audit_checkpoints'
down_revision: str | Sequence[str] | None = 'role_changes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoints'))
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoints')
