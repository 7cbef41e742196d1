"""tasks and consent drafts: the task inbox of people, and consent renewals waiting for a signature

`tasks`: work for one user, a role group of an agency or a case team, about an object named by id only; its
`source_key` is unique, so what the worker detects twice opens one task. `consent_drafts`: a consent's scope
copied for her to sign again; the disclosure rule never reads it.

Revision ID: tasks_and_consent_drafts
Revises: consent_elements
Create Date: 2026-12-04 17:09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'tasks_and_consent_drafts'
down_revision: str | Sequence[str] | None = 'consent_elements'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tasks',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_user_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_role', sa.String(length=32), nullable=True),
    sa.Column('assignee_case_id', sa.Uuid(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=300), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_tasks_agency_id_agencies')),
    sa.ForeignKeyConstraint(['assignee_case_id'], ['cases.id'], name=op.f('fk_tasks_assignee_case_id_cases')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_tasks_assignee_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('source_key', name=op.f('uq_tasks_source_key'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_agency_status', ['agency_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_assignee_case_id'), ['assignee_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_tasks_subject', ['subject_id', 'kind'], unique=False)

    op.create_table('consent_drafts',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('renews_consent_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_agency_id', sa.Uuid(), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('signed_consent_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_consent_drafts_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consent_drafts_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consent_drafts_person_id_people')),
    sa.ForeignKeyConstraint(['recipient_agency_id'], ['agencies.id'], name=op.f('fk_consent_drafts_recipient_agency_id_agencies')),
    sa.ForeignKeyConstraint(['renews_consent_id'], ['consents.id'], name=op.f('fk_consent_drafts_renews_consent_id_consents')),
    sa.ForeignKeyConstraint(['signed_consent_id'], ['consents.id'], name=op.f('fk_consent_drafts_signed_consent_id_consents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_drafts'))
    )
    with op.batch_alter_table('consent_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_drafts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_drafts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_drafts_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_drafts_renews_consent_id'), ['renews_consent_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('consent_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_drafts_renews_consent_id'))
        batch_op.drop_index(batch_op.f('ix_consent_drafts_person_id'))
        batch_op.drop_index(batch_op.f('ix_consent_drafts_created_at'))
        batch_op.drop_index(batch_op.f('ix_consent_drafts_case_id'))

    op.drop_table('consent_drafts')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_subject')
        batch_op.drop_index(batch_op.f('ix_tasks_created_at'))
        batch_op.drop_index(batch_op.f('ix_tasks_assignee_user_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_assignee_case_id'))
        batch_op.drop_index('ix_tasks_agency_status')

    op.drop_table('tasks')
