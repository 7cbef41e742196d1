"""each agency's data under its own keys

`agency_keys` names where an agency's key-encryption key lives (provider and key id, never key material);
`data_keys` holds each agency's data keys wrapped by that key-encryption key (the unwrapped keys exist only in
memory); `key_changes` are provider changes asked by a platform admin, waiting for the agency's own admin.
Agencies that exist already get their keys when the service first starts; `tandem migrate-data-keys` seals
their values under them.

Revision ID: agency_data_keys
Revises: person_case_links
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'agency_data_keys'
down_revision: str | Sequence[str] | None = 'person_case_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agency_keys',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('kek_id', sa.String(length=200), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_keys_agency_id_agencies')),
    sa.PrimaryKeyConstraint('agency_id', name=op.f('pk_agency_keys'))
    )
    op.create_table('data_keys',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('kek_id', sa.String(length=200), nullable=False),
    sa.Column('wrapped', sa.String(length=400), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_data_keys_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_keys'))
    )
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_keys_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_keys_created_at'), ['created_at'], unique=False)

    op.create_table('key_changes',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('kek_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=320), nullable=False),
    sa.Column('decided_by', sa.String(length=320), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_key_changes_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_changes'))
    )
    with op.batch_alter_table('key_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_changes_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_changes_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('key_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_changes_created_at'))
        batch_op.drop_index(batch_op.f('ix_key_changes_agency_id'))

    op.drop_table('key_changes')
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_keys_created_at'))
        batch_op.drop_index(batch_op.f('ix_data_keys_agency_id'))

    op.drop_table('data_keys')
    op.drop_table('agency_keys')
