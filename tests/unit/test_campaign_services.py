"""Campaigns through their services: solo campaigns and their privacy, the status table,
placements, milestones, the filtered list and the iCalendar feed (the calendar's views and
clashes: tests/unit/test_calendar.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from comarketing.accounts import members
from comarketing.audit import AuditEvent
from comarketing.campaigns import (
    access,
    feeds,
    ical,
    lifecycle,
    listing,
    milestones,
    placements,
    schedule,
)
from comarketing.campaigns.lifecycle import CampaignInput
from comarketing.campaigns.listing import CampaignFilters
from comarketing.campaigns.models import Campaign, CampaignParty, Milestone, Placement
from comarketing.campaigns.placements import PlacementInput
from comarketing.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from tests.campaign_helpers import (
    ADMIN,
    ANALYST,
    APPROVER,
    END,
    PM,
    START,
    add_placement,
    commit,
    joint_campaign,
    solo_campaign,
)
from tests.offer_helpers import actor, count_rows

CAMPAIGN_TABLES = (Campaign, CampaignParty, Placement, Milestone, AuditEvent)


def names(page: listing.CampaignPage) -> list[str]:
    return [c.name for c in page.campaigns]


def set_status(campaign_id: int, status: str) -> None:
    db.session.get(Campaign, campaign_id).status = status
    db.session.commit()


# ---------------------------------------------------------------------------------------------
# Solo campaigns


def test_a_partner_manager_creates_a_solo_campaign_of_its_company_alone(ctx, world):
    data = CampaignInput(
        name="  Solo   spring  ",
        description=" Our own newsletter push ",
        start_date=START,
        end_date=END,
        currency="eur",
        total_budget_minor=250_000,
        target_reach=10_000,
        target_leads=300,
        target_revenue_minor=900_000,
    )
    campaign = lifecycle.create_solo_campaign(actor(world.a.email(PM)), data)
    assert (
        campaign.kind,
        campaign.organization_id,
        campaign.name,
        campaign.description,
        campaign.status,
        campaign.currency,
        campaign.total_budget_minor,
        campaign.target_reach,
        campaign.target_leads,
        campaign.target_revenue_minor,
        campaign.created_by_id,
    ) == (
        "solo",
        world.a.id,
        "Solo spring",
        "Our own newsletter push",
        "planned",
        "EUR",
        250_000,
        10_000,
        300,
        900_000,
        world.a.user_ids[PM],
    )
    parties = db.session.execute(
        sa.select(CampaignParty.organization_id, CampaignParty.budget_share_bp).where(
            CampaignParty.campaign_id == campaign.id
        )
    ).all()
    assert parties == [(world.a.id, 10_000)]
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.organization_id).where(
            AuditEvent.target_type == "campaigns", AuditEvent.target_id == campaign.id
        )
    ).all()
    assert events == [("campaign.created", world.a.id)]


VALID = CampaignInput(name="Solo", description="", start_date=START, end_date=END, currency="EUR")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"start_date": None}, "start_date"),
        ({"end_date": None}, "end_date"),
        ({"end_date": date(2027, 2, 28)}, "end_date"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"target_reach": -1}, "target_reach"),
        ({"target_leads": -5}, "target_leads"),
        ({"target_revenue_minor": -1}, "target_revenue"),
        ({"total_budget_minor": -100}, "total_budget"),
        ({"total_budget_minor": 10**15 + 1}, "total_budget"),
    ],
)
def test_solo_campaign_input_is_refused_by_field(ctx, world, change, field):
    before = count_rows(*CAMPAIGN_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.create_solo_campaign(actor(world.a.email(PM)), replace(VALID, **change))
    assert refused.value.field == field
    assert count_rows(*CAMPAIGN_TABLES) == before


@pytest.mark.parametrize("role", [APPROVER, ANALYST])
def test_approvers_and_analysts_do_not_create_or_run_campaigns(ctx, world, role):
    campaign_id = solo_campaign(world.a.email(PM))
    who = actor(world.a.email(role))
    before = count_rows(*CAMPAIGN_TABLES)
    with pytest.raises(Forbidden):
        lifecycle.create_solo_campaign(who, VALID)
    with pytest.raises(Forbidden):
        lifecycle.change_status(who, campaign_id, "activate")
    with pytest.raises(Forbidden):
        add_placement(world.a.email(role), campaign_id, world.a.id)
    with pytest.raises(Forbidden):
        milestones.add_milestone(
            who,
            campaign_id,
            kind="launch",
            title="",
            owner_organization_id=world.a.id,
            due_on=START,
        )
    assert count_rows(*CAMPAIGN_TABLES) == before
    assert listing.get_campaign(who, campaign_id).campaign.name == "Solo spring"


def test_a_solo_campaign_is_invisible_to_partners_in_every_form(ctx, world):
    solo = solo_campaign(world.a.email(PM), "Alpha private push")
    add_placement(world.a.email(PM), solo, world.a.id)
    joint = joint_campaign(world)
    for role in (ADMIN, PM, APPROVER, ANALYST):
        b = actor(world.b.email(role))
        with pytest.raises(NotFound):
            listing.get_campaign(b, solo)
        with pytest.raises(NotFound):
            access.get_visible_campaign(b, solo)
        # Not in B's list, not even when B filters by A as the partner.
        for filters in (None, CampaignFilters(partner_id=world.a.id), CampaignFilters("solo")):
            assert solo not in [c.id for c in listing.list_campaigns(b, filters).campaigns]
        assert [
            c.id
            for c in listing.list_campaigns(b, CampaignFilters(partner_id=world.a.id)).campaigns
        ] == [joint.id]
    b_pm = actor(world.b.email(PM))
    with pytest.raises(NotFound):
        lifecycle.change_status(b_pm, solo, "cancel")
    with pytest.raises(NotFound):
        add_placement(world.b.email(PM), solo, world.b.id)
    with pytest.raises(NotFound):
        lifecycle.update_campaign(b_pm, solo, VALID)
    month = schedule.build(b_pm, schedule.MONTH, date(2027, 3, 1), {}, date(2027, 3, 1))
    shown = {item.campaign_id for week in month.weeks for item in week.items}
    assert solo not in shown
    assert db.session.get(Campaign, solo).status == "planned"


def test_a_joint_campaign_keeps_its_agreed_terms_and_a_solo_one_can_be_edited(ctx, world):
    joint = joint_campaign(world)
    with pytest.raises(Forbidden):
        lifecycle.update_campaign(actor(world.a.email(PM)), joint.id, VALID)
    solo = solo_campaign(world.a.email(PM))
    add_placement(
        world.a.email(PM), solo, world.a.id, start=date(2027, 3, 1), end=date(2027, 3, 31)
    )
    pm_a = actor(world.a.email(PM))
    edited = lifecycle.update_campaign(pm_a, solo, replace(VALID, name="Solo renamed"))
    assert edited.name == "Solo renamed"
    # The placement runs 1-31 March: the campaign cannot shrink past it.
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.update_campaign(pm_a, solo, replace(VALID, start_date=date(2027, 3, 2)))
    assert refused.value.field == "start_date"
    commit(world.a.email(PM), solo, 1_000)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.update_campaign(pm_a, solo, replace(VALID, currency="USD"))
    assert refused.value.field == "currency"
    assert db.session.get(Campaign, solo).currency == "EUR"


# ---------------------------------------------------------------------------------------------
# Status: planned -> active -> completed, or cancelled


STATUSES = ("planned", "active", "completed", "cancelled")
STEPS = ("activate", "complete", "cancel", "reopen")
ALLOWED = {
    ("planned", "activate"): "active",
    ("planned", "cancel"): "cancelled",
    ("active", "complete"): "completed",
    ("active", "cancel"): "cancelled",
}


def test_every_status_step_pair_follows_the_lifecycle_table(ctx, world):
    pm = actor(world.a.email(PM))
    wrong = []
    for status in STATUSES:
        for step in STEPS:
            campaign_id = solo_campaign(world.a.email(PM), f"{status} {step}")
            set_status(campaign_id, status)
            expected = ALLOWED.get((status, step))
            try:
                result = lifecycle.change_status(pm, campaign_id, step).status
            except InvalidTransition:
                result = None
            if result != expected or db.session.get(Campaign, campaign_id).status != (
                expected or status
            ):
                wrong.append((status, step, result))
    assert wrong == []
    events = db.session.execute(
        sa.select(AuditEvent.details).where(AuditEvent.action == "campaign.status_changed")
    ).scalars()
    assert sorted((d["old"], d["new"]) for d in events) == sorted(
        (old, new) for (old, _), new in ALLOWED.items()
    )


def test_both_parties_of_a_joint_campaign_move_its_status_and_both_logs_show_it(ctx, world):
    campaign = joint_campaign(world)
    lifecycle.change_status(actor(world.b.email(PM)), campaign.id, "activate")
    lifecycle.change_status(actor(world.a.email(ADMIN)), campaign.id, "complete")
    assert db.session.get(Campaign, campaign.id).status == "completed"
    logged = db.session.execute(
        sa.select(AuditEvent.organization_id, AuditEvent.details).where(
            AuditEvent.action == "campaign.status_changed"
        )
    ).all()
    assert sorted((org, d["new"]) for org, d in logged) == sorted(
        [
            (world.a.id, "active"),
            (world.b.id, "active"),
            (world.a.id, "completed"),
            (world.b.id, "completed"),
        ]
    )
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.change_status(actor(world.a.email(PM)), campaign.id, "cancel")
    assert "completed" in refused.value.message


# ---------------------------------------------------------------------------------------------
# Placements


def placement_input(owner: int, **changes: object) -> PlacementInput:
    values: dict[str, object] = {
        "channel": "display",
        "owner_organization_id": owner,
        "name": "Banner",
        "url": "https://example.com/banner",
        "start_date": date(2027, 3, 10),
        "end_date": date(2027, 3, 20),
        "planned_cost_minor": 12_500,
        "audience_size": 40_000,
    }
    values.update(changes)
    return PlacementInput(**values)  # type: ignore[arg-type]


def test_a_party_adds_its_placement_and_empty_dates_take_the_campaigns(ctx, world):
    campaign = joint_campaign(world)
    placement = placements.add_placement(
        actor(world.b.email(PM)), campaign.id, placement_input(world.b.id)
    )
    assert (
        placement.owner_organization_id,
        placement.channel,
        placement.url,
        placement.planned_cost_minor,
        placement.audience_size,
    ) == (world.b.id, "display", "https://example.com/banner", 12_500, 40_000)
    whole = placements.add_placement(
        actor(world.a.email(ADMIN)),
        campaign.id,
        placement_input(world.a.id, start_date=None, end_date=None, url="", audience_size=None),
    )
    assert (whole.start_date, whole.end_date, whole.audience_size) == (START, END, None)
    logged = db.session.scalars(
        sa.select(AuditEvent.organization_id).where(
            AuditEvent.action == "placement.created", AuditEvent.target_id == whole.id
        )
    ).all()
    assert sorted(logged) == [world.a.id, world.b.id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_date": date(2027, 2, 28)}, "start_date"),
        ({"start_date": date(2027, 2, 1), "end_date": date(2027, 5, 31)}, "start_date"),
        ({"end_date": date(2027, 5, 1)}, "end_date"),
        ({"start_date": date(2027, 3, 20), "end_date": date(2027, 3, 10)}, "end_date"),
        ({"channel": "billboard"}, "channel"),
        ({"name": "  "}, "name"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://example.com/" + "x" * 500}, "url"),
        ({"planned_cost_minor": -1}, "planned_cost"),
        ({"audience_size": -1}, "audience_size"),
    ],
)
def test_placement_input_is_refused_by_field(ctx, world, change, field):
    campaign = joint_campaign(world)
    before = count_rows(*CAMPAIGN_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        placements.add_placement(
            actor(world.a.email(PM)), campaign.id, placement_input(world.a.id, **change)
        )
    assert refused.value.field == field
    assert count_rows(*CAMPAIGN_TABLES) == before


def test_the_owner_of_a_placement_must_be_a_party(ctx, world):
    campaign = joint_campaign(world)
    with pytest.raises(ValidationFailed) as refused:
        placements.add_placement(
            actor(world.a.email(ADMIN)), campaign.id, placement_input(world.c.id)
        )
    assert refused.value.field == "owner_organization_id"


def test_a_partner_manager_cannot_add_or_edit_another_partys_placement(ctx, world):
    campaign = joint_campaign(world)
    pm_a, pm_b = actor(world.a.email(PM)), actor(world.b.email(PM))
    before = count_rows(*CAMPAIGN_TABLES)
    with pytest.raises(Forbidden):
        placements.add_placement(pm_a, campaign.id, placement_input(world.b.id))
    with pytest.raises(Forbidden):
        placements.update_placement(
            pm_a, campaign.id, campaign.b_placement, placement_input(world.b.id, name="Mine now")
        )
    # Nor hand its own placement over to the partner.
    with pytest.raises(Forbidden):
        placements.update_placement(
            pm_a, campaign.id, campaign.a_placement, placement_input(world.b.id)
        )
    assert count_rows(*CAMPAIGN_TABLES) == before
    assert db.session.get(Placement, campaign.b_placement).name == "Beta social post"

    updated = placements.update_placement(
        pm_b, campaign.id, campaign.b_placement, placement_input(world.b.id, name="Beta reel")
    )
    assert (updated.name, updated.channel, updated.start_date) == (
        "Beta reel",
        "display",
        date(2027, 3, 10),
    )
    # A placement of another campaign is not found through this one.
    other = joint_campaign(world, name="Autumn pies")
    with pytest.raises(NotFound):
        placements.update_placement(
            pm_b, campaign.id, other.b_placement, placement_input(world.b.id)
        )


# ---------------------------------------------------------------------------------------------
# Milestones


def test_milestones_have_an_owner_party_and_are_flagged_overdue_until_done(ctx, world):
    campaign = joint_campaign(world)
    pm_a = actor(world.a.email(PM))
    past = milestones.add_milestone(
        pm_a,
        campaign.id,
        kind="creative_due",
        title="",
        owner_organization_id=world.b.id,
        due_on=date(2020, 1, 1),
    )
    ahead = milestones.add_milestone(
        pm_a,
        campaign.id,
        kind="go_live",
        title=" Go   live day ",
        owner_organization_id=world.a.id,
        due_on=date(2027, 3, 10),
    )
    assert (past.title, past.owner_organization_id) == ("Creative due", world.b.id)
    assert ahead.title == "Go live day"
    assert milestones.is_overdue(past) and not milestones.is_overdue(ahead)
    assert not milestones.is_overdue(ahead, today=date(2027, 3, 10))
    assert milestones.is_overdue(ahead, today=date(2027, 3, 11))

    done = milestones.complete_milestone(actor(world.b.email(PM)), campaign.id, past.id)
    assert done.done_by_id == world.b.user_ids[PM] and not milestones.is_overdue(done)
    first_done_at = done.done_at
    again = milestones.complete_milestone(actor(world.a.email(PM)), campaign.id, past.id)
    assert (again.done_at, again.done_by_id) == (first_done_at, world.b.user_ids[PM])
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "milestone.done"))
        == 2
    )  # one event, in each party's log
    view = listing.get_campaign(pm_a, campaign.id)
    assert [m.id for m in view.milestones] == [past.id, ahead.id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"title": "t" * 201}, "title"),
        ({"owner_organization_id": "c"}, "owner_organization_id"),
        ({"due_on": None}, "due_on"),
    ],
)
def test_milestone_input_is_refused_by_field(ctx, world, change, field):
    campaign = joint_campaign(world)
    values = {
        "kind": "launch",
        "title": "",
        "owner_organization_id": world.a.id,
        "due_on": START,
        **change,
    }
    if values["owner_organization_id"] == "c":
        values["owner_organization_id"] = world.c.id
    before = count_rows(*CAMPAIGN_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        milestones.add_milestone(actor(world.a.email(PM)), campaign.id, **values)
    assert refused.value.field == field
    assert count_rows(*CAMPAIGN_TABLES) == before


def test_a_milestone_of_another_campaign_cannot_be_completed_through_this_one(ctx, world):
    campaign = joint_campaign(world)
    other = joint_campaign(world, name="Autumn pies")
    milestone = milestones.add_milestone(
        actor(world.a.email(PM)),
        other.id,
        kind="launch",
        title="",
        owner_organization_id=world.a.id,
        due_on=START,
    )
    with pytest.raises(NotFound):
        milestones.complete_milestone(actor(world.a.email(PM)), campaign.id, milestone.id)
    assert db.session.get(Milestone, milestone.id).done_at is None


# ---------------------------------------------------------------------------------------------
# The list: filters and pages


@pytest.fixture
def listed(ctx, world):
    """A's campaigns: the joint one with B (Mar-Apr 2027) and three solo ones; B has a solo one
    A must never see."""
    pm_a = world.a.email(PM)
    ids = {"joint": joint_campaign(world).id}
    ids["march"] = solo_campaign(pm_a, "Solo March", start=date(2027, 3, 1), end=date(2027, 3, 31))
    ids["june"] = solo_campaign(pm_a, "Solo June", start=date(2027, 6, 1), end=date(2027, 6, 30))
    ids["winter"] = solo_campaign(
        pm_a, "Solo winter", start=date(2026, 12, 1), end=date(2026, 12, 31)
    )
    lifecycle.change_status(actor(pm_a), ids["june"], "activate")
    lifecycle.change_status(actor(pm_a), ids["winter"], "cancel")
    ids["beta"] = solo_campaign(
        world.b.email(PM), "Beta solo", start=date(2027, 3, 1), end=date(2027, 3, 31)
    )
    return ids


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (CampaignFilters(), ["Solo June", "Solo March", "Spring baking week", "Solo winter"]),
        (CampaignFilters(kind="joint"), ["Spring baking week"]),
        (CampaignFilters(kind="solo"), ["Solo June", "Solo March", "Solo winter"]),
        (
            CampaignFilters(kind="bogus"),
            ["Solo June", "Solo March", "Spring baking week", "Solo winter"],
        ),
        (CampaignFilters(status="active"), ["Solo June"]),
        (CampaignFilters(status="cancelled"), ["Solo winter"]),
        (CampaignFilters(status="completed"), []),
        (CampaignFilters(kind="solo", status="planned"), ["Solo March"]),
        # Campaigns running on any day of the range.
        (CampaignFilters(starts_after=date(2027, 4, 1)), ["Solo June", "Spring baking week"]),
        (CampaignFilters(ends_before=date(2027, 2, 28)), ["Solo winter"]),
        (
            CampaignFilters(starts_after=date(2027, 3, 15), ends_before=date(2027, 3, 20)),
            ["Solo March", "Spring baking week"],
        ),
        (CampaignFilters(starts_after=date(2027, 5, 1), ends_before=date(2027, 5, 31)), []),
    ],
)
def test_the_campaign_list_filters(listed, world, filters, expected):
    assert names(listing.list_campaigns(actor(world.a.email(ANALYST)), filters)) == expected


def test_the_partner_filter_shows_joint_campaigns_with_that_partner_only(listed, world):
    a = actor(world.a.email(ANALYST))
    page = listing.list_campaigns(a, CampaignFilters(partner_id=world.b.id))
    assert names(page) == ["Spring baking week"]
    assert page.partners == {listed["joint"]: ["Beta Shortening"]}
    assert names(listing.list_campaigns(a, CampaignFilters(partner_id=world.c.id))) == []
    assert [o.name for o in listing.partner_choices(a)] == ["Beta Shortening"]
    # B sees its own solo campaign and the joint one; never A's solo ones.
    b = actor(world.b.email(ANALYST))
    assert names(listing.list_campaigns(b)) == ["Beta solo", "Spring baking week"]
    assert names(listing.list_campaigns(b, CampaignFilters(partner_id=world.a.id))) == [
        "Spring baking week"
    ]


def test_the_campaign_list_is_paginated(listed, world):
    a = actor(world.a.email(ANALYST))
    first = listing.list_campaigns(a, page=1, per_page=3)
    second = listing.list_campaigns(a, page=2, per_page=3)
    assert (names(first), first.has_more, first.total) == (
        ["Solo June", "Solo March", "Spring baking week"],
        True,
        4,
    )
    assert (names(second), second.has_more, second.total) == (["Solo winter"], False, 4)
    assert names(listing.list_campaigns(a, page=3, per_page=3)) == []
    assert names(listing.list_campaigns(a, page=0, per_page=3)) == names(first)
    filtered = listing.list_campaigns(a, CampaignFilters(kind="solo"), page=2, per_page=2)
    assert (names(filtered), filtered.has_more, filtered.total) == (["Solo winter"], False, 3)


# ---------------------------------------------------------------------------------------------
# The iCalendar feed


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_feed_lists_the_companys_campaigns_and_milestones(ctx, world):
    joint = joint_campaign(world)
    solo = solo_campaign(world.a.email(PM), "Solo spring")
    milestones.add_milestone(
        actor(world.a.email(PM)),
        joint.id,
        kind="go_live",
        title="",
        owner_organization_id=world.b.id,
        due_on=date(2027, 3, 10),
    )
    cancelled = solo_campaign(world.a.email(PM), "Called off")
    lifecycle.change_status(actor(world.a.email(PM)), cancelled, "cancel")
    solo_campaign(world.b.email(PM), "Beta private plan")
    token = feeds.create_calendar_feed(actor(world.a.email(ANALYST)))

    text = feeds.calendar_feed(token)
    lines = unfold(text)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    # Two campaigns, the joint campaign's two placements (A's and B's), one milestone.
    assert lines.count("BEGIN:VEVENT") == 5
    assert "SUMMARY:Alpha newsletter — Email · Spring baking week" in lines
    assert "SUMMARY:Beta social post — Social · Spring baking week" in lines
    assert f"UID:campaign-{joint.id}@comarketing" in lines
    assert f"UID:campaign-{solo}@comarketing" in lines
    assert "SUMMARY:Spring baking week (joint)" in lines
    assert "SUMMARY:Go live — Spring baking week" in lines
    # All-day events: DTEND is the day after the last day.
    assert "DTSTART;VALUE=DATE:20270301" in lines and "DTEND;VALUE=DATE:20270501" in lines
    assert "DTSTART;VALUE=DATE:20270310" in lines and "DTEND;VALUE=DATE:20270311" in lines
    assert "Called off" not in text and "Beta private plan" not in text
    # B's feed shows the joint campaign but never A's solo one.
    b_text = feeds.calendar_feed(feeds.create_calendar_feed(actor(world.b.email(PM))))
    assert "Spring baking week" in b_text and "Beta private plan" in b_text
    assert "Solo spring" not in b_text
    # Only the token's hash is stored.
    assert token not in str(db.session.execute(sa.text("SELECT * FROM calendar_feeds")).all())


def test_a_rotated_or_revoked_feed_token_is_not_found(ctx, world):
    solo_campaign(world.a.email(PM))
    who = actor(world.a.email(PM))
    first = feeds.create_calendar_feed(who)
    second = feeds.create_calendar_feed(who)
    with pytest.raises(NotFound):
        feeds.calendar_feed(first)
    assert "Solo spring" in feeds.calendar_feed(second)
    assert feeds.has_calendar_feed(who)
    feeds.revoke_calendar_feed(who)
    assert not feeds.has_calendar_feed(who)
    for token in (second, "", "not-a-token"):
        with pytest.raises(NotFound):
            feeds.calendar_feed(token)


def test_a_deactivated_users_feed_is_not_found(ctx, world):
    solo_campaign(world.a.email(PM))
    token = feeds.create_calendar_feed(actor(world.a.email(ANALYST)))
    assert "Solo spring" in feeds.calendar_feed(token)
    members.set_active(actor(world.a.email(ADMIN)), world.a.user_ids[ANALYST], active=False)
    with pytest.raises(NotFound):
        feeds.calendar_feed(token)


def test_the_feed_escapes_text_and_folds_long_lines(ctx, world):
    campaign_id = solo_campaign(world.a.email(PM), "Flour, sugar; butter \\ eggs")
    token = feeds.create_calendar_feed(actor(world.a.email(PM)))
    assert "SUMMARY:Flour\\, sugar\\; butter \\\\ eggs (solo)" in unfold(feeds.calendar_feed(token))
    assert campaign_id

    long_name = "Crème brûlée week: " + "é" * 40 + ", with a very long tail of words " * 3
    record = SimpleNamespace(
        id=7, name=long_name, kind="solo", status="planned\nfor now", start_date=START, end_date=END
    )
    milestone = SimpleNamespace(id=9, title="Ship;it", due_on=START, done_at=None)
    text = ical.render([record], [(milestone, "Line one\r\nline two")])
    physical = text.split("\r\n")
    assert physical[-1] == ""  # every line ends with CRLF, the last one too
    # No line is longer than 75 octets, none is cut inside a character, and continuation
    # lines start with one space.
    assert all(len(line.encode()) <= 75 for line in physical)
    summary_at = next(i for i, line in enumerate(physical) if line.startswith("SUMMARY:Cr"))
    assert physical[summary_at + 1].startswith(" ")
    lines = unfold(text)
    assert f"SUMMARY:{long_name.replace(',', chr(92) + ',')} (solo)" in lines
    assert "DESCRIPTION:Status: planned\\nfor now" in lines
    assert "SUMMARY:Ship\\;it — Line one\\nline two" in lines
    assert "DESCRIPTION:Milestone of Line one\\nline two" in lines
    assert "\n" not in text.replace("\r\n", "")
