"""cases and people: CPS cases, their teams, the people in them (contact and address sealed at rest)

Revision ID: cases_and_people
Revises: identity_and_access
Create Date: 2026-11-23 18:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'cases_and_people'
down_revision: str | Sequence[str] | None = 'identity_and_access'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('dv_indicators', sa.JSON(), nullable=False),
    sa.Column('office_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_cases_agency_id_agencies')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_cases_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_agency_created', ['agency_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cases_agency_reference', ['agency_id', 'reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_office_id'), ['office_id'], unique=False)

    op.create_table('case_team_members',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('added_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_team_members_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_team_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_team_members')),
    sa.UniqueConstraint('case_id', 'user_id', name=op.f('uq_case_team_members_case_id_user_id'))
    )
    with op.batch_alter_table('case_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_team_members_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_team_members_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('people',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_role', sa.String(length=32), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('race_ethnicity', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=40), nullable=True),
    sa.Column('contact_enc', sa.Text(), nullable=True),
    sa.Column('address_enc', sa.Text(), nullable=True),
    sa.Column('safe_contact_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_people_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_people_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_created_at'))
        batch_op.drop_index(batch_op.f('ix_people_case_id'))
        batch_op.drop_index(batch_op.f('ix_people_agency_id'))

    op.drop_table('people')
    with op.batch_alter_table('case_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_case_team_members_created_at'))
        batch_op.drop_index(batch_op.f('ix_case_team_members_case_id'))

    op.drop_table('case_team_members')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_office_id'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index('ix_cases_agency_reference')
        batch_op.drop_index('ix_cases_agency_created')

    op.drop_table('cases')
