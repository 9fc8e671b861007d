"""costs posted from results are claims (issue 14): a claim version records its metric import

Revision ID: 0014_metric_claims
Revises: 0013_claims
Create Date: 2026-12-06 05:30:00

Adds claim_versions.metric_import_id (nullable, references metric_imports): for a claim of
source 'metrics', the import that carried the day's cost, which is that version's proof.

What it assumes: migration 0013 already turned every imported-cost expense with a placement
into a claim of source 'metrics' (one version serving the day it was recorded for, taken as
confirmed). Which import carried those costs was never stored (only the entry's note names
it), so their metric_import_id stays empty rather than a guess; versions written from now on
record it. claim_versions is append-only (a trigger on PostgreSQL), so nothing is updated.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_metric_claims'
down_revision = '0013_claims'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claim_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metric_import_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_claim_versions_metric_import_id_metric_imports'),
            'metric_imports', ['metric_import_id'], ['id'], ondelete='RESTRICT',
        )


def downgrade():
    with op.batch_alter_table('claim_versions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_claim_versions_metric_import_id_metric_imports'), type_='foreignkey'
        )
        batch_op.drop_column('metric_import_id')
