"""removal safety factors: what made the child unsafe, recorded on a removal juncture

Reports count removals where domestic violence is the only safety factor. Junctures recorded before this have
none recorded (an empty list).

Revision ID: removal_safety_factors
Revises: case_stage_and_worker
Create Date: 2026-12-04 15:56:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'removal_safety_factors'
down_revision: str | Sequence[str] | None = 'case_stage_and_worker'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('juncture_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_factors', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('juncture_records', schema=None) as batch_op:
        batch_op.alter_column('safety_factors', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('juncture_records', schema=None) as batch_op:
        batch_op.drop_column('safety_factors')
