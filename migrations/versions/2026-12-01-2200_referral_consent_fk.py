"""referral consent foreign key: referrals.consent_id must name a consent that exists

The service already refuses a referral naming a consent that is not one of a named person's, to the receiving
agency; the database now holds the same line. Consents are never deleted (a withdrawn consent is revoked and
stays on record), so the key needs no ON DELETE action.

Revision ID: referral_consent_fk
Revises: audit_checkpoints
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'referral_consent_fk'
down_revision: str | Sequence[str] | None = 'audit_checkpoints'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_referrals_consent_id_consents'), 'consents', ['consent_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_consent_id_consents'), type_='foreignkey')
