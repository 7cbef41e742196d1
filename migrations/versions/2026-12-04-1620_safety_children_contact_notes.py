"""casework records: safety-plan summaries, child details, safe contact (preferences, attempts), case notes

Five new tables; nothing existing changes. The person's free-text safe-contact instructions are not copied:
they stay sealed on `people.safe_contact_enc` (bound to the person's row and field, with keys known only at
runtime, so a migration could not re-seal them anyway), and the contact preferences read and write that one
column as their `instructions`. Every existing instruction is therefore part of the person's preferences from
this revision on, with no data step to run or to get wrong.

Revision ID: safety_children_contact_notes
Revises: orders_court_assessments
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'safety_children_contact_notes'
down_revision: str | Sequence[str] | None = 'orders_court_assessments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_notes',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('author_ref', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_notes_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_case_notes_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_case_notes_case_created', ['case_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_notes_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_case_notes_person_category', ['person_id', 'category'], unique=False)

    op.create_table('child_details',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('living_arrangement', sa.String(length=32), nullable=True),
    sa.Column('living_with', sa.JSON(), nullable=False),
    sa.Column('school_enc', sa.Text(), nullable=True),
    sa.Column('visitation_kind', sa.String(length=32), nullable=True),
    sa.Column('visitation_supervisor', sa.String(length=40), nullable=True),
    sa.Column('visitation_schedule_enc', sa.Text(), nullable=True),
    sa.Column('need_codes', sa.JSON(), nullable=False),
    sa.Column('needs_text_enc', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_child_details_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_child_details_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_child_details_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_details')),
    sa.UniqueConstraint('person_id', name=op.f('uq_child_details_person_id'))
    )
    with op.batch_alter_table('child_details', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_child_details_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_details_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_details_created_at'), ['created_at'], unique=False)

    op.create_table('contact_attempts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=True),
    sa.Column('by_ref', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_contact_attempts_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_attempts_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_contact_attempts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attempts'))
    )
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attempts_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_attempts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_attempts_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_contact_attempts_person_attempted', ['person_id', 'attempted_at'], unique=False)

    op.create_table('contact_preferences',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('safe_times_enc', sa.Text(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('voicemail_ok', sa.Boolean(), nullable=True),
    sa.Column('code_word_enc', sa.Text(), nullable=True),
    sa.Column('others_may_answer_enc', sa.Text(), nullable=True),
    sa.Column('ask_if_safe_first', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_contact_preferences_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_preferences_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_contact_preferences_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_preferences')),
    sa.UniqueConstraint('person_id', name=op.f('uq_contact_preferences_person_id'))
    )
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_preferences_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_preferences_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_preferences_created_at'), ['created_at'], unique=False)

    op.create_table('safety_plan_summaries',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('plan_exists', sa.Boolean(), nullable=False),
    sa.Column('last_reviewed_on', sa.Date(), nullable=True),
    sa.Column('elements', sa.JSON(), nullable=False),
    sa.Column('element_texts_enc', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_safety_plan_summaries_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_safety_plan_summaries_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_safety_plan_summaries_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_plan_summaries')),
    sa.UniqueConstraint('person_id', name=op.f('uq_safety_plan_summaries_person_id'))
    )
    with op.batch_alter_table('safety_plan_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_plan_summaries_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_plan_summaries_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_plan_summaries_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('safety_plan_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_plan_summaries_created_at'))
        batch_op.drop_index(batch_op.f('ix_safety_plan_summaries_case_id'))
        batch_op.drop_index(batch_op.f('ix_safety_plan_summaries_agency_id'))

    op.drop_table('safety_plan_summaries')
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_preferences_created_at'))
        batch_op.drop_index(batch_op.f('ix_contact_preferences_case_id'))
        batch_op.drop_index(batch_op.f('ix_contact_preferences_agency_id'))

    op.drop_table('contact_preferences')
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_attempts_person_attempted')
        batch_op.drop_index(batch_op.f('ix_contact_attempts_created_at'))
        batch_op.drop_index(batch_op.f('ix_contact_attempts_case_id'))
        batch_op.drop_index(batch_op.f('ix_contact_attempts_agency_id'))

    op.drop_table('contact_attempts')
    with op.batch_alter_table('child_details', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_details_created_at'))
        batch_op.drop_index(batch_op.f('ix_child_details_case_id'))
        batch_op.drop_index(batch_op.f('ix_child_details_agency_id'))

    op.drop_table('child_details')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_person_category')
        batch_op.drop_index(batch_op.f('ix_case_notes_created_at'))
        batch_op.drop_index('ix_case_notes_case_created')
        batch_op.drop_index(batch_op.f('ix_case_notes_agency_id'))

    op.drop_table('case_notes')
