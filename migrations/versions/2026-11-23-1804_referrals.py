"""referrals: joint referrals, the people they name, their timeline (the lists' indexes: referral_list_indexes)

Revision ID: referrals
Revises: consents_and_disclosures
Create Date: 2026-11-23 18:04:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'referrals'
down_revision: str | Sequence[str] | None = 'consents_and_disclosures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_agency_id', sa.Uuid(), nullable=False),
    sa.Column('to_agency_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('decline_reason_code', sa.String(length=32), nullable=True),
    sa.Column('reason_enc', sa.Text(), nullable=True),
    sa.Column('family_goals_enc', sa.Text(), nullable=True),
    sa.Column('decline_reason_enc', sa.Text(), nullable=True),
    sa.Column('outcome_enc', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('assigned_to', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agencies.id'], name=op.f('fk_referrals_from_agency_id_agencies')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agencies.id'], name=op.f('fk_referrals_to_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_respond_by'), ['respond_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=300), nullable=True),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_events_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_people',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_referral_people_person_id_people')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_people_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_people')),
    sa.UniqueConstraint('referral_id', 'person_id', name=op.f('uq_referral_people_referral_id_person_id'))
    )
    with op.batch_alter_table('referral_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_people_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_people_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_people_referral_id'), ['referral_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referral_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_people_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_people_person_id'))
        batch_op.drop_index(batch_op.f('ix_referral_people_created_at'))

    op.drop_table('referral_people')
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_events_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_events_created_at'))

    op.drop_table('referral_events')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_referrals_respond_by'))
        batch_op.drop_index(batch_op.f('ix_referrals_created_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
