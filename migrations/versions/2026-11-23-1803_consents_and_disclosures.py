"""consents and disclosures: consents, the accounting of disclosures, legal mandates, notification tasks

Revision ID: consents_and_disclosures
Revises: agreements
Create Date: 2026-11-23 18:03:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'consents_and_disclosures'
down_revision: str | Sequence[str] | None = 'agreements'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_agency_id', sa.Uuid(), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signature_method', sa.String(length=16), nullable=False),
    sa.Column('risks_explained', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=40), nullable=False),
    sa.Column('grantor_person_id', sa.Uuid(), nullable=False),
    sa.Column('grantor_relationship', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=300), nullable=True),
    sa.Column('revocation_method', sa.String(length=16), nullable=True),
    sa.Column('revocation_reason_enc', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_consents_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consents_case_id_cases')),
    sa.ForeignKeyConstraint(['grantor_person_id'], ['people.id'], name=op.f('fk_consents_grantor_person_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consents_person_id_people')),
    sa.ForeignKeyConstraint(['recipient_agency_id'], ['agencies.id'], name=op.f('fk_consents_recipient_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_consents_person_recipient', ['person_id', 'recipient_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_recipient_agency_id'), ['recipient_agency_id'], unique=False)

    op.create_table('disclosures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('requester_agency_id', sa.Uuid(), nullable=True),
    sa.Column('requester_type', sa.String(length=16), nullable=False),
    sa.Column('requester_id', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('categories_requested', sa.JSON(), nullable=False),
    sa.Column('categories_released', sa.JSON(), nullable=False),
    sa.Column('withheld', sa.JSON(), nullable=False),
    sa.Column('released_basis', sa.JSON(), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('consent_ids', sa.JSON(), nullable=False),
    sa.Column('mandate_ids', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('redisclosure_notice', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_disclosures_agency_id_agencies')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_disclosures_person_id_people')),
    sa.ForeignKeyConstraint(['requester_agency_id'], ['agencies.id'], name=op.f('fk_disclosures_requester_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_disclosures_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_requester_agency_id'), ['requester_agency_id'], unique=False)

    op.create_table('legal_mandates',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_agency_id', sa.Uuid(), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('court_order_citation', sa.String(length=300), nullable=True),
    sa.Column('court_order_sha256', sa.String(length=64), nullable=True),
    sa.Column('recorded_by', sa.String(length=300), nullable=True),
    sa.Column('activated_by', sa.String(length=300), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_legal_mandates_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_legal_mandates_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_legal_mandates_person_id_people')),
    sa.ForeignKeyConstraint(['recipient_agency_id'], ['agencies.id'], name=op.f('fk_legal_mandates_recipient_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_mandates'))
    )
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_mandates_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_mandates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_mandates_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_legal_mandates_person_recipient', ['person_id', 'recipient_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_mandates_status'), ['status'], unique=False)

    op.create_table('notification_tasks',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('disclosure_id', sa.Uuid(), nullable=False),
    sa.Column('requester_agency_id', sa.Uuid(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('mandate_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('completed_by', sa.String(length=300), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_notification_tasks_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notification_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosures.id'], name=op.f('fk_notification_tasks_disclosure_id_disclosures')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notification_tasks_person_id_people')),
    sa.ForeignKeyConstraint(['requester_agency_id'], ['agencies.id'], name=op.f('fk_notification_tasks_requester_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_tasks'))
    )
    with op.batch_alter_table('notification_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_notification_tasks_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_tasks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_tasks_disclosure_id'), ['disclosure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_tasks_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_tasks_person_id'))
        batch_op.drop_index(batch_op.f('ix_notification_tasks_disclosure_id'))
        batch_op.drop_index(batch_op.f('ix_notification_tasks_created_at'))
        batch_op.drop_index(batch_op.f('ix_notification_tasks_case_id'))
        batch_op.drop_index('ix_notification_tasks_agency_status')

    op.drop_table('notification_tasks')
    with op.batch_alter_table('legal_mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_mandates_status'))
        batch_op.drop_index('ix_legal_mandates_person_recipient')
        batch_op.drop_index(batch_op.f('ix_legal_mandates_person_id'))
        batch_op.drop_index(batch_op.f('ix_legal_mandates_created_at'))
        batch_op.drop_index(batch_op.f('ix_legal_mandates_case_id'))

    op.drop_table('legal_mandates')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_requester_agency_id'))
        batch_op.drop_index('ix_disclosures_person_created')
        batch_op.drop_index(batch_op.f('ix_disclosures_created_at'))
        batch_op.drop_index(batch_op.f('ix_disclosures_agency_id'))

    op.drop_table('disclosures')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_recipient_agency_id'))
        batch_op.drop_index('ix_consents_person_recipient')
        batch_op.drop_index(batch_op.f('ix_consents_person_id'))
        batch_op.drop_index(batch_op.f('ix_consents_created_at'))
        batch_op.drop_index(batch_op.f('ix_consents_case_id'))

    op.drop_table('consents')
