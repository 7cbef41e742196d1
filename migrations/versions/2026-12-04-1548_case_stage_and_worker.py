"""case stage and assigned worker: where the work on a case stands, and who answers for it

Both are released to partners under `case_status`. Existing cases start at `intake` (closed ones at `closed`);
their assigned worker is their creator while the creator is still on the team.

Revision ID: case_stage_and_worker
Revises: referral_consent_fk
Create Date: 2026-12-04 15:48:52
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'case_stage_and_worker'
down_revision: str | Sequence[str] | None = 'referral_consent_fk'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=24), nullable=False, server_default='intake'))
        batch_op.add_column(sa.Column('assigned_worker_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_assigned_worker_id_users'), 'users', ['assigned_worker_id'], ['id'])
    op.execute("UPDATE cases SET stage = 'closed' WHERE status = 'closed'")
    op.execute(
        "UPDATE cases SET assigned_worker_id = created_by WHERE EXISTS (SELECT 1 FROM case_team_members m "
        "WHERE m.case_id = cases.id AND m.user_id = cases.created_by)"
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('stage', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_assigned_worker_id_users'), type_='foreignkey')
        batch_op.drop_column('assigned_worker_id')
        batch_op.drop_column('stage')
