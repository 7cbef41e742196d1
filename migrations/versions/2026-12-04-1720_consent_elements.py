"""consent elements and documents: the elements released in the accounting; a consent's signed form, wording
version, risks explained and witness; the agencies' consent wordings

`disclosures.released_elements` ({category: [element, ...]}) holds, for each category released under a
consent that names some of its elements, the elements released (null on rows written before this revision,
and for a category released whole). A consent gains `document_sha256`, `wording_version`, `risks` (codes) and
`witness_enc` (sealed), all null on consents recorded before. `consent_wordings` is new: each agency's versions of
its consent wording, one row per version and language.

Revision ID: consent_elements
Revises: incoming_box_index_sent_only
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'consent_elements'
down_revision: str | Sequence[str] | None = 'incoming_box_index_sent_only'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_elements', sa.JSON(), nullable=True))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('wording_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('risks', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('witness_enc', sa.Text(), nullable=True))
    op.create_table('consent_wordings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_consent_wordings_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_wordings')),
    sa.UniqueConstraint('agency_id', 'version', 'language', name='uq_consent_wordings_version')
    )
    with op.batch_alter_table('consent_wordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_wordings_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_wordings_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consent_wordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_wordings_created_at'))
        batch_op.drop_index(batch_op.f('ix_consent_wordings_agency_id'))
    op.drop_table('consent_wordings')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('witness_enc')
        batch_op.drop_column('risks')
        batch_op.drop_column('wording_version')
        batch_op.drop_column('document_sha256')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_column('released_elements')
