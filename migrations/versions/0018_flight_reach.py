"""a placement's flight reach (issue 16): the platform's own deduplicated reach over the whole
flight, so reports can show people rather than daily reach summed

Revision ID: 0018_flight_reach
Revises: 0017_placement_names
Create Date: 2026-12-06 10:20:00

Adds placements.flight_reach (nullable BIGINT, not negative).

What it assumes: no flight reach was ever recorded, so every placement starts with none (not
reported) rather than a figure derived from its daily rows: summed daily reach counts a person
once per day and is not a flight reach.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_flight_reach'
down_revision = '0017_placement_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flight_reach', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint('flight_reach_not_negative', 'flight_reach >= 0')


def downgrade():
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_placements_flight_reach_not_negative'), type_='check')
        batch_op.drop_column('flight_reach')
