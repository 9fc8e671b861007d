"""the minimum audience count (issue 17): a figure about another company's audience is shown
only when every count it rests on reaches the highest of the parties' minimums

Revision ID: 0019_audience_minimum
Revises: 0018_flight_reach
Create Date: 2026-12-06 11:10:00

Adds organizations.audience_minimum (INTEGER NOT NULL DEFAULT 100, at least 50).

What it assumes: every existing company gets the default, 100 people.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_audience_minimum'
down_revision = '0018_flight_reach'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('audience_minimum', sa.Integer(), server_default='100', nullable=False)
        )
        batch_op.create_check_constraint('audience_minimum_floor', 'audience_minimum >= 50')


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizations_audience_minimum_floor'), type_='check')
        batch_op.drop_column('audience_minimum')
