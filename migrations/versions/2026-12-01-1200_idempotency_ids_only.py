"""idempotency records keep ids only: drop response_body, add resource_id, scrub existing rows

Existing rows hold whole response bodies (a client's secret, checklist notes, override reasons, names) and an
unkeyed SHA-256 of each request body (a dictionary oracle for short bodies). Neither may stay, and without the
body a row's request can no longer be verified, so every row is deleted: at worst a create retried across the
upgrade with the same key is made again. Downgrade restores the column's shape, not the data (the table is
emptied again: the older code cannot replay a row without a body).

Revision ID: idempotency_ids_only
Revises: referral_list_indexes
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'idempotency_ids_only'
down_revision: str | Sequence[str] | None = 'referral_list_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM idempotency_records"))
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('response_body')
        batch_op.add_column(sa.Column('resource_id', sa.Uuid(), nullable=False))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM idempotency_records"))
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('resource_id')
        batch_op.add_column(sa.Column('response_body', sa.Text(), nullable=False))
