"""Demo data: three baking brands that market together, with a year of solo and joint campaign
results for the ROI dashboard. Idempotent: safe to run twice."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from comarketing.accounts import registration
from comarketing.accounts.models import Organization, User
from comarketing.budgets import commitments, expenses
from comarketing.campaigns import lifecycle, milestones
from comarketing.campaigns import placements as campaign_placements
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.metrics import entry as metric_entry
from comarketing.metrics.models import ImportSource
from comarketing.money import exponent as money_exponent
from comarketing.money import split_by_shares, to_decimal_string
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Role

DEMO_PASSWORD = "bake-together-2026"  # noqa: S105 (published demo sign-in)
ACTIVE_PARTNERSHIP_AGE_DAYS = 420

COMPANIES: list[dict[str, Any]] = [
    {
        "name": "Millstone Flour Co.",
        "domain": "millstone.example",
        "products": [
            ("Millstone All-Purpose Flour", "Flour", "Unbleached all-purpose wheat flour, 2 kg."),
            ("Millstone Bread Flour", "Flour", "High-protein flour for crusty loaves, 1.5 kg."),
            ("Millstone Whole Wheat Flour", "Flour", "Stone-ground whole wheat, 1 kg."),
        ],
    },
    {
        "name": "Goldcrest Shortening",
        "domain": "goldcrest.example",
        "products": [
            ("Goldcrest Baking Shortening", "Fats & oils", "All-vegetable shortening, 1 kg tub."),
            ("Goldcrest Butter-Flavor Sticks", "Fats & oils", "Pre-measured shortening sticks."),
        ],
    },
    {
        "name": "ChipCraft Chocolate",
        "domain": "chipcraft.example",
        "products": [
            ("ChipCraft Semi-Sweet Chips", "Chocolate", "Classic 45% cacao baking chips, 350 g."),
            ("ChipCraft Dark Chunks", "Chocolate", "70% cacao chunks for cookies, 300 g."),
        ],
    },
]

PEOPLE = [
    ("admin", "Alex Admin", Role.ADMIN),
    ("partners", "Pat Partner-Manager", Role.PARTNER_MANAGER),
    ("approvals", "Avery Approver", Role.APPROVER),
    ("insights", "Ana Analyst", Role.ANALYST),
]


def _email(local: str, domain: str) -> str:
    return f"{local}@{domain}"


def _ensure_company(spec: dict[str, Any]) -> tuple[Organization, bool]:
    admin_email = _email("admin", spec["domain"])
    existing = db.session.scalar(sa.select(User).where(User.email == admin_email))
    if existing is not None:
        return existing.organization, False
    admin = registration.create_organization_with_admin(
        organization_name=spec["name"],
        name=f"{PEOPLE[0][1]} ({spec['name'].split()[0]})",
        email=admin_email,
        password=DEMO_PASSWORD,
    )
    organization = admin.organization
    from comarketing.accounts.passwords import hash_password

    password_hash = hash_password(DEMO_PASSWORD)
    for local, name, role in PEOPLE[1:]:
        db.session.add(
            User(
                organization_id=organization.id,
                email=_email(local, spec["domain"]),
                name=f"{name} ({spec['name'].split()[0]})",
                password_hash=password_hash,
                role=role.value,
                password_changed_at=utcnow(),
            )
        )
    for name, category, description in spec["products"]:
        db.session.add(
            Product(
                organization_id=organization.id,
                name=name,
                category=category,
                description=description,
            )
        )
    db.session.flush()
    return organization, True


def _ensure_partnership(
    inviter: Organization,
    invitee: Organization,
    invitee_domain: str,
    status: PartnershipStatus,
    message: str,
) -> bool:
    exists = db.session.scalar(
        sa.select(Partnership.id).where(
            sa.or_(
                sa.and_(
                    Partnership.inviter_organization_id == inviter.id,
                    Partnership.invitee_organization_id == invitee.id,
                ),
                sa.and_(
                    Partnership.inviter_organization_id == invitee.id,
                    Partnership.invitee_organization_id == inviter.id,
                ),
            )
        )
    )
    if exists:
        return False
    now = utcnow()
    active = status == PartnershipStatus.ACTIVE
    # Active partners have worked together for over a year (the demo's joint history).
    invited = now - timedelta(days=ACTIVE_PARTNERSHIP_AGE_DAYS if active else 1)
    db.session.add(
        Partnership(
            inviter_organization_id=inviter.id,
            invitee_organization_id=invitee.id,
            invitee_email=_email("partners", invitee_domain),
            status=status.value,
            message=message,
            created_at=invited,
            expires_at=invited + timedelta(days=14),
            responded_at=invited + timedelta(days=1) if active else None,
        )
    )
    return True


def seed() -> Iterator[str]:
    organizations = []
    for spec in COMPANIES:
        organization, created = _ensure_company(spec)
        organizations.append(organization)
        yield f"{'created' if created else 'kept'}: {organization.name}"
    flour, shortening, chips = organizations
    if _ensure_partnership(
        flour,
        shortening,
        COMPANIES[1]["domain"],
        PartnershipStatus.ACTIVE,
        "Cookie season is coming: one recipe, both packages?",
    ):
        yield f"created: active partnership {flour.name} <-> {shortening.name}"
    if _ensure_partnership(
        chips,
        flour,
        COMPANIES[0]["domain"],
        PartnershipStatus.PENDING,
        "Our chips and your flour belong in the same cookie.",
    ):
        yield f"created: pending invitation {chips.name} -> {flour.name}"
    if _ensure_partnership(
        shortening,
        chips,
        COMPANIES[2]["domain"],
        PartnershipStatus.ACTIVE,
        "Shortening and chocolate chips: the two halves of a good cookie.",
    ):
        yield f"created: active partnership {shortening.name} <-> {chips.name}"
    db.session.commit()
    yield from _ensure_offers(flour, shortening)
    yield from _ensure_history({"flour": flour, "shortening": shortening, "chips": chips})
    yield f"Demo sign-ins (password '{DEMO_PASSWORD}'):"
    for spec in COMPANIES:
        for local, _, role in PEOPLE:
            yield f"  {_email(local, spec['domain']):28} {role.label:16} {spec['name']}"


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return user


def _products(organization: Organization) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Product.id)
            .where(Product.organization_id == organization.id)
            .order_by(Product.id)
            .limit(1)
        )
    )


def _ensure_offers(flour: Organization, shortening: Organization) -> Iterator[str]:
    """One joint offer approved into a campaign, one awaiting the shortening company."""
    from comarketing.context import Actor
    from comarketing.offers import proposals, reviews
    from comarketing.offers.models import Offer
    from comarketing.offers.terms import PartyTermsInput, PlacementInput, TermsInput

    if db.session.scalar(
        sa.select(Offer.id).where(Offer.proposer_organization_id == flour.id).limit(1)
    ):
        return
    flour_manager = Actor(_user("partners@millstone.example"))
    shortening_approver = Actor(_user("approvals@goldcrest.example"))
    today = utcnow().date()

    def terms(title: str, budget: int, start_in: int, days: int) -> TermsInput:
        return TermsInput(
            title=title,
            value_proposition="One cookie recipe printed on both packages: each brand reaches "
            "the other's buyers.",
            audience="Home bakers, 25-55, baking at least monthly",
            start_date=today + timedelta(days=start_in),
            end_date=today + timedelta(days=start_in + days),
            currency="EUR",
            total_budget_minor=budget,
            target_reach=400_000,
            target_leads=6_000,
            parties=[
                PartyTermsInput(flour.id, _products(flour), 5000, 5000),
                PartyTermsInput(shortening.id, _products(shortening), 5000, 5000),
            ],
            placements=[
                PlacementInput("packaging", flour.id, "Recipe on the 2 kg flour bag", budget // 4),
                PlacementInput(
                    "packaging", shortening.id, "Recipe on the shortening tub", budget // 4
                ),
                PlacementInput(
                    "social", flour.id, "Recipe video, Instagram and TikTok", budget // 5
                ),
                PlacementInput("email", shortening.id, "Goldcrest baking newsletter", budget // 10),
            ],
        )

    approved = proposals.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Holiday cookie recipe swap", 2_400_000, -10, 45),
    )
    proposals.send(flour_manager, approved.id)
    reviews.decide(
        shortening_approver,
        approved.id,
        revision_number=1,
        decision="approved",
        comment="Looks great — let's bake.",
    )
    yield "created: approved offer 'Holiday cookie recipe swap' and its joint campaign"
    yield from _run_campaigns(approved.id, flour, shortening)
    pending = proposals.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Spring baking challenge", 1_500_000, 90, 30),
    )
    proposals.send(flour_manager, pending.id)
    yield "created: offer 'Spring baking challenge' awaiting Goldcrest's decision"


def _results(campaign_id: int, managers: dict[int, Any]) -> Iterator[str]:
    """Daily results of every placement from its start to yesterday, entered by its owner
    (the same channel model as the year of history, with the lift of a two-brand recipe)."""
    today = utcnow().date()
    campaign_name = db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id))
    placements = db.session.scalars(
        sa.select(Placement).where(Placement.campaign_id == campaign_id).order_by(Placement.id)
    ).all()
    for placement in placements:
        days = _placement_days(
            f"{campaign_name}/{placement.name}",
            placement.channel,
            placement.start_date,
            placement.end_date,
            placement.planned_cost_minor,
            "EUR",
            1.3,
            until=today - timedelta(days=1),
        ).days
        if days:
            owner = managers[placement.owner_organization_id]
            metric_entry.upsert_days(owner, placement.id, days, source=ImportSource.FORM)
    yield f"created: daily results for the {len(placements)} placements of the joint campaign"


def _run_campaigns(offer_id: int, flour: Organization, shortening: Organization) -> Iterator[str]:
    """Spend on the joint campaign by both parties, a milestone, and a solo campaign of the
    flour company that clashes with the joint one on its social channel."""
    from comarketing.campaigns.models import Campaign, Placement
    from comarketing.context import Actor

    flour_manager = Actor(_user("partners@millstone.example"))
    shortening_manager = Actor(_user("partners@goldcrest.example"))
    joint = db.session.scalar(sa.select(Campaign).where(Campaign.offer_id == offer_id))
    assert joint is not None
    lifecycle.change_status(flour_manager, joint.id, "activate")
    placements = {
        p.owner_organization_id: p
        for p in db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == joint.id).order_by(Placement.id)
        )
    }
    today = utcnow().date()
    expenses.post_expense(
        flour_manager,
        joint.id,
        organization_id=flour.id,
        placement_id=placements[flour.id].id,
        amount_minor=820_000,
        occurred_on=today - timedelta(days=6),
        note="Bag print run",
    )
    expenses.post_expense(
        shortening_manager,
        joint.id,
        organization_id=shortening.id,
        placement_id=placements[shortening.id].id,
        amount_minor=310_000,
        occurred_on=today - timedelta(days=3),
        note="Tub labels",
    )
    yield from _results(joint.id, {flour.id: flour_manager, shortening.id: shortening_manager})
    milestones.add_milestone(
        flour_manager,
        joint.id,
        kind="wrap_up",
        title="Results review",
        owner_organization_id=flour.id,
        due_on=joint.end_date,
    )
    solo = lifecycle.create_solo_campaign(
        flour_manager,
        lifecycle.CampaignInput(
            name="Bread flour spring push",
            description="Our own social push for bread flour.",
            start_date=today - timedelta(days=5),
            end_date=today + timedelta(days=25),
            currency="EUR",
            total_budget_minor=600_000,
            target_reach=150_000,
        ),
    )
    campaign_placements.add_placement(
        flour_manager,
        solo.id,
        campaign_placements.PlacementInput(
            channel="social",
            owner_organization_id=flour.id,
            name="Bread flour reels",
            url="",
            start_date=None,
            end_date=None,
            planned_cost_minor=300_000,
        ),
    )
    commitments.commit_budget(
        flour_manager,
        solo.id,
        organization_id=flour.id,
        amount_minor=600_000,
        note="Spring marketing budget",
    )
    yield "created: spend on the joint campaign, and a solo campaign that clashes on social"


# ---------------------------------------------------------------------------------------------
# A year of results: solo and joint campaigns, their placements, daily metrics and ledger
#
# The figures come from a small model per channel (cost per thousand impressions, how many of
# them are distinct people, click and conversion rates, basket value) and a seeded RNG per
# placement, so the same day always holds the same figures. A joint campaign gets a "lift"
# (each brand reaches the other's buyers), and each party pays only its share of a budget whose
# whole audience it reaches: per euro of its own spend it therefore reaches clearly more people
# than alone, which is the claim the dashboard checks.


class ChannelModel(NamedTuple):
    cpm: float  # major units per 1,000 impressions
    reach_ratio: float  # distinct people per impression, within a day
    ctr: float  # clicks (or QR scans) per impression
    lead_rate: float  # leads per click
    conversion_rate: float  # purchases per click
    basket: float  # revenue per purchase, major units
    weekend: float  # spend at weekends relative to weekdays (bakers bake at weekends)


CHANNEL_MODELS = {
    "search": ChannelModel(14.0, 0.72, 0.035, 0.12, 0.060, 14.0, 0.8),
    "social": ChannelModel(7.0, 0.58, 0.012, 0.09, 0.050, 14.0, 1.25),
    "display": ChannelModel(3.5, 0.48, 0.004, 0.07, 0.030, 14.0, 0.9),
    "email": ChannelModel(25.0, 0.92, 0.040, 0.15, 0.080, 16.0, 0.6),
    "packaging": ChannelModel(3.5, 0.40, 0.0015, 0.25, 0.120, 12.0, 1.3),
    "retail": ChannelModel(9.0, 0.62, 0.008, 0.10, 0.200, 11.0, 1.3),
    "partner_newsletter": ChannelModel(18.0, 0.90, 0.035, 0.14, 0.070, 15.0, 0.6),
    "event": ChannelModel(45.0, 0.95, 0.060, 0.30, 0.120, 15.0, 1.5),
}


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


def _ensure_history(companies: dict[str, Organization]) -> Iterator[str]:
    """Create each planned campaign that does not exist yet, with all its results and ledger.

    A campaign is found by its owner and name, so a second run adds nothing."""
    today = utcnow().date()
    created = days = 0
    for plan in HISTORY:
        owner = companies[plan.owner]
        if db.session.scalar(
            sa.select(Campaign.id).where(
                Campaign.organization_id == owner.id, Campaign.name == plan.name
            )
        ):
            continue
        days += _seed_campaign(plan, companies, today)
        created += 1
    if created:
        yield (
            f"created: a year of results: {created} past and running campaigns, solo and joint, "
            f"with {days} placement-days of daily metrics and their monthly expenses"
        )


def _manager(company: Organization) -> Actor:
    domain = next(c["domain"] for c in COMPANIES if c["name"] == company.name)
    return Actor(_user(_email("partners", domain)))


@dataclass
class _DemoDays:
    """A placement's daily figures as ``upsert_days`` takes them, and its daily costs."""

    days: list[dict[str, str]]
    costs: list[tuple[date, int]]
    reach: int
    leads: int


def _seed_campaign(
    plan: PlannedDemoCampaign, companies: dict[str, Organization], today: date
) -> int:
    """One campaign from plan to completion through the services; returns its placement-days.

    Its goals are set from what the whole run will bring: most campaigns reach them, those
    with ``goal`` above 1 fall short."""
    start = today - timedelta(days=plan.starts_days_ago)
    end = start + timedelta(days=plan.days - 1)
    scale = 10 ** money_exponent(plan.currency)
    budget = sum(p.planned_cost for p in plan.placements) * scale
    whole_run = [
        _placement_days(
            f"{plan.name}/{p.name}",
            p.channel,
            start,
            end,
            p.planned_cost * scale,
            plan.currency,
            plan.lift,
            until=end,
        )
        for p in plan.placements
    ]
    target_reach = int(round(sum(d.reach for d in whole_run) * plan.goal, -4))
    target_leads = int(round(sum(d.leads for d in whole_run) * plan.goal, -1))
    owner = companies[plan.owner]
    manager = _manager(owner)
    if plan.joint:
        campaign = lifecycle.create_joint_campaign(
            offer_id=None,
            proposer_organization_id=owner.id,
            created_by_id=manager.user_id,
            name=plan.name,
            description=plan.description,
            start_date=start,
            end_date=end,
            currency=plan.currency,
            total_budget_minor=budget,
            target_reach=target_reach,
            target_leads=target_leads,
            target_revenue_minor=None,
            parties=[
                lifecycle.PartyShare(companies[key].id, bp, bp) for key, bp in plan.shares.items()
            ],
            placements=[
                lifecycle.PlannedPlacement(
                    p.channel, companies[p.owner].id, p.name, p.planned_cost * scale
                )
                for p in plan.placements
            ],
        )
        db.session.commit()
        amounts = split_by_shares(budget, {companies[k].id: bp for k, bp in plan.shares.items()})
        for key in plan.shares:
            company = companies[key]
            commitments.commit_budget(
                _manager(company),
                campaign.id,
                organization_id=company.id,
                amount_minor=amounts[company.id],
                occurred_on=start - timedelta(days=14),
                note="Agreed share of the joint budget",
            )
    else:
        campaign = lifecycle.create_solo_campaign(
            manager,
            lifecycle.CampaignInput(
                name=plan.name,
                description=plan.description,
                start_date=start,
                end_date=end,
                currency=plan.currency,
                total_budget_minor=budget,
                target_reach=target_reach,
                target_leads=target_leads,
            ),
        )
        for p in plan.placements:
            campaign_placements.add_placement(
                manager,
                campaign.id,
                campaign_placements.PlacementInput(
                    channel=p.channel,
                    owner_organization_id=owner.id,
                    name=p.name,
                    url="",
                    start_date=None,
                    end_date=None,
                    planned_cost_minor=p.planned_cost * scale,
                ),
            )
        commitments.commit_budget(
            manager,
            campaign.id,
            organization_id=owner.id,
            amount_minor=budget,
            occurred_on=start - timedelta(days=14),
            note="Marketing budget",
        )
    campaign_id = campaign.id
    lifecycle.change_status(manager, campaign_id, "activate")
    placement_ids = dict(
        db.session.execute(
            sa.select(Placement.name, Placement.id).where(Placement.campaign_id == campaign_id)
        ).all()
    )
    yesterday = today - timedelta(days=1)
    written = 0
    for planned, run in zip(plan.placements, whole_run, strict=True):
        payer = _manager(companies[planned.owner])
        placement_id = placement_ids[planned.name]
        days = [d for d in run.days if date.fromisoformat(d["day"]) <= yesterday]
        for first in range(0, len(days), metric_entry.MAX_BATCH):
            metric_entry.upsert_days(
                payer,
                placement_id,
                days[first : first + metric_entry.MAX_BATCH],
                source=ImportSource.FORM,
            )
        written += len(days)
        for last_day, amount in _monthly_costs([c for c in run.costs if c[0] <= yesterday]):
            expenses.post_expense(
                payer,
                campaign_id,
                organization_id=companies[planned.owner].id,
                placement_id=placement_id,
                amount_minor=amount,
                occurred_on=last_day,
                note=f"{planned.name}: invoice for {last_day:%B %Y}",
            )
    if end < today:
        lifecycle.change_status(manager, campaign_id, "complete")
    return written


def _placement_days(
    key: str,
    channel: str,
    start: date,
    end: date,
    planned_cost_minor: int,
    currency: str,
    lift: float,
    *,
    until: date,
) -> _DemoDays:
    """A placement's figures for each day from ``start`` to ``until`` (at most ``end``).

    ``key`` seeds the RNG, so a placement's day always holds the same figures. Spend follows
    the planned cost spread over the placement's days and never passes it."""
    model = CHANNEL_MODELS[channel]
    rng = random.Random(f"comarketing-demo/{key}")
    scale = 10 ** money_exponent(currency)
    per_day = planned_cost_minor / ((end - start).days + 1)
    efficiency = lift * rng.uniform(0.85, 1.15)  # this placement's creative and audience
    left = planned_cost_minor
    out = _DemoDays([], [], 0, 0)
    day = start
    while day <= min(end, until):
        weekend = model.weekend if day.weekday() >= 5 else 1.0
        cost = min(left, int(per_day * weekend * rng.uniform(0.8, 1.05)))
        left -= cost
        impressions = int(cost / scale * 1000 / model.cpm * efficiency * rng.uniform(0.9, 1.1))
        reach = min(impressions, int(impressions * model.reach_ratio * rng.uniform(0.92, 1.05)))
        clicks = int(impressions * model.ctr * rng.uniform(0.8, 1.2))
        leads = int(clicks * model.lead_rate * rng.uniform(0.8, 1.2))
        conversions = int(clicks * model.conversion_rate * rng.uniform(0.8, 1.2))
        revenue = int(conversions * model.basket * scale * rng.uniform(0.85, 1.15))
        out.days.append(
            {
                "day": day.isoformat(),
                "impressions": str(impressions),
                "reach": str(reach),
                "clicks": str(clicks),
                "leads": str(leads),
                "conversions": str(conversions),
                "revenue": to_decimal_string(revenue, currency),
                "cost": to_decimal_string(cost, currency),
            }
        )
        out.costs.append((day, cost))
        out.reach += reach
        out.leads += leads
        day += timedelta(days=1)
    return out


def _monthly_costs(costs: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """The total cost per calendar month (one invoice), dated on the month's last day of
    results."""
    months: dict[tuple[int, int], tuple[date, int]] = {}
    for day, cost in costs:
        _, total = months.get((day.year, day.month), (day, 0))
        months[(day.year, day.month)] = (day, total + cost)
    return [(day, total) for day, total in months.values() if total > 0]
