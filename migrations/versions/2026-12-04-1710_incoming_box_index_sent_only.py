"""incoming box index, sent referrals only: drafts addressed to an agency no longer sit in its inbox index

The incoming list reads only referrals that were sent (`sent_at IS NOT NULL`); the index it walks now holds
exactly those, so drafts piling up for an agency cannot slow its inbox.

Revision ID: incoming_box_index_sent_only
Revises: webhook_event_subject
Create Date: 2026-12-04 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'incoming_box_index_sent_only'
down_revision: str | Sequence[str] | None = 'webhook_event_subject'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENT = sa.text("sent_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_referrals_to_agency_created', table_name='referrals')
    op.create_index('ix_referrals_to_agency_created', 'referrals', ['to_agency_id', 'created_at', 'id'],
                    postgresql_where=SENT, sqlite_where=SENT)


def downgrade() -> None:
    op.drop_index('ix_referrals_to_agency_created', table_name='referrals')
    op.create_index('ix_referrals_to_agency_created', 'referrals', ['to_agency_id', 'created_at', 'id'])
