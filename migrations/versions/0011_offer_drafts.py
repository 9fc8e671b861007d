"""offer drafts (issue 8): collateral assets drafted on an offer, adopted by its campaign

Revision ID: 0011_offer_drafts
Revises: 0009_audiences
Create Date: 2026-11-23 16:15:25.148559

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_offer_drafts'
down_revision = '0009_audiences'
branch_labels = None
depends_on = None


def upgrade():
    # An asset lives on a campaign, or (a draft) on an offer until the offer's campaign adopts
    # it; the offer stays recorded as its provenance.
    with op.batch_alter_table('collateral_assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.alter_column('campaign_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_collateral_assets_offer_id'), ['offer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_collateral_assets_offer_id_offers'), 'offers', ['offer_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(batch_op.f('ck_collateral_assets_campaign_or_offer'), 'campaign_id IS NOT NULL OR offer_id IS NOT NULL')

    # Downloads of a draft are counted before it has a campaign.
    with op.batch_alter_table('collateral_usage', schema=None) as batch_op:
        batch_op.alter_column('campaign_id',
               existing_type=sa.INTEGER(),
               nullable=True)


def downgrade():
    # Drafts that no campaign adopted cannot exist without an offer column: they go, with
    # everything hanging off them (spelt out: SQLite does not enforce the cascades here).
    drafts = "SELECT id FROM collateral_assets WHERE campaign_id IS NULL"
    op.execute(f"UPDATE collateral_requests SET asset_id = NULL WHERE asset_id IN ({drafts})")
    for table in ('collateral_usage', 'collateral_reviews', 'collateral_versions', 'collateral_asset_parties'):
        op.execute(f"DELETE FROM {table} WHERE asset_id IN ({drafts})")
    op.execute("DELETE FROM collateral_assets WHERE campaign_id IS NULL")

    with op.batch_alter_table('collateral_usage', schema=None) as batch_op:
        batch_op.alter_column('campaign_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('collateral_assets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_collateral_assets_campaign_or_offer'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_collateral_assets_offer_id_offers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_collateral_assets_offer_id'))
        batch_op.alter_column('campaign_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('offer_id')
