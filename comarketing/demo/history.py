"""The demo's year, as a plan: fourteen solo and joint campaigns of the three brands over the
last twelve months, each with its placements, dates, budget shares and how well it does.
Plain data: ``results`` writes it through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class PlannedDemoPlacement(NamedTuple):
    channel: str
    owner: str  # key of the owning company: flour, shortening or chips
    name: str
    planned_cost: int  # major units


@dataclass(frozen=True)
class PlannedDemoCampaign:
    name: str
    owner: str  # the solo owner, or the joint campaign's proposer
    description: str
    starts_days_ago: int
    days: int
    placements: tuple[PlannedDemoPlacement, ...]
    # Joint campaigns: budget (= revenue) share of every party in basis points.
    shares: dict[str, int] = field(default_factory=dict)
    lift: float = 1.0  # reach per unit of the whole budget, relative to a solo campaign
    currency: str = "EUR"
    goal: float = 0.9  # the goals as a part of what the whole run brings (above 1: missed)

    @property
    def joint(self) -> bool:
        return bool(self.shares)


P = PlannedDemoPlacement
FLOUR_SHORTENING = {"flour": 5_000, "shortening": 5_000}

HISTORY: tuple[PlannedDemoCampaign, ...] = (
    PlannedDemoCampaign(
        "New Year whole wheat reset",
        "flour",
        "January resolutions: whole wheat bread at home, on search and social.",
        325,
        35,
        (
            P("search", "flour", "Whole wheat search ads", 6_000),
            P("social", "flour", "Whole wheat loaf reels", 5_000),
            P("display", "flour", "Healthy baking banners", 4_000),
        ),
    ),
    PlannedDemoCampaign(
        "Valentine's shortbread swap",
        "flour",
        "A shortbread recipe printed on both packages for Valentine's Day.",
        290,
        28,
        (
            P("packaging", "flour", "Shortbread recipe on the flour bag", 6_000),
            P("social", "shortening", "Goldcrest shortbread reels", 4_000),
            P("email", "flour", "Millstone newsletter: Valentine's bake", 2_000),
        ),
        shares=FLOUR_SHORTENING,
        lift=1.25,
    ),
    PlannedDemoCampaign(
        "Sourdough season",
        "flour",
        "Bread flour for sourdough beginners: search, banners and the newsletter.",
        265,
        42,
        (
            P("search", "flour", "Sourdough search ads", 8_000),
            P("display", "flour", "Sourdough starter banners", 5_000),
            P("email", "flour", "Millstone newsletter: sourdough series", 2_500),
        ),
        goal=1.2,
    ),
    PlannedDemoCampaign(
        "Brownie week",
        "chips",
        "Fudgy brownies with Goldcrest shortening and ChipCraft chunks.",
        250,
        21,
        (
            P("social", "chips", "ChipCraft brownie reels", 4_000),
            P("email", "shortening", "Goldcrest newsletter: brownie week", 2_000),
            P("display", "chips", "Brownie banners", 3_000),
        ),
        shares={"shortening": 5_000, "chips": 5_000},
        lift=1.2,
        goal=1.15,
    ),
    PlannedDemoCampaign(
        "Summer pie-crust club",
        "shortening",
        "Flaky summer pies: the recipe in stores, on packs and in partner newsletters.",
        230,
        42,
        (
            P("packaging", "shortening", "Pie-crust recipe on the shortening tub", 7_000),
            P("retail", "flour", "Pie corner displays in supermarkets", 5_000),
            P("partner_newsletter", "shortening", "Pie recipe in grocers' newsletters", 2_500),
            P("social", "flour", "Millstone pie-crust reels", 3_000),
        ),
        shares=FLOUR_SHORTENING,
        lift=1.2,
    ),
    PlannedDemoCampaign(
        "Summer bread flour reels",
        "flour",
        "Grill breads and flatbreads for the summer, on social media.",
        200,
        35,
        (
            P("social", "flour", "Flatbread reels", 7_000),
            P("display", "flour", "Summer bread banners", 4_500),
        ),
    ),
    PlannedDemoCampaign(
        "Flaky crust tips",
        "shortening",
        "Goldcrest's own series of pastry tips.",
        180,
        35,
        (
            P("search", "shortening", "Pastry tips search ads", 4_000),
            P("social", "shortening", "Pastry tips videos", 4_000),
        ),
    ),
    PlannedDemoCampaign(
        "US launch: bread flour online",
        "flour",
        "Testing the US market alone: bread flour sold online, in US dollars.",
        170,
        60,
        (
            P("search", "flour", "US bread flour search ads", 9_000),
            P("social", "flour", "US bread flour reels", 6_000),
            P("display", "flour", "US retargeting banners", 3_000),
        ),
        currency="USD",
    ),
    PlannedDemoCampaign(
        "Dark chunks launch",
        "chips",
        "ChipCraft's 70% dark chunks, launched on its own.",
        160,
        42,
        (
            P("display", "chips", "Dark chunks banners", 5_000),
            P("social", "chips", "Dark chunks reels", 5_000),
            P("search", "chips", "Dark chunks search ads", 3_000),
        ),
    ),
    PlannedDemoCampaign(
        "Back-to-school cookie bake",
        "flour",
        "After-school cookies: one recipe, both brands, shared ads and shelves.",
        130,
        35,
        (
            P("social", "flour", "Back-to-school cookie reels", 5_000),
            P("email", "shortening", "Goldcrest newsletter: lunchbox cookies", 2_500),
            P("retail", "shortening", "Cookie shelf talkers", 4_000),
            P("search", "flour", "Cookie recipe search ads", 3_000),
        ),
        shares=FLOUR_SHORTENING,
        lift=1.3,
    ),
    PlannedDemoCampaign(
        "Autumn back-to-baking",
        "flour",
        "Millstone's own autumn push on search, social and the newsletter.",
        105,
        42,
        (
            P("search", "flour", "Autumn baking search ads", 7_000),
            P("social", "flour", "Autumn baking reels", 6_000),
            P("email", "flour", "Millstone newsletter: autumn bakes", 2_500),
        ),
    ),
    PlannedDemoCampaign(
        "The ultimate chocolate chip cookie",
        "shortening",
        "Three brands, one cookie: the recipe on every pack, a tasting tour and shared reels.",
        75,
        42,
        (
            P("packaging", "chips", "Cookie recipe on the chips bag", 6_000),
            P("packaging", "flour", "Cookie recipe on the flour bag", 6_000),
            P("social", "shortening", "Ultimate cookie reels", 5_000),
            P("event", "shortening", "Cookie tasting tour", 4_000),
        ),
        shares={"shortening": 4_000, "flour": 3_000, "chips": 3_000},
        lift=1.45,
    ),
    PlannedDemoCampaign(
        "Pre-holiday baking banners",
        "flour",
        "Reminding holiday bakers to stock up, before the joint recipe swap.",
        45,
        31,
        (
            P("display", "flour", "Stock-up banners", 6_000),
            P("search", "flour", "Holiday flour search ads", 5_000),
        ),
    ),
    PlannedDemoCampaign(
        "Holiday gift baking search",
        "flour",
        "Gift baking ideas on search, running through the holidays.",
        20,
        40,
        (
            P("search", "flour", "Gift baking search ads", 6_000),
            P("display", "flour", "Gift baking banners", 3_000),
        ),
    ),
)
