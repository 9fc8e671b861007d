"""The planning calendar through its services: the band layout (pure), clashes at placement
level (channel and blackout), the month and week views with their filters, and tenancy."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from comarketing.accounts.models import User
from comarketing.campaigns import calendar_grid, clashes, feeds, lifecycle, milestones, schedule
from comarketing.campaigns.clashes import Clash, Ref
from comarketing.campaigns.models import MilestoneKind
from comarketing.extensions import db
from tests.campaign_helpers import ANALYST, PM, add_placement, joint_campaign, solo_campaign
from tests.offer_helpers import actor

MARCH = (date(2027, 3, 1), date(2027, 3, 31))


# ---------------------------------------------------------------------------------------------
# The layout: bands across weeks, stacked in lanes (no database)


def test_an_item_over_three_weeks_is_three_bands_not_a_chip_per_day():
    weeks = calendar_grid.month_weeks(2027, 3)  # Monday 1 March .. Sunday 4 April
    assert weeks[0][0] == date(2027, 3, 1) and weeks[-1][-1] == date(2027, 4, 4)
    laid = calendar_grid.lay_out(weeks, [("x", date(2027, 3, 4), date(2027, 3, 17))])
    bands = [
        (cell.segment.column, cell.segment.span, cell.segment.continues_before,
         cell.segment.continues_after)
        for week in laid for lane in week.lanes for cell in lane if cell.segment
    ]  # fmt: skip
    assert bands == [(3, 4, False, True), (0, 7, True, True), (0, 3, True, False)]
    # Each lane's cells cover the seven days exactly.
    assert all(sum(c.span for c in lane) == 7 for week in laid for lane in week.lanes)
    assert [len(week.lanes) for week in laid] == [1, 1, 1, 0, 0]


def test_bands_take_the_first_free_lane_and_overflow_is_counted_per_day():
    week = [calendar_grid.week_of(date(2027, 3, 10))]
    assert week[0][0] == date(2027, 3, 8)  # the Monday
    items = [
        ("long", date(2027, 3, 8), date(2027, 3, 14)),
        ("mon", date(2027, 3, 8), date(2027, 3, 8)),
        ("fri", date(2027, 3, 12), date(2027, 3, 12)),
        ("tue-wed", date(2027, 3, 9), date(2027, 3, 10)),
    ]
    [laid] = calendar_grid.lay_out(week, items)
    assert [[c.segment.item if c.segment else c.span for c in lane] for lane in laid.lanes] == [
        ["long"],
        ["mon", "tue-wed", 1, "fri", 2],
    ]
    [capped] = calendar_grid.lay_out(week, items, max_lanes=1)
    assert capped.items == ["long"]
    assert capped.hidden == [1, 1, 1, 0, 1, 0, 0] and capped.has_hidden


# ---------------------------------------------------------------------------------------------
# Clashes


def two_solos(world, *, second_channel: str = "email") -> tuple[int, int, int, int]:
    """A's solo X (1-31 March, email 1-20 March) and Y (10 March - 10 April, email or another
    channel 15-31 March): they overlap on 15-20 March. Returns (x, y, x's and y's placement)."""
    pm_a = world.a.email(PM)
    x = solo_campaign(pm_a, "Solo X", start=date(2027, 3, 1), end=date(2027, 3, 31))
    y = solo_campaign(pm_a, "Solo Y", start=date(2027, 3, 10), end=date(2027, 4, 10))
    px = add_placement(
        pm_a, x, world.a.id, name="X mail", start=date(2027, 3, 1), end=date(2027, 3, 20)
    )
    py = add_placement(
        pm_a,
        y,
        world.a.id,
        name="Y mail",
        channel=second_channel,
        start=date(2027, 3, 15),
        end=date(2027, 3, 31),
    )
    return x, y, px, py


def test_two_of_my_placements_on_one_channel_at_the_same_time_clash(ctx, world):
    x, y, px, py = two_solos(world)
    assert clashes.find(world.a.id, *MARCH) == [
        Clash(
            clashes.CHANNEL,
            "email",
            Ref("placement", px, "X mail", x, "Solo X"),
            Ref("placement", py, "Y mail", y, "Solo Y"),
            date(2027, 3, 15),
            date(2027, 3, 20),
        )
    ]
    # Outside the window asked about: nothing. B never sees A's clash.
    assert clashes.find(world.a.id, date(2027, 3, 21), date(2027, 4, 30)) == []
    assert clashes.find(world.b.id, *MARCH) == []


def test_each_overlapping_pair_of_placements_is_its_own_clash(ctx, world):
    _, y, px, py = two_solos(world)
    early = add_placement(
        world.a.email(PM),
        y,
        world.a.id,
        name="Early",
        start=date(2027, 3, 10),
        end=date(2027, 3, 12),
    )
    found = clashes.find(world.a.id, *MARCH)
    assert [(c.first.id, c.second.id, c.start, c.end) for c in found] == [
        (px, early, date(2027, 3, 10), date(2027, 3, 12)),
        (px, py, date(2027, 3, 15), date(2027, 3, 20)),
    ]
    assert len(clashes.involving(found, "placement", px)) == 2


@pytest.mark.parametrize("case", ["other channel", "same campaign", "cancelled", "partner"])
def test_what_is_not_a_channel_clash(ctx, world, case):
    pm_a = world.a.email(PM)
    if case == "other channel":
        two_solos(world, second_channel="social")
    elif case == "same campaign":
        # Two placements of one campaign on one channel were planned together, on purpose.
        x = solo_campaign(pm_a, "Solo X", start=date(2027, 3, 1), end=date(2027, 3, 31))
        add_placement(pm_a, x, world.a.id, name="First")
        add_placement(pm_a, x, world.a.id, name="Reminder")
    elif case == "cancelled":
        x, *_ = two_solos(world)
        lifecycle.change_status(actor(pm_a), x, "cancel")
    else:
        # The joint campaign's social placement is B's channel, not A's.
        joint_campaign(world)
        solo = solo_campaign(pm_a, "Solo social", start=date(2027, 3, 1), end=date(2027, 3, 31))
        add_placement(pm_a, solo, world.a.id, channel="social")
    assert clashes.find(world.a.id, *MARCH) == []
    assert clashes.find(world.b.id, *MARCH) == []


def test_my_placement_in_a_joint_campaign_clashes_with_my_solo_one(ctx, world):
    joint = joint_campaign(world)  # A's email newsletter runs all of March and April
    solo = solo_campaign(world.a.email(PM), "Solo mail", start=MARCH[0], end=MARCH[1])
    mine = add_placement(
        world.a.email(PM), solo, world.a.id, start=date(2027, 3, 5), end=date(2027, 3, 6)
    )
    [clash] = clashes.find(world.a.id, *MARCH)
    assert (clash.first.id, clash.second.id) == (joint.a_placement, mine)
    assert (clash.start, clash.end) == (date(2027, 3, 5), date(2027, 3, 6))
    # B takes part in the joint campaign but not in A's solo one: B sees nothing of it.
    assert clashes.find(world.b.id, *MARCH) == []


def blackout(world, campaign_id: int, owner, day: date, kind: str = "blackout") -> int:
    return milestones.add_milestone(
        actor(owner.email(PM)),
        campaign_id,
        kind=kind,
        title="Press embargo",
        owner_organization_id=owner.id,
        due_on=day,
    ).id


def test_a_partners_blackout_blocks_my_placement_and_both_of_us_see_it(ctx, world):
    joint = joint_campaign(world)
    embargo = blackout(world, joint.id, world.b, date(2027, 3, 10))
    expected = [
        Clash(
            clashes.BLOCKED,
            "email",
            Ref("placement", joint.a_placement, "Alpha newsletter", joint.id, "Spring baking week"),
            Ref("milestone", embargo, "Press embargo", joint.id, "Spring baking week"),
            date(2027, 3, 10),
            date(2027, 3, 10),
        )
    ]
    # B's own social placement runs that day too, but B's blackout is B's own plan.
    assert clashes.find(world.a.id, *MARCH) == expected
    assert clashes.find(world.b.id, *MARCH) == expected
    # C is no party: nothing.
    assert clashes.find(world.c.id, *MARCH) == []


def test_a_blackout_marked_done_is_lifted_and_other_kinds_block_nothing(ctx, world):
    joint = joint_campaign(world)
    blackout(world, joint.id, world.b, date(2027, 3, 12), kind="go_live")
    embargo = blackout(world, joint.id, world.b, date(2027, 3, 10))
    assert len(clashes.find(world.a.id, *MARCH)) == 1
    milestones.complete_milestone(actor(world.b.email(PM)), joint.id, embargo)
    assert clashes.find(world.a.id, *MARCH) == []
    assert MilestoneKind.BLACKOUT.label == "Blackout (no placements)"


# ---------------------------------------------------------------------------------------------
# The month and week views


def build(world, who=None, mode=schedule.MONTH, anchor=date(2027, 3, 1), **filters):
    person = actor((who or world.a).email(PM))
    return schedule.build(person, mode, anchor, filters, date(2027, 3, 17))


def shown(view) -> set[tuple[str, int]]:
    return {(item.kind, item.id) for week in view.weeks for item in week.items}


def test_the_month_shows_campaign_bands_placements_and_milestones_with_clashes(ctx, world):
    x, y, px, py = two_solos(world)
    launch = blackout(world, y, world.a, date(2027, 3, 18), kind="launch")
    solo_campaign(world.b.email(PM), "Beta solo", start=MARCH[0], end=MARCH[1])
    view = build(world)
    assert (view.first, view.last) == (date(2027, 3, 1), date(2027, 4, 4))
    assert (view.previous, view.next) == (date(2027, 2, 1), date(2027, 4, 1))
    assert shown(view) == {
        ("campaign", x), ("campaign", y), ("placement", px), ("placement", py),
        ("milestone", launch),
    }  # fmt: skip
    # Campaign X (all of March) is one band per week it touches, not a chip per day.
    x_bands = [
        cell.segment
        for week in view.weeks for lane in week.lanes for cell in lane
        if cell.segment and cell.segment.item.kind == "campaign" and cell.segment.item.id == x
    ]  # fmt: skip
    assert [(s.column, s.span) for s in x_bands] == [(0, 7)] * 4 + [(0, 3)]
    flagged = {(item.kind, item.id) for week in view.weeks for item in week.items if item.clashes}
    assert flagged == {("placement", px), ("placement", py)}
    assert sorted(view.clash_days) == [date(2027, 3, d) for d in range(15, 21)]
    assert view.counts == {"campaign": 2, "placement": 2, "milestone": 1}
    december = build(world, anchor=date(2027, 12, 25))
    assert (december.anchor, december.previous, december.next) == (
        date(2027, 12, 1), date(2027, 11, 1), date(2028, 1, 1)
    )  # fmt: skip


def test_the_week_view_shows_one_week_and_steps_by_seven_days(ctx, world):
    x, y, px, _ = two_solos(world)
    view = build(world, mode=schedule.WEEK, anchor=date(2027, 3, 11))
    assert [len(view.weeks), view.first, view.last] == [1, date(2027, 3, 8), date(2027, 3, 14)]
    assert (view.previous, view.next) == (date(2027, 3, 1), date(2027, 3, 15))
    assert shown(view) == {("campaign", x), ("campaign", y), ("placement", px)}


def test_a_month_caps_its_lanes_and_the_week_shows_everything(ctx, world):
    pm_a = world.a.email(PM)
    x = solo_campaign(pm_a, "Busy", start=MARCH[0], end=MARCH[1])
    channels = ["email", "social", "search", "display", "packaging", "retail", "event", "webinar"]
    for channel in [*channels, "content", "other"]:
        add_placement(pm_a, x, world.a.id, channel=channel, name=channel)
    month = build(world)
    assert len(month.weeks[0].lanes) == schedule.MONTH_LANES
    assert month.weeks[0].hidden == [3] * 7  # 1 campaign + 10 placements in 8 lanes
    week = build(world, mode=schedule.WEEK)
    assert len(week.weeks[0].lanes) == 11 and not week.weeks[0].has_hidden


def test_filters_by_campaign_partner_channel_and_owner(ctx, world):
    joint = joint_campaign(world)  # A's email and B's social, all of March and April
    x, y, px, py = two_solos(world, second_channel="social")
    b_milestone = blackout(world, joint.id, world.b, date(2027, 3, 3), kind="review")
    everything = shown(build(world))
    assert ("placement", joint.b_placement) in everything and ("campaign", y) in everything

    by_campaign = build(world, campaign=str(x))
    assert shown(by_campaign) == {("campaign", x), ("placement", px)}
    by_partner = build(world, partner=str(world.b.id))
    assert {k for k, _ in shown(by_partner)} == {"campaign", "placement", "milestone"}
    assert all(item.campaign_id == joint.id for w in by_partner.weeks for item in w.items)
    social = build(world, channel="social")
    assert shown(social) == {
        ("campaign", joint.id), ("campaign", y), ("placement", joint.b_placement),
        ("placement", py), ("milestone", b_milestone),
    }  # fmt: skip
    partners = build(world, owner="partners")
    assert shown(partners) == {
        ("campaign", joint.id), ("placement", joint.b_placement), ("milestone", b_milestone)
    }  # fmt: skip
    mine = build(world, owner="mine")
    assert ("placement", joint.b_placement) not in shown(mine)
    assert ("placement", joint.a_placement) in shown(mine)
    assert all(view.errors == {} for view in (by_campaign, by_partner, social, partners, mine))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("campaign", "abc"),
        ("campaign", "999999"),
        ("campaign", "9" * 40),
        ("partner", "-1"),
        ("channel", "telepathy"),
        ("owner", "everyone"),
    ],
)
def test_a_bad_filter_value_is_dropped_with_a_message(ctx, world, name, value):
    joint_campaign(world)
    view = build(world, **{name: value})
    assert list(view.errors) == [name]
    assert view.filters.as_args() == {}
    assert ("campaign", view.choices.campaigns[0][0]) in shown(view)


def test_a_partners_solo_campaign_and_placements_never_show(ctx, world):
    joint = joint_campaign(world)
    pm_b = world.b.email(PM)
    b_solo = solo_campaign(pm_b, "Beta private plan", start=MARCH[0], end=MARCH[1])
    b_private = add_placement(pm_b, b_solo, world.b.id, name="Beta private mail")
    blackout(world, b_solo, world.b, date(2027, 3, 9))
    # Even named in the filter, B's solo campaign reads like one that does not exist.
    for filters in ({}, {"campaign": str(b_solo)}, {"owner": "partners"}, {"channel": "email"}):
        view = build(world, **filters)
        assert ("campaign", b_solo) not in shown(view)
        assert ("placement", b_private) not in shown(view)
        assert b_solo not in {cid for cid, _ in view.choices.campaigns}
    assert build(world, campaign=str(b_solo)).errors == {
        "campaign": build(world, campaign="999999").errors["campaign"]
    }
    # B's private placement overlaps B's joint social placement only across campaigns of B;
    # whatever B's own clashes are, A never learns of them.
    assert all(c.first.id != b_private for c in clashes.find(world.a.id, *MARCH))
    assert ("campaign", joint.id) in shown(build(world, who=world.b))


# ---------------------------------------------------------------------------------------------
# The iCalendar feed: placements and milestones too, in the reader's zone


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_feed_carries_placements_milestones_and_clashes_in_the_readers_zone(ctx, world):
    joint = joint_campaign(world)
    embargo = blackout(world, joint.id, world.b, date(2027, 3, 10))
    review = blackout(world, joint.id, world.a, date(2027, 3, 12), kind="review")
    with freeze_time("2027-03-12 12:30:00"):
        milestones.complete_milestone(actor(world.a.email(PM)), joint.id, review)
    pm_b = world.b.email(PM)
    b_solo = solo_campaign(pm_b, "Beta private plan", start=MARCH[0], end=MARCH[1])
    add_placement(pm_b, b_solo, world.b.id, name="Beta private mail")
    reader = db.session.get(User, world.a.user_ids[ANALYST])
    reader.time_zone = "Europe/Berlin"
    db.session.commit()

    with freeze_time("2027-03-15 09:00:00"):
        text = feeds.calendar_feed(feeds.create_calendar_feed(actor(world.a.email(ANALYST))))
    lines = unfold(text)
    assert "X-WR-TIMEZONE:Europe/Berlin" in lines
    a_name, b_name = world.a.name, world.b.name
    assert f"UID:placement-{joint.a_placement}@comarketing" in lines
    assert "SUMMARY:Alpha newsletter — Email · Spring baking week" in lines
    assert "CATEGORIES:Email" in lines and "CATEGORIES:Social" in lines
    # The placement's days are all-day dates (the same days for every reader).
    assert "DTSTART;VALUE=DATE:20270301" in lines and "DTEND;VALUE=DATE:20270501" in lines
    assert (
        f"DESCRIPTION:Email placement of {a_name} in Spring baking week\\nClash: Alpha newsletter "
        "(Spring baking week) runs on the blackout Press embargo\\, 2027-03-10"
    ) in lines
    assert f"UID:milestone-{embargo}@comarketing" in lines
    assert any(
        line.startswith(f"DESCRIPTION:Blackout of {b_name}: no placements of Spring baking week")
        and "Clash: Alpha newsletter" in line
        for line in lines
    )
    # Done at 12:30 UTC: 13:30 in Berlin, with the zone's abbreviation.
    assert (
        f"DESCRIPTION:Milestone of Spring baking week\\, owned by {a_name}"
        "\\nDone 12 Mar 2027\\, 13:30 CET"
    ) in lines
    # B's solo campaign and its placement stay B's.
    assert "Beta private" not in text
