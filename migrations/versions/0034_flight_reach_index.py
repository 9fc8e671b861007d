"""placements with a flight reach indexed by campaign (issue 16): a report reads them from an
index of those placements alone instead of every placement of the company's campaigns

Revision ID: 0034_flight_reach_index
Revises: 0033_counted_spend
Create Date: 2026-12-07 02:30:00

A partial index (PostgreSQL and SQLite both have them): only placements whose platform
reported a flight reach are in it, a minority of them.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034_flight_reach_index'
down_revision = '0033_counted_spend'
branch_labels = None
depends_on = None

WHERE = sa.text('flight_reach IS NOT NULL')


def upgrade():
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index(
            'ix_placements_flight_reach', ['campaign_id'], unique=False,
            postgresql_where=WHERE, sqlite_where=WHERE,
        )


def downgrade():
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index('ix_placements_flight_reach')
