"""time zones and countries (issue 18): each company works in an IANA time zone and a country
(for public holidays); each person may override the zone

Revision ID: 0021_time_zones
Revises: 0020_company_name_folded
Create Date: 2026-12-06 13:10:00

Adds organizations.time_zone (VARCHAR(64) NOT NULL DEFAULT 'UTC'),
organizations.country (VARCHAR(2) NOT NULL DEFAULT '') and users.time_zone (VARCHAR(64) NULL).

What it assumes: every existing company worked in UTC with no public holidays until now, which
is what the application did; people read in their company's zone.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_time_zones'
down_revision = '0020_company_name_folded'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False)
        )
        batch_op.add_column(
            sa.Column('country', sa.String(length=2), server_default='', nullable=False)
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('country')
        batch_op.drop_column('time_zone')
