"""webhook event subject: each event names its subject and its place among that subject's events

`subject` ("referral:<id>") and `subject_seq` (1, 2, ... per agency and subject) let the delivery worker send
one subject's events to an endpoint in the order they were emitted: `referral.sent` never before
`referral.created`. Events queued before this revision have neither and keep no order among themselves.

Revision ID: webhook_event_subject
Revises: safety_children_contact_notes
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'webhook_event_subject'
down_revision: str | Sequence[str] | None = 'safety_children_contact_notes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('subject_seq', sa.Integer(), nullable=True))
        batch_op.create_index('ix_webhook_events_subject', ['agency_id', 'subject', 'subject_seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_subject')
        batch_op.drop_column('subject_seq')
        batch_op.drop_column('subject')
