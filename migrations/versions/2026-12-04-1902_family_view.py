"""the family's own view: a person's access, her invitations, goals, care plan, requests and feedback

`person_accounts` holds a survivor's or non-abusive parent's access to her own view, bound to her one record
(username, Argon2 passphrase hash, lock state, token version); `person_invitations` the one-time codes a worker
hands her (their SHA-256 only); `family_partner_links` the parent partners she invited. `family_goals` (+ `family_goal_events`, the history), `family_care_plans` and
`family_requests` hold what she writes, sealed; `family_feedback` her scores, apart from her record. `agencies.kind` widens for `community`.

Revision ID: family_view
Revises: audit_chain_per_agency
Create Date: 2026-12-04 19:12:36.921999
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'family_view'
down_revision: str | Sequence[str] | None = 'audit_chain_per_agency'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:  # room for kind "community"
        batch_op.alter_column('kind', existing_type=sa.String(length=8), type_=sa.String(length=16),
                              existing_nullable=False)
    op.create_table('family_feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('holder_agency_id', sa.Uuid(), nullable=False),
    sa.Column('respect', sa.Integer(), nullable=False),
    sa.Column('listened', sa.Integer(), nullable=False),
    sa.Column('safety', sa.Integer(), nullable=False),
    sa.Column('race_ethnicity', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_family_feedback_agency_id_agencies')),
    sa.ForeignKeyConstraint(['holder_agency_id'], ['agencies.id'], name=op.f('fk_family_feedback_holder_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_feedback'))
    )
    with op.batch_alter_table('family_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_feedback_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_feedback_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_feedback_holder_agency_id'), ['holder_agency_id'], unique=False)

    op.create_table('family_care_plans',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('plan_enc', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_family_care_plans_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_family_care_plans_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_family_care_plans_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_care_plans')),
    sa.UniqueConstraint('person_id', name=op.f('uq_family_care_plans_person_id'))
    )
    with op.batch_alter_table('family_care_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_care_plans_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_care_plans_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_care_plans_created_at'), ['created_at'], unique=False)

    op.create_table('family_goals',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_family_goals_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_family_goals_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_family_goals_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_goals'))
    )
    with op.batch_alter_table('family_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_goals_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_goals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_goals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_goals_person_id'), ['person_id'], unique=False)

    op.create_table('family_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=True),
    sa.Column('language', sa.String(length=40), nullable=True),
    sa.Column('note_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_family_requests_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_family_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_family_requests_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_requests'))
    )
    with op.batch_alter_table('family_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_requests_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_requests_person_id'), ['person_id'], unique=False)

    op.create_table('person_accounts',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('passphrase_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locked_by', sa.String(length=8), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_person_accounts_agency_id_agencies')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_accounts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_accounts')),
    sa.UniqueConstraint('person_id', name=op.f('uq_person_accounts_person_id')),
    sa.UniqueConstraint('username', name=op.f('uq_person_accounts_username'))
    )
    with op.batch_alter_table('person_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_accounts_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_accounts_created_at'), ['created_at'], unique=False)

    op.create_table('person_invitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_person_invitations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_invitations_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_invitations')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_person_invitations_code_hash'))
    )
    with op.batch_alter_table('person_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_invitations_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_invitations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_invitations_person_id'), ['person_id'], unique=False)

    op.create_table('family_goal_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('goal_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['family_goals.id'], name=op.f('fk_family_goal_events_goal_id_family_goals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_goal_events'))
    )
    with op.batch_alter_table('family_goal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_goal_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_goal_events_goal_id'), ['goal_id'], unique=False)

    op.create_table('family_partner_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('parent_partner_id', sa.Uuid(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_family_partner_links_agency_id_agencies')),
    sa.ForeignKeyConstraint(['parent_partner_id'], ['users.id'], name=op.f('fk_family_partner_links_parent_partner_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_family_partner_links_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_partner_links'))
    )
    with op.batch_alter_table('family_partner_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_partner_links_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_partner_links_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_partner_links_parent_partner_id'), ['parent_partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_partner_links_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('family_partner_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_partner_links_person_id'))
        batch_op.drop_index(batch_op.f('ix_family_partner_links_parent_partner_id'))
        batch_op.drop_index(batch_op.f('ix_family_partner_links_created_at'))
        batch_op.drop_index(batch_op.f('ix_family_partner_links_agency_id'))

    op.drop_table('family_partner_links')
    with op.batch_alter_table('family_goal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_goal_events_goal_id'))
        batch_op.drop_index(batch_op.f('ix_family_goal_events_created_at'))

    op.drop_table('family_goal_events')
    with op.batch_alter_table('person_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_invitations_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_invitations_created_at'))
        batch_op.drop_index(batch_op.f('ix_person_invitations_agency_id'))

    op.drop_table('person_invitations')
    with op.batch_alter_table('person_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_accounts_created_at'))
        batch_op.drop_index(batch_op.f('ix_person_accounts_agency_id'))

    op.drop_table('person_accounts')
    with op.batch_alter_table('family_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_requests_person_id'))
        batch_op.drop_index(batch_op.f('ix_family_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_family_requests_case_id'))
        batch_op.drop_index(batch_op.f('ix_family_requests_agency_id'))

    op.drop_table('family_requests')
    with op.batch_alter_table('family_goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_goals_person_id'))
        batch_op.drop_index(batch_op.f('ix_family_goals_created_at'))
        batch_op.drop_index(batch_op.f('ix_family_goals_case_id'))
        batch_op.drop_index(batch_op.f('ix_family_goals_agency_id'))

    op.drop_table('family_goals')
    with op.batch_alter_table('family_care_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_care_plans_created_at'))
        batch_op.drop_index(batch_op.f('ix_family_care_plans_case_id'))
        batch_op.drop_index(batch_op.f('ix_family_care_plans_agency_id'))

    op.drop_table('family_care_plans')
    with op.batch_alter_table('family_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_feedback_holder_agency_id'))
        batch_op.drop_index(batch_op.f('ix_family_feedback_created_at'))
        batch_op.drop_index(batch_op.f('ix_family_feedback_agency_id'))

    op.drop_table('family_feedback')

    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=16), type_=sa.String(length=8),
                              existing_nullable=False)
