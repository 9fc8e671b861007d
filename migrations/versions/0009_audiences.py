"""audiences: existing-audience lists, audience imports with Theta sketches, campaign universe

Revision ID: 0009_audiences
Revises: 0010_collateral
Create Date: 2026-11-23 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa




# revision identifiers, used by Alembic.
revision = '0009_audiences'
down_revision = '0010_collateral'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audience_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audience_lists_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_audience_lists_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_lists')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_audience_lists_organization_id_name'))
    )
    with op.batch_alter_table('audience_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audience_lists_organization_id'), ['organization_id'], unique=False)

    op.create_table('audience_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('column', sa.String(length=100), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('identifiers', sa.BigInteger(), nullable=False),
    sa.Column('bad_lines', sa.BigInteger(), nullable=False),
    sa.Column('distinct_estimate', sa.BigInteger(), nullable=False),
    sa.Column('exact', sa.Boolean(), nullable=False),
    sa.Column('sketch', sa.LargeBinary(), nullable=True),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(placement_id IS NULL) <> (list_id IS NULL)', name=op.f('ck_audience_imports_one_target')),
    sa.CheckConstraint("kind IN ('email', 'phone', 'sha256')", name=op.f('ck_audience_imports_kind_known')),
    sa.CheckConstraint("source IN ('file', 'api')", name=op.f('ck_audience_imports_source_known')),
    sa.CheckConstraint("status IN ('succeeded', 'failed')", name=op.f('ck_audience_imports_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audience_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['audience_lists.id'], name=op.f('fk_audience_imports_list_id_audience_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_audience_imports_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['placement_id'], ['placements.id'], name=op.f('fk_audience_imports_placement_id_placements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_imports'))
    )
    with op.batch_alter_table('audience_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audience_imports_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audience_imports_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audience_imports_placement_id'), ['placement_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_universe', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('target_universe')

    with op.batch_alter_table('audience_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audience_imports_placement_id'))
        batch_op.drop_index(batch_op.f('ix_audience_imports_organization_id'))
        batch_op.drop_index(batch_op.f('ix_audience_imports_list_id'))

    op.drop_table('audience_imports')
    with op.batch_alter_table('audience_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audience_lists_organization_id'))

    op.drop_table('audience_lists')
