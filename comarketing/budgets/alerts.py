"""Spend alerts: a campaign's parties hear once when its spend reaches 80 % and once when it
reaches 100 % of its commitments. Who of their people hears is the policy's notification
audience (those who can act on the budget) plus whoever opted in (notifications.notify)."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing import notifications
from comarketing.accounts.models import User
from comarketing.campaigns.access import party_ids
from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.money import format_money
from comarketing.notifications import About, Recipient

ALERT_LEVELS = (80, 100)


def announce_spend_level(campaign: Campaign, committed: int, spent: int) -> None:
    if committed <= 0:
        return
    reached = max((level for level in ALERT_LEVELS if spent * 100 >= committed * level), default=0)
    if reached <= campaign.spend_alert_level:
        return
    campaign.spend_alert_level = reached
    people = db.session.execute(
        sa.select(User.id, User.email).where(
            User.organization_id.in_(party_ids(campaign.id)),
            User.active,
        )
    ).all()
    title = (
        f"Budget fully spent: {campaign.name}"
        if reached >= 100
        else f"Budget {reached}% spent: {campaign.name}"
    )
    notifications.notify(
        [Recipient(uid, email) for uid, email in people],
        kind="budget_alert",
        title=title,
        body=f"Hello,\n\n{campaign.name} has spent {format_money(spent, campaign.currency)} of "
        f"{format_money(committed, campaign.currency)} committed ({reached}%).\n\n"
        f"{absolute_url('campaigns.detail', campaign_id=campaign.id)}\n",
        link=f"/campaigns/{campaign.id}#budget",
        about=About("campaign", campaign.id, campaign.name),
    )
