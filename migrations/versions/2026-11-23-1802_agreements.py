"""agreements: data-sharing agreements between agencies and each party's signature

Revision ID: agreements
Revises: cases_and_people
Create Date: 2026-11-23 18:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'agreements'
down_revision: str | Sequence[str] | None = 'cases_and_people'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_agency_id', sa.Uuid(), nullable=True),
    sa.Column('suspended_by_agency_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_agency_id'], ['agencies.id'], name=op.f('fk_agreements_created_by_agency_id_agencies')),
    sa.ForeignKeyConstraint(['suspended_by_agency_id'], ['agencies.id'], name=op.f('fk_agreements_suspended_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_status'), ['status'], unique=False)

    op.create_table('agreement_parties',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agreement_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('signed_by', sa.Uuid(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agreement_parties_agency_id_agencies')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_parties_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_parties')),
    sa.UniqueConstraint('agreement_id', 'agency_id', name=op.f('uq_agreement_parties_agreement_id_agency_id'))
    )
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_parties_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_parties_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_parties_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_parties_created_at'))
        batch_op.drop_index(batch_op.f('ix_agreement_parties_agreement_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_parties_agency_id'))

    op.drop_table('agreement_parties')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_status'))
        batch_op.drop_index(batch_op.f('ix_agreements_created_at'))

    op.drop_table('agreements')
