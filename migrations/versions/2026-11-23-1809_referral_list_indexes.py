"""referral list indexes: each agency's boxes in list order (agency, created_at, id), and partial indexes of
the referrals still awaiting an answer for the overdue lists

Found with bench/scale.py and EXPLAIN ANALYZE at 1M referrals: without them a deep cursor page of a box scanned
every newer row of the agency, and an overdue list with few overdue referrals scanned the whole box.

Revision ID: referral_list_indexes
Revises: idempotency_records
Create Date: 2026-11-23 18:09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'referral_list_indexes'
down_revision: str | Sequence[str] | None = 'idempotency_records'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWAITING = "status IN ('sent', 'acknowledged')"


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_from_agency_created', ['from_agency_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_to_agency_created', ['to_agency_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_from_agency_awaiting', ['from_agency_id', 'created_at', 'id'], unique=False,
                              postgresql_where=sa.text(AWAITING), sqlite_where=sa.text(AWAITING))
        batch_op.create_index('ix_referrals_to_agency_awaiting', ['to_agency_id', 'created_at', 'id'], unique=False,
                              postgresql_where=sa.text(AWAITING), sqlite_where=sa.text(AWAITING))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_agency_awaiting')
        batch_op.drop_index('ix_referrals_from_agency_awaiting')
        batch_op.drop_index('ix_referrals_to_agency_created')
        batch_op.drop_index('ix_referrals_from_agency_created')
