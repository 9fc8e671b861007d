"""What changed between two revisions: ``terms_snapshot`` and ``diff`` are pure functions, so
these tests use plain objects, no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from comarketing.offers.diff import Change, diff, terms_snapshot

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


def spot(owner: int, cost: int, name: str = "Newsletter", channel: str = "email") -> dict[str, Any]:
    return {
        "channel": channel,
        "owner_organization_id": owner,
        "name": name,
        "planned_cost_minor": cost,
    }


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


def changes(before: Rev, after: Rev) -> list[tuple[str, str, str]]:
    return [
        (c.field, c.before, c.after)
        for c in diff(
            terms_snapshot(before, NAMES, PRODUCTS), terms_snapshot(after, NAMES, PRODUCTS)
        )
    ]


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
        "Alpha Flour: budget share": "50%",
        "Alpha Flour: revenue share": "50%",
        "Alpha Flour: products": "Alpha Classic",
        "Beta Shortening: budget share": "50%",
        "Beta Shortening: revenue share": "50%",
        "Beta Shortening: products": "Beta Classic",
        "Planned placements": "Newsletter · email · Alpha Flour · €200.00",
    }


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
    after = replace(Rev(), total_budget_minor=150_050, title="Summer baking week", target_leads=900)
    assert changes(Rev(), after) == [
        ("Title", "Spring baking week", "Summer baking week"),
        ("Total budget", "€1,000.00", "€1,500.50"),
        ("Target leads", "—", "900"),
    ]


def test_share_changes_are_listed_per_party():
    after = Rev(party_terms=[party(ALPHA, 6667, 5000, [10]), party(BETA, 3333, 5000, [20])])
    assert changes(Rev(), after) == [
        ("Alpha Flour: budget share", "50%", "66.67%"),
        ("Beta Shortening: budget share", "50%", "33.33%"),
    ]


def test_product_changes_are_listed_per_party():
    after = Rev(party_terms=[party(ALPHA, 5000, 5000, [10, 11]), party(BETA, 5000, 5000)])
    assert changes(Rev(), after) == [
        ("Alpha Flour: products", "Alpha Classic", "Alpha Classic, Alpha Rye"),
        ("Beta Shortening: products", "Beta Classic", "—"),
    ]


def test_placement_changes_show_the_whole_list_before_and_after():
    after = Rev(placements=[spot(ALPHA, 25_000), spot(BETA, 5_000, "Shelf talker", "retail")])
    assert changes(Rev(), after) == [
        (
            "Planned placements",
            "Newsletter · email · Alpha Flour · €200.00",
            "Newsletter · email · Alpha Flour · €250.00\n"
            "Shelf talker · retail · Beta Shortening · €50.00",
        )
    ]
    assert changes(Rev(), Rev(placements=[])) == [
        ("Planned placements", "Newsletter · email · Alpha Flour · €200.00", "—")
    ]


def test_a_party_joining_or_leaving_shows_all_its_terms():
    three = Rev(
        party_terms=[
            party(ALPHA, 3333, 3333, [10]),
            party(BETA, 3333, 3333, [20]),
            party(GAMMA, 3334, 3334),
        ]
    )
    assert changes(Rev(), three) == [
        ("Alpha Flour: budget share", "50%", "33.33%"),
        ("Alpha Flour: revenue share", "50%", "33.33%"),
        ("Beta Shortening: budget share", "50%", "33.33%"),
        ("Beta Shortening: revenue share", "50%", "33.33%"),
        ("Gamma Chips: budget share", "—", "33.34%"),
        ("Gamma Chips: revenue share", "—", "33.34%"),
        # Gamma offers no products: "—" before and after is not a change.
    ]
    assert changes(three, Rev()) == [
        ("Alpha Flour: budget share", "33.33%", "50%"),
        ("Alpha Flour: revenue share", "33.33%", "50%"),
        ("Beta Shortening: budget share", "33.33%", "50%"),
        ("Beta Shortening: revenue share", "33.33%", "50%"),
        ("Gamma Chips: budget share", "33.34%", "—"),
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
    ]
