"""jobs.progress (issue 19): how far a running job has got, written by its worker so every
process (the import's page on any web server) reads the same

Revision ID: 0025_queue
Revises: 0024_jobs
Create Date: 2026-12-06 16:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025_queue'
down_revision = '0024_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('progress')
