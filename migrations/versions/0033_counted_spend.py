"""counted_spend (issue 16): the claim versions that count as spend now, one row each with its
campaign, placement, service period and amount, so reports read spend from one index

Revision ID: 0033_counted_spend
Revises: 0032_import_staging
Create Date: 2026-12-06 19:30:00

Derived from the append-only claims (a version counts while its ledger entry is not reversed
and no party disputed it) and filled here from that condition; from now on
comarketing/budgets/counted.py keeps it in step in each write's transaction.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033_counted_spend'
down_revision = '0032_import_staging'
branch_labels = None
depends_on = None

FILL = """
INSERT INTO counted_spend
    (claim_version_id, campaign_id, placement_id, service_from, service_to, amount_minor)
SELECT v.id, c.campaign_id, c.placement_id, v.service_from, v.service_to, v.amount_minor
FROM claim_versions AS v JOIN claims AS c ON c.id = v.claim_id
WHERE NOT EXISTS (SELECT 1 FROM ledger_entries AS r WHERE r.reverses_id = v.ledger_entry_id)
  AND NOT EXISTS (
    SELECT 1 FROM claim_responses AS a WHERE a.claim_version_id = v.id AND a.kind = 'disputed'
  )
"""


def upgrade():
    op.create_table(
        'counted_spend',
        sa.Column('claim_version_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('service_from', sa.Date(), nullable=False),
        sa.Column('service_to', sa.Date(), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaigns.id'],
            name=op.f('fk_counted_spend_campaign_id_campaigns'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['claim_version_id'], ['claim_versions.id'],
            name=op.f('fk_counted_spend_claim_version_id_claim_versions'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['placement_id'], ['placements.id'],
            name=op.f('fk_counted_spend_placement_id_placements'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('claim_version_id', name=op.f('pk_counted_spend')),
    )
    with op.batch_alter_table('counted_spend', schema=None) as batch_op:
        batch_op.create_index(
            'ix_counted_spend_campaign_period',
            ['campaign_id', 'service_from', 'service_to', 'placement_id', 'amount_minor',
             'claim_version_id'],
            unique=False,
        )
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table('counted_spend', schema=None) as batch_op:
        batch_op.drop_index('ix_counted_spend_campaign_period')
    op.drop_table('counted_spend')
