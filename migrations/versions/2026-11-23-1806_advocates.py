"""advocates: co-located advocates' assignments to CPS field offices, case consultations

Revision ID: advocates
Revises: checklists
Create Date: 2026-11-23 18:06:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'advocates'
down_revision: str | Sequence[str] | None = 'checklists'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('advocate_assignments',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('advocate_id', sa.Uuid(), nullable=False),
    sa.Column('dv_agency_id', sa.Uuid(), nullable=False),
    sa.Column('office_id', sa.Uuid(), nullable=False),
    sa.Column('cps_agency_id', sa.Uuid(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('max_open_consultations', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['advocate_id'], ['users.id'], name=op.f('fk_advocate_assignments_advocate_id_users')),
    sa.ForeignKeyConstraint(['cps_agency_id'], ['agencies.id'], name=op.f('fk_advocate_assignments_cps_agency_id_agencies')),
    sa.ForeignKeyConstraint(['dv_agency_id'], ['agencies.id'], name=op.f('fk_advocate_assignments_dv_agency_id_agencies')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_advocate_assignments_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advocate_assignments'))
    )
    with op.batch_alter_table('advocate_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_advocate_assignments_advocate_status', ['advocate_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocate_assignments_cps_agency_id'), ['cps_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocate_assignments_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocate_assignments_dv_agency_id'), ['dv_agency_id'], unique=False)
        batch_op.create_index('ix_advocate_assignments_office_status', ['office_id', 'status'], unique=False)

    op.create_table('consultations',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('office_id', sa.Uuid(), nullable=False),
    sa.Column('cps_agency_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('question_enc', sa.Text(), nullable=False),
    sa.Column('advice_enc', sa.Text(), nullable=True),
    sa.Column('suggested_checklist_items', sa.JSON(), nullable=False),
    sa.Column('advocate_id', sa.Uuid(), nullable=True),
    sa.Column('dv_agency_id', sa.Uuid(), nullable=True),
    sa.Column('assignment_id', sa.Uuid(), nullable=True),
    sa.Column('routed_by', sa.Uuid(), nullable=True),
    sa.Column('closed_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['advocate_id'], ['users.id'], name=op.f('fk_consultations_advocate_id_users')),
    sa.ForeignKeyConstraint(['assignment_id'], ['advocate_assignments.id'], name=op.f('fk_consultations_assignment_id_advocate_assignments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consultations_case_id_cases')),
    sa.ForeignKeyConstraint(['cps_agency_id'], ['agencies.id'], name=op.f('fk_consultations_cps_agency_id_agencies')),
    sa.ForeignKeyConstraint(['dv_agency_id'], ['agencies.id'], name=op.f('fk_consultations_dv_agency_id_agencies')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_consultations_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_advocate_status', ['advocate_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_cps_agency_id'), ['cps_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_dv_agency_id'), ['dv_agency_id'], unique=False)
        batch_op.create_index('ix_consultations_office_status', ['office_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_requested_by'), ['requested_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_requested_by'))
        batch_op.drop_index('ix_consultations_office_status')
        batch_op.drop_index(batch_op.f('ix_consultations_dv_agency_id'))
        batch_op.drop_index(batch_op.f('ix_consultations_created_at'))
        batch_op.drop_index(batch_op.f('ix_consultations_cps_agency_id'))
        batch_op.drop_index(batch_op.f('ix_consultations_case_id'))
        batch_op.drop_index('ix_consultations_advocate_status')

    op.drop_table('consultations')
    with op.batch_alter_table('advocate_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_advocate_assignments_office_status')
        batch_op.drop_index(batch_op.f('ix_advocate_assignments_dv_agency_id'))
        batch_op.drop_index(batch_op.f('ix_advocate_assignments_created_at'))
        batch_op.drop_index(batch_op.f('ix_advocate_assignments_cps_agency_id'))
        batch_op.drop_index('ix_advocate_assignments_advocate_status')

    op.drop_table('advocate_assignments')
