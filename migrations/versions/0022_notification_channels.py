"""notification channels (issue 18): what each notification is about, how it reached its
person (app, mail at once, daily digest), a channel per person and kind, and the digests sent

Revision ID: 0022_notification_channels
Revises: 0021_time_zones
Create Date: 2026-12-06 13:40:00

Adds notifications.subject_type / subject_id / subject_title (the offer or campaign, for
grouping), notifications.channel and notifications.digest_id, the tables
notification_preferences (user_id, kind, channel) and notification_digests, and drops
mail_opt_outs.

Existing rows:
- a notification's subject is read from its link (/offers/<id>..., /campaigns/<id>...,
  /collateral/assets/<id> -> the material's campaign or offer), with that offer's current title
  or that campaign's name; other links keep no subject. Every existing row counts as delivered
  in the app (channel 'app'), so no digest ever resends history.
- a mail opt-out ("not by mail") becomes the channel 'app' ("in the app only") where the
  person's role hears that kind by default; where it does not (e.g. an approver's budget
  alarms), the new default is already off, which sends no mail either, so nothing is stored.
  The audience below is the policy's as of this migration (comarketing/policy.py).
"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_notification_channels'
down_revision = '0021_time_zones'
branch_labels = None
depends_on = None

_OFFER_PEOPLE = {'admin', 'partner_manager', 'approver'}
_MONEY = {'admin', 'partner_manager', 'approver'}
_LEDGER = {'admin', 'partner_manager'}
AUDIENCE = {
    'offer_received': _OFFER_PEOPLE,
    'offer_revised': _OFFER_PEOPLE,
    'offer_decision': _OFFER_PEOPLE,
    'offer_approved': _OFFER_PEOPLE,
    'offer_closed': _OFFER_PEOPLE,
    'offer_comment': _OFFER_PEOPLE,
    'review_reminder': {'admin', 'approver'},
    'review_overdue': _OFFER_PEOPLE,
    'budget_alert': _LEDGER,
    'claim_to_confirm': _MONEY,
    'claim_disputed': _LEDGER,
    'claim_auto_confirmed': _MONEY,
    'claim_revised': _MONEY,
    'payment_to_confirm': _MONEY,
    'payment_answered': _LEDGER,
    'collateral_review': {'admin', 'partner_manager', 'approver'},
    'collateral_request': {'admin', 'partner_manager', 'approver', 'analyst'},
    'goal_reached': {'admin', 'partner_manager', 'analyst'},
}
_LINK = re.compile(r'^/(offers|campaigns|collateral/assets)/(\d+)(?:[/#?]|$)')


def upgrade():
    op.create_table(
        'notification_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outbox_message_id', sa.Integer(), nullable=True),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['outbox_message_id'], ['outbox_messages.id'],
            name=op.f('fk_notification_digests_outbox_message_id_outbox_messages'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_notification_digests_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_digests')),
    )
    with op.batch_alter_table('notification_digests', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_notification_digests_user_id'), ['user_id'], unique=False
        )
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('subject_type', sa.String(length=12), server_default='', nullable=False)
        )
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('subject_title', sa.String(length=200), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('channel', sa.String(length=8), server_default='app', nullable=False)
        )
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_notifications_digest_id_notification_digests'),
            'notification_digests', ['digest_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.create_index(
            'ix_notifications_user_subject', ['user_id', 'subject_type', 'subject_id'],
            unique=False,
        )
    _derive_subjects()
    _migrate_opt_outs()
    op.drop_table('mail_opt_outs')


def _derive_subjects():
    bind = op.get_bind()
    campaigns = dict(bind.execute(sa.text('SELECT id, name FROM campaigns')).all())
    offers = dict(
        bind.execute(
            sa.text(
                'SELECT o.id, r.title FROM offers o JOIN offer_revisions r '
                'ON r.offer_id = o.id AND r.number = o.current_revision_number'
            )
        ).all()
    )
    assets = {
        row[0]: (row[1], row[2])
        for row in bind.execute(sa.text('SELECT id, campaign_id, offer_id FROM collateral_assets'))
    }
    updates = []
    for notification_id, link in bind.execute(sa.text('SELECT id, link FROM notifications')):
        match = _LINK.match(link or '')
        if match is None:
            continue
        place, number = match.group(1), int(match.group(2))
        if place == 'collateral/assets':
            campaign_id, offer_id = assets.get(number, (None, None))
            place, number = ('campaigns', campaign_id) if campaign_id else ('offers', offer_id)
            if number is None:
                continue
        if place == 'campaigns':
            subject = ('campaign', number, campaigns.get(number, ''))
        else:
            subject = ('offer', number, offers.get(number, ''))
        updates.append(
            {'id': notification_id, 't': subject[0], 'i': subject[1], 'title': subject[2][:200]}
        )
    if updates:
        bind.execute(
            sa.text(
                'UPDATE notifications SET subject_type = :t, subject_id = :i, '
                'subject_title = :title WHERE id = :id'
            ),
            updates,
        )


def _migrate_opt_outs():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            'SELECT m.user_id, m.kind, u.role FROM mail_opt_outs m JOIN users u ON u.id = m.user_id'
        )
    ).all()
    kept = [
        {'user_id': user_id, 'kind': kind, 'channel': 'app'}
        for user_id, kind, role in rows
        if role in AUDIENCE.get(kind, set())
    ]
    if kept:
        bind.execute(
            sa.text(
                'INSERT INTO notification_preferences (user_id, kind, channel) '
                'VALUES (:user_id, :kind, :channel)'
            ),
            kept,
        )


def downgrade():
    op.create_table(
        'mail_opt_outs',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_mail_opt_outs_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_mail_opt_outs')),
    )
    # Anything but "mail at once" was "not by mail" before digests existed.
    op.execute(
        "INSERT INTO mail_opt_outs (user_id, kind) SELECT user_id, kind "
        "FROM notification_preferences WHERE channel <> 'mail'"
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_subject')
        batch_op.drop_constraint(
            batch_op.f('fk_notifications_digest_id_notification_digests'), type_='foreignkey'
        )
        batch_op.drop_column('digest_id')
        batch_op.drop_column('channel')
        batch_op.drop_column('subject_title')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('notification_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_digests_user_id'))
    op.drop_table('notification_digests')
