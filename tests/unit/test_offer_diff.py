"""What changed between two revisions: ``terms_snapshot``, ``diff`` and ``diff_placements`` are
pure functions, so these tests use plain objects, no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from comarketing.offers.diff import Change, diff, diff_placements, terms_snapshot
from comarketing.offers.plan import placement_rows

ALPHA, BETA, GAMMA = 1, 2, 3
NAMES = {ALPHA: "Alpha Flour", BETA: "Beta Shortening", GAMMA: "Gamma Chips"}
PRODUCTS = {10: "Alpha Classic", 11: "Alpha Rye", 20: "Beta Classic"}


def party(org: int, budget: int, revenue: int, products: list[int] | None = None) -> dict[str, Any]:
    return {
        "organization_id": org,
        "product_ids": products or [],
        "budget_share_bp": budget,
        "revenue_share_bp": revenue,
    }


def spot(
    owner: int,
    cost: int,
    name: str = "Newsletter",
    channel: str = "email",
    key: str | None = None,
    dates: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A stored placement; without ``key`` as revisions stored before keys were."""
    placement = {
        "channel": channel,
        "owner_organization_id": owner,
        "name": name,
        "planned_cost_minor": cost,
    }
    if key is not None:
        placement["key"] = key
    if dates is not None:
        placement["start_date"], placement["end_date"] = dates
    return placement


@dataclass(frozen=True)
class Rev:
    """The attributes of an OfferRevision that terms_snapshot reads."""

    title: str = "Spring baking week"
    value_proposition: str = "One recipe card"
    audience: str = ""
    start_date: date = date(2027, 3, 1)
    end_date: date = date(2027, 4, 30)
    currency: str = "EUR"
    total_budget_minor: int = 100_000
    target_reach: int | None = 50_000
    target_leads: int | None = None
    target_revenue_minor: int | None = 2_500_000
    party_terms: list[dict[str, Any]] = field(
        default_factory=lambda: [party(ALPHA, 5000, 5000, [10]), party(BETA, 5000, 5000, [20])]
    )
    placements: list[dict[str, Any]] = field(default_factory=lambda: [spot(ALPHA, 20_000)])


def all_changes(before: Rev, after: Rev) -> list[Change]:
    """What the offer page lists: the plain terms' changes, then the placements'."""
    return diff(
        terms_snapshot(before, NAMES, PRODUCTS), terms_snapshot(after, NAMES, PRODUCTS)
    ) + diff_placements(placement_rows(before, NAMES), placement_rows(after, NAMES))


def changes(before: Rev, after: Rev) -> list[tuple[str, str, str]]:
    return [(c.field, c.before, c.after) for c in all_changes(before, after)]


def kinds(before: Rev, after: Rev) -> list[tuple[str, str]]:
    return [(c.kind, c.field) for c in all_changes(before, after)]


def test_the_snapshot_shows_every_term_as_people_read_it():
    snapshot = terms_snapshot(Rev(), NAMES, PRODUCTS)
    assert snapshot == {
        "Title": "Spring baking week",
        "Value proposition": "One recipe card",
        "Target audience": "—",
        "Start date": "1 Mar 2027",
        "End date": "30 Apr 2027",
        "Currency": "EUR",
        "Total budget": "€1,000.00",
        "Target reach": "50,000",
        "Target leads": "—",
        "Target revenue": "€25,000.00",
        "Alpha Flour: budget share": "50% · €500.00",
        "Alpha Flour: revenue share": "50% · €12,500.00 of the target",
        "Alpha Flour: products": "Alpha Classic",
        "Beta Shortening: budget share": "50% · €500.00",
        "Beta Shortening: revenue share": "50% · €12,500.00 of the target",
        "Beta Shortening: products": "Beta Classic",
    }


def test_shares_in_money_split_exactly_like_the_commitments():
    """€1,000.01 at 33.33 / 33.33 / 33.34 %: the largest remainder gets the odd cent, and the
    parts add up to the total (``money.split_by_shares``, as approval commits them)."""
    three = Rev(
        total_budget_minor=100_001,
        target_revenue_minor=None,
        party_terms=[party(ALPHA, 3333, 5000), party(BETA, 3333, 5000), party(GAMMA, 3334, 0)],
    )
    snapshot = terms_snapshot(three, NAMES, PRODUCTS)
    assert snapshot["Alpha Flour: budget share"] == "33.33% · €333.30"
    assert snapshot["Beta Shortening: budget share"] == "33.33% · €333.30"
    assert snapshot["Gamma Chips: budget share"] == "33.34% · €333.41"
    # Without a revenue target a revenue share is a percentage only: no money to split.
    assert snapshot["Gamma Chips: revenue share"] == "0%"


def test_identical_terms_have_no_changes():
    assert changes(Rev(), Rev()) == []


def test_the_order_of_parties_products_and_placements_is_not_a_change():
    before = Rev(
        party_terms=[party(ALPHA, 5000, 5000, [10, 11]), party(BETA, 5000, 5000)],
        placements=[spot(ALPHA, 1), spot(BETA, 2, "Reel", "social")],
    )
    after = Rev(
        party_terms=[party(BETA, 5000, 5000), party(ALPHA, 5000, 5000, [11, 10])],
        placements=[spot(BETA, 2, "Reel", "social"), spot(ALPHA, 1)],
    )
    assert changes(before, after) == []


def test_only_the_changed_plain_fields_are_listed_in_snapshot_order():
    after = replace(Rev(), title="Summer baking week", target_leads=900)
    assert changes(Rev(), after) == [
        ("Title", "Spring baking week", "Summer baking week"),
        ("Target leads", "—", "900"),
    ]


def test_a_new_total_budget_changes_what_each_party_pays():
    after = replace(Rev(), total_budget_minor=150_050)
    assert changes(Rev(), after) == [
        ("Total budget", "€1,000.00", "€1,500.50"),
        ("Alpha Flour: budget share", "50% · €500.00", "50% · €750.25"),
        ("Beta Shortening: budget share", "50% · €500.00", "50% · €750.25"),
    ]


def test_share_changes_are_listed_per_party():
    after = Rev(party_terms=[party(ALPHA, 6667, 5000, [10]), party(BETA, 3333, 5000, [20])])
    assert changes(Rev(), after) == [
        ("Alpha Flour: budget share", "50% · €500.00", "66.67% · €666.70"),
        ("Beta Shortening: budget share", "50% · €500.00", "33.33% · €333.30"),
    ]


def test_product_changes_are_listed_per_party():
    after = Rev(party_terms=[party(ALPHA, 5000, 5000, [10, 11]), party(BETA, 5000, 5000)])
    assert changes(Rev(), after) == [
        ("Alpha Flour: products", "Alpha Classic", "Alpha Classic, Alpha Rye"),
        ("Beta Shortening: products", "Beta Classic", "—"),
    ]


def test_a_party_joining_or_leaving_shows_all_its_terms():
    three = Rev(
        target_revenue_minor=None,
        party_terms=[
            party(ALPHA, 3333, 3333, [10]),
            party(BETA, 3333, 3333, [20]),
            party(GAMMA, 3334, 3334),
        ],
    )
    two = Rev(target_revenue_minor=None)
    assert changes(two, three) == [
        ("Alpha Flour: budget share", "50% · €500.00", "33.33% · €333.30"),
        ("Alpha Flour: revenue share", "50%", "33.33%"),
        ("Beta Shortening: budget share", "50% · €500.00", "33.33% · €333.30"),
        ("Beta Shortening: revenue share", "50%", "33.33%"),
        ("Gamma Chips: budget share", "—", "33.34% · €333.40"),
        ("Gamma Chips: revenue share", "—", "33.34%"),
        # Gamma offers no products: "—" before and after is not a change.
    ]
    assert changes(three, two) == [
        ("Alpha Flour: budget share", "33.33% · €333.30", "50% · €500.00"),
        ("Alpha Flour: revenue share", "33.33%", "50%"),
        ("Beta Shortening: budget share", "33.33% · €333.30", "50% · €500.00"),
        ("Beta Shortening: revenue share", "33.33%", "50%"),
        ("Gamma Chips: budget share", "33.34% · €333.40", "—"),
        ("Gamma Chips: revenue share", "33.34%", "—"),
    ]


def test_every_listed_change_really_differs():
    three = Rev(
        party_terms=[party(ALPHA, 3000, 3000), party(BETA, 3000, 3000), party(GAMMA, 4000, 4000)]
    )
    for before, after in ((Rev(), three), (three, Rev())):
        listed = diff(
            terms_snapshot(before, NAMES, PRODUCTS), terms_snapshot(after, NAMES, PRODUCTS)
        )
        assert listed
        assert all(isinstance(c, Change) and c.before != c.after for c in listed)


def test_goals_and_currencies_format_in_the_revisions_currency():
    before = Rev(currency="JPY", total_budget_minor=1_000_000, target_revenue_minor=None)
    after = replace(before, target_revenue_minor=5_000_000, target_reach=None)
    assert changes(before, after) == [
        ("Target reach", "50,000", "—"),
        ("Target revenue", "—", "¥5,000,000"),
        ("Alpha Flour: revenue share", "50%", "50% · ¥2,500,000 of the target"),
        ("Beta Shortening: revenue share", "50%", "50% · ¥2,500,000 of the target"),
    ]


# ---------------------------------------------------------------------------------------------
# Placements are matched by identity: their key, or their content for revisions without keys.

NEWSLETTER = spot(ALPHA, 20_000, key="0000000000a1")
REEL = spot(BETA, 30_000, "Reel", "social", key="0000000000b2")


def test_adding_one_placement_shows_one_added_row():
    before = Rev(placements=[NEWSLETTER])
    after = Rev(placements=[NEWSLETTER, REEL])
    assert kinds(before, after) == [("added", "Placement added: Reel")]
    assert changes(before, after) == [
        (
            "Placement added: Reel",
            "—",
            "social · Beta Shortening · the offer's dates · €300.00",
        )
    ]


def test_removing_one_placement_shows_one_removed_row():
    before = Rev(placements=[NEWSLETTER, REEL])
    after = Rev(placements=[REEL])
    assert changes(before, after) == [
        (
            "Placement removed: Newsletter",
            "email · Alpha Flour · the offer's dates · €200.00",
            "—",
        )
    ]
    assert kinds(before, after) == [("removed", "Placement removed: Newsletter")]


def test_a_changed_placement_shows_only_its_changed_fields():
    moved = {**REEL, "name": "Spring reel", "planned_cost_minor": 35_000}
    moved |= {"start_date": "2027-03-10", "end_date": "2027-03-20"}
    before = Rev(placements=[NEWSLETTER, REEL])
    after = Rev(placements=[NEWSLETTER, moved])
    assert changes(before, after) == [
        ("Placement “Spring reel”: name", "Reel", "Spring reel"),
        ("Placement “Spring reel”: dates", "the offer's dates", "2027-03-10 \u2013 2027-03-20"),
        ("Placement “Spring reel”: planned cost", "€300.00", "€350.00"),
    ]
    assert {kind for kind, _ in kinds(before, after)} == {"changed"}


def test_two_placements_with_different_keys_are_different_even_when_alike():
    """Removing one and adding an identical one under a new key is what the form did; the
    content fallback is only for revisions stored without keys."""
    again = {**NEWSLETTER, "key": "0000000000c3"}
    assert kinds(Rev(placements=[NEWSLETTER]), Rev(placements=[again])) == [
        ("added", "Placement added: Newsletter"),
        ("removed", "Placement removed: Newsletter"),
    ]


def test_revisions_stored_without_keys_are_matched_by_content():
    old = [spot(ALPHA, 20_000), spot(BETA, 30_000, "Reel", "social")]
    # The next revision gave them keys, added one and changed the reel's cost.
    new = [
        {**old[0], "key": "0000000000a1"},
        {**old[1], "key": "0000000000b2", "planned_cost_minor": 25_000},
        spot(ALPHA, 10_000, "Shelf talker", "retail", key="0000000000c3"),
    ]
    assert changes(Rev(placements=old), Rev(placements=new)) == [
        ("Placement “Reel”: planned cost", "€300.00", "€250.00"),
        (
            "Placement added: Shelf talker",
            "—",
            "retail · Alpha Flour · the offer's dates · €100.00",
        ),
    ]
    # Between two keyless revisions too: unchanged ones match, a new one is one added row.
    assert kinds(Rev(placements=old), Rev(placements=[*old, spot(BETA, 1, "Flyer")])) == [
        ("added", "Placement added: Flyer")
    ]


def test_the_placements_read_with_their_dates_earliest_first():
    late = spot(ALPHA, 100, "Late", key="0000000000d4", dates=("2027-04-01", "2027-04-30"))
    early = spot(BETA, 200, "Early", key="0000000000e5", dates=("2027-03-01", "2027-03-15"))
    rows = placement_rows(Rev(placements=[late, early, spot(ALPHA, 300, "Whole run")]), NAMES)
    assert [(r.name, r.dates, r.cost) for r in rows] == [
        ("Early", "2027-03-01 \u2013 2027-03-15", "€2.00"),
        ("Whole run", "the offer's dates", "€3.00"),
        ("Late", "2027-04-01 \u2013 2027-04-30", "€1.00"),
    ]
