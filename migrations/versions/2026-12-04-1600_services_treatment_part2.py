"""services, treatment participation, a referral's coded outcome and the 42 CFR 2.31 elements of a consent

- `services`: the services a person was referred to or received (provider name sealed), with `case_id` kept on
  the row and indexed with `started_at` (the first service started for a family, per case and per agency).
- `treatments`: substance use and mental health treatment participation (codes and dates, no free text).
- `referrals.outcome_code`: the coded outcome recorded on close (optional, beside the free-text outcome).
- `consents.part2_*`: the program permitted to disclose and how much and what kind (sealed), and that she was
  told she may revoke, held by a consent naming substance_use.

Revision ID: services_treatment_part2
Revises: removal_safety_factors
Create Date: 2026-12-04 15:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'services_treatment_part2'
down_revision: str | Sequence[str] | None = 'removal_safety_factors'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('treatments',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('program_kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_treatments_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_treatments_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_treatments_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatments'))
    )
    with op.batch_alter_table('treatments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_treatments_person_created', ['person_id', 'created_at', 'id'], unique=False)

    op.create_table('services',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('provider_agency_id', sa.Uuid(), nullable=True),
    sa.Column('provider_name_enc', sa.Text(), nullable=True),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('barriers', sa.JSON(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_services_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_services_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_services_person_id_people')),
    sa.ForeignKeyConstraint(['provider_agency_id'], ['agencies.id'], name=op.f('fk_services_provider_agency_id_agencies')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_services_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index('ix_services_agency_started', ['agency_id', 'started_at'], unique=False)
        batch_op.create_index('ix_services_case_started', ['case_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_services_person_created', ['person_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part2_disclosing_program_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('part2_amount_and_kind_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('part2_revocation_explained', sa.Boolean(), nullable=True))

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_code', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('outcome_code')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('part2_revocation_explained')
        batch_op.drop_column('part2_amount_and_kind_enc')
        batch_op.drop_column('part2_disclosing_program_enc')

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_referral_id'))
        batch_op.drop_index('ix_services_person_created')
        batch_op.drop_index(batch_op.f('ix_services_created_at'))
        batch_op.drop_index('ix_services_case_started')
        batch_op.drop_index('ix_services_agency_started')

    op.drop_table('services')
    with op.batch_alter_table('treatments', schema=None) as batch_op:
        batch_op.drop_index('ix_treatments_person_created')
        batch_op.drop_index(batch_op.f('ix_treatments_created_at'))
        batch_op.drop_index(batch_op.f('ix_treatments_case_id'))

    op.drop_table('treatments')
