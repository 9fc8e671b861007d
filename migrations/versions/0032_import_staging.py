"""daily_metrics: drop ix_daily_metrics_campaign_id (issue 21, imports at the driver's speed)

The index on campaign_id alone is the leading column of ix_daily_metrics_campaign_day
(campaign_id, day), which serves every lookup by campaign (and the cascade from campaigns)
just as well; keeping both cost every stored day a third B-tree insert — about a sixth of a
large import's database time.

Revision ID: 0032_import_staging
Revises: 0031_data_version
Create Date: 2026-12-06 16:30:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032_import_staging'
down_revision = '0031_data_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_metrics_campaign_id')


def downgrade():
    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.create_index('ix_daily_metrics_campaign_id', ['campaign_id'], unique=False)
