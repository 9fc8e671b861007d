"""data versions (issue 21): a counter per company raised in the same transaction as every
write to its campaigns, results, ledger or audiences; cached report figures are keyed by it

Revision ID: 0031_data_version
Revises: 0027_webhooks
Create Date: 2026-12-06 16:30:00

Adds the table data_versions (organization_id primary key, version). No rows: a company without
one reads version 0 until its first write, and nothing is cached before this migration.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031_data_version'
down_revision = '0027_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_versions',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['organization_id'], ['organizations.id'],
            name=op.f('fk_data_versions_organization_id_organizations'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_data_versions')),
    )


def downgrade():
    op.drop_table('data_versions')
