"""casework records: protective orders, court events (with their coded findings) and assessments

Each belongs to the agency that holds the case; identifying details and free text (court, docket and case
numbers, courtroom, terms, names of attorneys and assessors, details of findings, the basis of a determination)
are sealed at rest in the *_enc columns.

Revision ID: orders_court_assessments
Revises: services_treatment_part2
Create Date: 2026-12-04 15:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'orders_court_assessments'
down_revision: str | Sequence[str] | None = 'services_treatment_part2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('court_events',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('court_kind', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('court_case_number_enc', sa.Text(), nullable=True),
    sa.Column('courtroom_enc', sa.Text(), nullable=True),
    sa.Column('outcome_details_enc', sa.Text(), nullable=True),
    sa.Column('attorneys_enc', sa.Text(), nullable=True),
    sa.Column('guardian_ad_litem_enc', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_court_events_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_court_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_events'))
    )
    with op.batch_alter_table('court_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_events_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_court_events_case_created', ['case_id', 'created_at'], unique=False)
        batch_op.create_index('ix_court_events_case_scheduled', ['case_id', 'scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_court_events_created_at'), ['created_at'], unique=False)

    op.create_table('assessments',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('administered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result_level', sa.String(length=32), nullable=False),
    sa.Column('determined_person_id', sa.Uuid(), nullable=True),
    sa.Column('basis_enc', sa.Text(), nullable=True),
    sa.Column('assessor_name_enc', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_assessments_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessments_case_id_cases')),
    sa.ForeignKeyConstraint(['determined_person_id'], ['people.id'], name=op.f('fk_assessments_determined_person_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_assessments_person_id_people')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_assessments_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_agency_instrument', ['agency_id', 'instrument'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_assessments_person_created', ['person_id', 'created_at'], unique=False)

    op.create_table('court_findings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('court_event_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('against_person_id', sa.Uuid(), nullable=True),
    sa.Column('details_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['against_person_id'], ['people.id'], name=op.f('fk_court_findings_against_person_id_people')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_court_findings_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_court_findings_case_id_cases')),
    sa.ForeignKeyConstraint(['court_event_id'], ['court_events.id'], name=op.f('fk_court_findings_court_event_id_court_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_findings'))
    )
    with op.batch_alter_table('court_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_findings_against_person_id'), ['against_person_id'], unique=False)
        batch_op.create_index('ix_court_findings_agency_code', ['agency_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_court_findings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_court_findings_court_event_id'), ['court_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_court_findings_created_at'), ['created_at'], unique=False)

    op.create_table('protective_orders',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('jurisdiction', sa.String(length=16), nullable=False),
    sa.Column('court_enc', sa.Text(), nullable=True),
    sa.Column('docket_number_enc', sa.Text(), nullable=True),
    sa.Column('protected_person_ids', sa.JSON(), nullable=False),
    sa.Column('restrained_person_id', sa.Uuid(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('vacated_on', sa.Date(), nullable=True),
    sa.Column('term_codes', sa.JSON(), nullable=False),
    sa.Column('terms_enc', sa.Text(), nullable=True),
    sa.Column('service_status', sa.String(length=16), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_protective_orders_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_protective_orders_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_protective_orders_person_id_people')),
    sa.ForeignKeyConstraint(['restrained_person_id'], ['people.id'], name=op.f('fk_protective_orders_restrained_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_orders'))
    )
    with op.batch_alter_table('protective_orders', schema=None) as batch_op:
        batch_op.create_index('ix_protective_orders_agency_issued', ['agency_id', 'issued_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_protective_orders_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_protective_orders_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_protective_orders_person_created', ['person_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('protective_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_protective_orders_person_created')
        batch_op.drop_index(batch_op.f('ix_protective_orders_created_at'))
        batch_op.drop_index(batch_op.f('ix_protective_orders_case_id'))
        batch_op.drop_index('ix_protective_orders_agency_issued')

    op.drop_table('protective_orders')
    with op.batch_alter_table('court_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_court_findings_created_at'))
        batch_op.drop_index(batch_op.f('ix_court_findings_court_event_id'))
        batch_op.drop_index(batch_op.f('ix_court_findings_case_id'))
        batch_op.drop_index('ix_court_findings_agency_code')
        batch_op.drop_index(batch_op.f('ix_court_findings_against_person_id'))

    op.drop_table('court_findings')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_person_created')
        batch_op.drop_index(batch_op.f('ix_assessments_created_at'))
        batch_op.drop_index(batch_op.f('ix_assessments_case_id'))
        batch_op.drop_index('ix_assessments_agency_instrument')

    op.drop_table('assessments')
    with op.batch_alter_table('court_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_court_events_created_at'))
        batch_op.drop_index('ix_court_events_case_scheduled')
        batch_op.drop_index('ix_court_events_case_created')
        batch_op.drop_index(batch_op.f('ix_court_events_agency_id'))

    op.drop_table('court_events')
