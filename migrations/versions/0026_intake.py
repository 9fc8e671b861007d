"""results by mail (issue 19): a campaign's intake address per company, the senders it accepts,
and imports whose file came by mail

Revision ID: 0026_intake
Revises: 0025_queue
Create Date: 2026-12-06 16:20:00

Adds intake_addresses (one per campaign and company: token, allowed senders, the person whose
rights mailed files are imported with), metric_imports.sender, and 'mail' to the import sources.

What it assumes: nothing existing came by mail, so no address exists and every import's sender
is empty (NULL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_intake'
down_revision = '0025_queue'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'intake_addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=40), nullable=False),
        sa.Column('senders', sa.JSON(), nullable=False),
        sa.Column('managed_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_intake_addresses_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_intake_addresses_organization_id_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['managed_by_id'], ['users.id'], name=op.f('fk_intake_addresses_managed_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_addresses')),
        sa.UniqueConstraint('campaign_id', 'organization_id', name=op.f('uq_intake_addresses_campaign_id_organization_id')),
        sa.UniqueConstraint('token', name=op.f('uq_intake_addresses_token')),
    )
    with op.batch_alter_table('metric_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=254), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_metric_imports_source_known'), type_='check')
        batch_op.create_check_constraint('source_known', "source IN ('form', 'file', 'api', 'mail')")


def downgrade():
    # A file that came by mail stays in the history as a file upload.
    op.execute("UPDATE metric_imports SET source = 'file' WHERE source = 'mail'")
    with op.batch_alter_table('metric_imports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_metric_imports_source_known'), type_='check')
        batch_op.create_check_constraint('source_known', "source IN ('form', 'file', 'api')")
        batch_op.drop_column('sender')
    op.drop_table('intake_addresses')
