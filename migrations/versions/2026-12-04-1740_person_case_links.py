"""person and case links between agencies, and the closing of a case

`person_links` and `case_links` tie a referring agency's person and case to the records the receiving agency
created when it accepted the referral (ids only, no data); a person link is ended by either side. `cases`
gains what closing it records: the coded reason, when, and a supervisor's sealed override reason.

Revision ID: person_case_links
Revises: tasks_and_consent_drafts
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'person_case_links'
down_revision: str | Sequence[str] | None = 'tasks_and_consent_drafts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('person_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('linked_person_id', sa.Uuid(), nullable=False),
    sa.Column('linked_agency_id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_person_links_agency_id_agencies')),
    sa.ForeignKeyConstraint(['linked_agency_id'], ['agencies.id'],
                            name=op.f('fk_person_links_linked_agency_id_agencies')),
    sa.ForeignKeyConstraint(['linked_person_id'], ['people.id'],
                            name=op.f('fk_person_links_linked_person_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_links_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_links'))
    )
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_links_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_person_links_linked_person', ['linked_person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_person_links_person', ['person_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_links_referral_id'), ['referral_id'], unique=False)

    op.create_table('case_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('linked_case_id', sa.Uuid(), nullable=False),
    sa.Column('linked_agency_id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_links_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases')),
    sa.ForeignKeyConstraint(['linked_agency_id'], ['agencies.id'],
                            name=op.f('fk_case_links_linked_agency_id_agencies')),
    sa.ForeignKeyConstraint(['linked_case_id'], ['cases.id'], name=op.f('fk_case_links_linked_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links'))
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_linked_case_id'), ['linked_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closure_override_enc', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('closure_override_enc')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('closure_reason')
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_links_referral_id'))
        batch_op.drop_index(batch_op.f('ix_case_links_linked_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_links_created_at'))
        batch_op.drop_index(batch_op.f('ix_case_links_case_id'))
    op.drop_table('case_links')
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_links_referral_id'))
        batch_op.drop_index('ix_person_links_person')
        batch_op.drop_index('ix_person_links_linked_person')
        batch_op.drop_index(batch_op.f('ix_person_links_created_at'))
    op.drop_table('person_links')
