"""placements found the way users name them (issue 15): platform names of placements, and the
campaign a results file was uploaded for

Revision ID: 0017_placement_names
Revises: 0015_not_reported
Create Date: 2026-12-06 07:10:00

Adds placement_names (a placement's names and ids on the ad platforms; the folded name is
unique within the campaign) and metric_imports.campaign_id (nullable, references campaigns).

What it assumes: imports made before this change were not made for one campaign, so their
campaign_id stays empty rather than a guess (an old import still waiting in preview keeps
matching all of the company's placements, as it did when it was uploaded). No platform names
exist yet.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0017_placement_names'
down_revision = '0015_not_reported'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'placement_names',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('folded', sa.String(length=400), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaigns.id'],
            name=op.f('fk_placement_names_campaign_id_campaigns'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'],
            name=op.f('fk_placement_names_created_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['placement_id'], ['placements.id'],
            name=op.f('fk_placement_names_placement_id_placements'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_names')),
        sa.UniqueConstraint(
            'campaign_id', 'folded', name=op.f('uq_placement_names_campaign_id_folded')
        ),
    )
    with op.batch_alter_table('placement_names', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_placement_names_placement_id'), ['placement_id'], unique=False
        )
    with op.batch_alter_table('metric_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_metric_imports_campaign_id_campaigns'),
            'campaigns', ['campaign_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('metric_imports', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_metric_imports_campaign_id_campaigns'), type_='foreignkey'
        )
        batch_op.drop_column('campaign_id')
    with op.batch_alter_table('placement_names', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_names_placement_id'))
    op.drop_table('placement_names')
