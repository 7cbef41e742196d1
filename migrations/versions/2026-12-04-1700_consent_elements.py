"""consent elements: the accounting of disclosures records the elements released of each category

`disclosures.released_elements` ({category: [element, ...]}) holds, for each category released under a
consent that names some of its elements, the elements released (null on rows written before this revision,
and for a category released whole).

Revision ID: consent_elements
Revises: webhook_event_subject
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'consent_elements'
down_revision: str | Sequence[str] | None = 'webhook_event_subject'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_elements', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_column('released_elements')
