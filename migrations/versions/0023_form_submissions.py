"""form submissions (issue 19): one-time tokens of HTML forms that create something, so a
repeated post answers the first result instead of writing a second record

Revision ID: 0023_form_submissions
Revises: 0022_notification_channels
Create Date: 2026-12-06 14:50:00

Adds the table form_submissions (token_hash, user_id, endpoint, result_url, created_at), unique
per user, endpoint and token. No existing rows: a form rendered before this has no token and
posts as it always did.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_form_submissions'
down_revision = '0022_notification_channels'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=200), nullable=False),
        sa.Column('result_url', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_form_submissions_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
        sa.UniqueConstraint(
            'user_id', 'endpoint', 'token_hash',
            name=op.f('uq_form_submissions_user_id_endpoint_token_hash'),
        ),
    )
    op.create_index(
        op.f('ix_form_submissions_created_at'), 'form_submissions', ['created_at'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_form_submissions_created_at'), table_name='form_submissions')
    op.drop_table('form_submissions')
