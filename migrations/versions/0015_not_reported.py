"""missing is not zero: daily figures may be NULL (not reported); conversions in hundredths

Revision ID: 0015_not_reported
Revises: 0014_metric_claims
Create Date: 2026-12-06 07:30:00

- daily_metrics and metric_replaced_days: the seven figures become nullable (NULL = the day's
  figure was not reported). ``conversions`` becomes ``conversions_hundredths`` (whole
  hundredths, so 2.47 attributed conversions are stored exactly): existing values x 100.
- metric_rollups: ``conversions`` becomes ``conversions_hundredths`` (x 100) and each figure
  gets the number of days in the month that reported it (impressions_days ... cost_days).

What it assumes: before this revision a figure could not be left out, so every stored value
is taken as reported — including the zeros written for a column the file did not have or a
blank cell, which cannot be told apart from real zeros any more. Existing rows keep their
values, and each month's *_days counts start equal to its ``days``.

Downgrade turns NULL back into 0 and drops the fraction of conversions (whole ones only).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_not_reported'
down_revision = '0014_metric_claims'
branch_labels = None
depends_on = None

FIGURES = ('impressions', 'reach', 'clicks', 'leads', 'revenue_minor', 'cost_minor')
NEW_NOT_NEGATIVE = (
    'impressions >= 0 AND reach >= 0 AND clicks >= 0 AND leads >= 0 '
    'AND conversions_hundredths >= 0 AND revenue_minor >= 0 AND cost_minor >= 0'
)
OLD_NOT_NEGATIVE = (
    'impressions >= 0 AND reach >= 0 AND clicks >= 0 AND leads >= 0 '
    'AND conversions >= 0 AND revenue_minor >= 0 AND cost_minor >= 0'
)
DAYS = (
    'impressions_days', 'reach_days', 'clicks_days', 'leads_days', 'conversions_days',
    'revenue_days', 'cost_days',
)


def upgrade():
    for table in ('daily_metrics', 'metric_replaced_days', 'metric_rollups'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('conversions_hundredths', sa.BigInteger(), nullable=True))
        op.execute(f'UPDATE {table} SET conversions_hundredths = conversions * 100')

    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_daily_metrics_not_negative'), type_='check')
        batch_op.drop_column('conversions')
        for name in FIGURES:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_check_constraint('not_negative', NEW_NOT_NEGATIVE)

    with op.batch_alter_table('metric_replaced_days', schema=None) as batch_op:
        batch_op.drop_column('conversions')
        for name in FIGURES:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=True)

    with op.batch_alter_table('metric_rollups', schema=None) as batch_op:
        for name in DAYS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    op.execute(
        'UPDATE metric_rollups SET ' + ', '.join(f'{name} = days' for name in DAYS)
    )
    with op.batch_alter_table('metric_rollups', schema=None) as batch_op:
        batch_op.drop_column('conversions')
        batch_op.alter_column(
            'conversions_hundredths', existing_type=sa.BigInteger(), nullable=False
        )
        for name in DAYS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)


def downgrade():
    for table in ('daily_metrics', 'metric_replaced_days', 'metric_rollups'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('conversions', sa.BigInteger(), nullable=True))
        op.execute(
            f'UPDATE {table} SET conversions = COALESCE(conversions_hundredths, 0) / 100'
        )
    for table in ('daily_metrics', 'metric_replaced_days'):
        op.execute(
            f'UPDATE {table} SET ' + ', '.join(f'{n} = COALESCE({n}, 0)' for n in FIGURES)
        )

    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_daily_metrics_not_negative'), type_='check')
        batch_op.drop_column('conversions_hundredths')
        for name in (*FIGURES, 'conversions'):
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint('not_negative', OLD_NOT_NEGATIVE)

    with op.batch_alter_table('metric_replaced_days', schema=None) as batch_op:
        batch_op.drop_column('conversions_hundredths')
        for name in (*FIGURES, 'conversions'):
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=False)

    with op.batch_alter_table('metric_rollups', schema=None) as batch_op:
        batch_op.drop_column('conversions_hundredths')
        for name in DAYS:
            batch_op.drop_column(name)
        batch_op.alter_column('conversions', existing_type=sa.BigInteger(), nullable=False)
