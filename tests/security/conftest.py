"""Shared pieces of the tenancy/authorization suite: the route matrix, the actors, a scene of
records for every URL placeholder, signed-in clients, and a hash of every table's rows."""

from __future__ import annotations

import copy
import hashlib
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient

from comarketing import notifications
from comarketing.accounts import self_signup
from comarketing.accounts.models import Organization, PasswordReset, User, UserInvitation
from comarketing.budgets import claims, commitments, payments
from comarketing.budgets.proofs import ProofUpload
from comarketing.campaigns import feeds, lifecycle, milestones, placements, platform_names
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job
from comarketing.metrics import entry, uploads
from comarketing.metrics.models import ImportSource
from comarketing.money import SHARE_TOTAL
from comarketing.notifications import Notification, Recipient
from comarketing.offers import discussion, proposals, reviews
from comarketing.offers.models import Offer
from comarketing.offers.terms import PartyTermsInput, PlacementInput, TermsInput
from comarketing.partners.models import PartnershipStatus, Product
from comarketing.tokens import new_token
from tests import factories
from tests.collateral import samples

MATRIX_PATH = Path(__file__).with_name("route_matrix.yaml")

# The four roles of company A, plus a signed-out visitor and C's admin. C's admin holds every
# permission, so when it gets 404 on A's record that can only be tenancy, never the role.
A_ROLES = ["admin", "partner_manager", "approver", "analyst"]
ACTORS = ["anonymous", *A_ROLES, "outsider"]
REQUIRED_ACTORS = ["anonymous", *A_ROLES]
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def load_matrix() -> dict[str, Any]:
    return yaml.safe_load(MATRIX_PATH.read_text())


@dataclass
class Scene:
    """The ``world`` plus the extra records that give every matrix row a meaningful target."""

    world: factories.World
    placeholders: dict[str, Any]

    def actor_email(self, actor: str) -> str | None:
        if actor == "anonymous":
            return None
        if actor == "outsider":
            return self.world.c.email("admin")
        return self.world.a.email(actor)

    def fill(self, template: str) -> str:
        return template.format_map(self.placeholders)


def _open_token_for_partnership(inviter_id: int, email: str) -> tuple[int, str]:
    token, token_hash = new_token()
    partnership = factories.PartnershipFactory(
        inviter_organization_id=inviter_id,
        invitee_organization_id=None,
        invitee_email=email,
        status=PartnershipStatus.PENDING.value,
        join_token_hash=token_hash,
    )
    return partnership.id, token


def _build_jobs(a_id: int, c_id: int) -> dict[str, int]:
    """A failed and a finished job of A, a failed one of C (the Background jobs page)."""
    ids = {}
    for key, org, status in (
        ("a_failed_job", a_id, "failed"),
        ("a_done_job", a_id, "done"),
        ("c_failed_job", c_id, "failed"),
    ):
        job = Job(
            kind="mail.send",
            payload={"message_id": 0},
            organization_id=org,
            status=status,
            attempts=1,
            max_attempts=1,
            run_after=utcnow(),
            error="SMTP unavailable" if status == "failed" else None,
        )
        db.session.add(job)
        db.session.flush()
        ids[key] = job.id
    db.session.commit()
    return ids


def _user_invitation(organization_id: int, email: str) -> tuple[int, str]:
    token, token_hash = new_token()
    invitation = UserInvitation(
        organization_id=organization_id,
        email=email,
        role="analyst",
        token_hash=token_hash,
        expires_at=utcnow() + timedelta(hours=24),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation.id, token


def actor_for(email: str) -> Actor:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return Actor(user, Origin())


def offer_terms(
    title: str,
    products: dict[int, list[int]],
    *,
    value_proposition: str = "Each brand reaches the other's buyers.",
    total_budget_minor: int = 1_000_000,
) -> TermsInput:
    """Terms for the parties in ``products`` (organization id -> its products): even shares
    (the remainder to the first party) and one newsletter placement of the first party."""
    party_ids = sorted(products)
    even = SHARE_TOTAL // len(party_ids)
    first_extra = SHARE_TOTAL - even * len(party_ids)
    parties = [
        PartyTermsInput(
            organization_id=org_id,
            product_ids=products[org_id],
            budget_share_bp=even + (first_extra if index == 0 else 0),
            revenue_share_bp=even + (first_extra if index == 0 else 0),
        )
        for index, org_id in enumerate(party_ids)
    ]
    return TermsInput(
        title=title,
        value_proposition=value_proposition,
        audience="Home bakers",
        start_date=date(2030, 3, 1),
        end_date=date(2030, 4, 30),
        currency="EUR",
        total_budget_minor=total_budget_minor,
        target_reach=50_000,
        parties=parties,
        placements=[PlacementInput("email", party_ids[0], "Spring newsletter", 100_000)],
    )


def _build_offers(world: factories.World) -> dict[str, int]:
    """The offers, campaigns and notifications of the scene, made through the real services.

    A sees: an A-B offer A's admin sent (approving for A by proposing; awaiting B), A's draft,
    an approved A-B offer (A's partner manager proposed, A's and B's approvers approved; its
    joint campaign), a rejected A-B offer, and the A-B-C offer B's partner manager sent (A, B's
    own approvers and C still to decide; C's
    name is legitimately shown to A there, so nothing of C on it carries the canary beyond
    C's organization name). A never sees: B's draft for A, the B-C offers with their
    comments, decisions and campaign, and C's notification: all of those carry the canary.
    """
    a, b, c = world.a, world.b, world.c
    canary = world.canary
    a_pm, b_pm, c_pm = (actor_for(x.email("partner_manager")) for x in (a, b, c))
    a_admin = actor_for(a.email("admin"))
    a_approver, b_approver, c_approver = (actor_for(x.email("approver")) for x in (a, b, c))
    a_product, b_product, c_product = a.product_ids[0], b.product_ids[0], c.product_ids[0]

    ab_sent = proposals.create_draft(
        a_admin,
        partner_ids=[b.id],
        terms=offer_terms("Alpha and Beta cookie recipe", {a.id: [a_product], b.id: [b_product]}),
    )
    proposals.send(a_admin, ab_sent.id)
    ab_draft = proposals.create_draft(
        a_pm, partner_ids=[b.id], terms=offer_terms("Alpha draft for Beta", {a.id: [], b.id: []})
    )
    ba_draft = proposals.create_draft(
        b_pm,
        partner_ids=[a.id],
        terms=offer_terms(f"Beta private draft {canary}", {a.id: [], b.id: [b_product]}),
    )
    ab_approved = proposals.create_draft(
        a_pm,
        partner_ids=[b.id],
        terms=offer_terms("Alpha and Beta spring bake-off", {a.id: [a_product], b.id: []}),
    )
    proposals.send(a_pm, ab_approved.id)
    reviews.decide(a_approver, ab_approved.id, revision_number=1, decision="approved")
    reviews.decide(
        b_approver,
        ab_approved.id,
        revision_number=1,
        decision="approved",
        comment="Beta approves the spring bake-off",
    )
    ab_closed = proposals.create_draft(
        a_pm, partner_ids=[b.id], terms=offer_terms("Alpha and Beta winter", {a.id: [], b.id: []})
    )
    proposals.send(a_pm, ab_closed.id)
    reviews.decide(
        b_approver,
        ab_closed.id,
        revision_number=1,
        decision="rejected",
        comment="Beta cannot fund a winter campaign",
    )
    abc_sent = proposals.create_draft(
        b_pm,
        partner_ids=[a.id, c.id],
        terms=offer_terms("Three brands, one cookie", {a.id: [], b.id: [b_product], c.id: []}),
    )
    proposals.send(b_pm, abc_sent.id)

    bc_sent = proposals.create_draft(
        c_pm,
        partner_ids=[b.id],
        terms=offer_terms(
            f"Gamma and Beta chips {canary}",
            {b.id: [b_product], c.id: [c_product]},
            value_proposition=f"Chips with shortening {canary}",
        ),
    )
    proposals.send(c_pm, bc_sent.id)
    reviews.decide(
        b_approver,
        bc_sent.id,
        revision_number=1,
        decision="changes_requested",
        comment=f"Beta wants a bigger budget from Gamma {canary}",
    )
    discussion.add_comment(c_pm, bc_sent.id, f"Gamma replies in private {canary}")
    discussion.add_comment(b_pm, bc_sent.id, f"Beta answers Gamma {canary}")
    bc_approved = proposals.create_draft(
        b_pm,
        partner_ids=[c.id],
        terms=offer_terms(
            f"Beta and Gamma summer {canary}",
            {b.id: [], c.id: [c_product]},
            value_proposition=f"Summer chips {canary}",
        ),
    )
    proposals.send(b_pm, bc_approved.id)
    reviews.decide(b_approver, bc_approved.id, revision_number=1, decision="approved")
    reviews.decide(c_approver, bc_approved.id, revision_number=1, decision="approved")

    def notify_one(company: factories.Company, role: str, title: str, link: str) -> int:
        user_id = company.user_ids[role]
        notifications.notify(
            [Recipient(user_id, company.email(role))],
            kind="collateral_request",  # a kind every role hears of
            title=title,
            body=f"{title}\n\nhttp://localhost{link}\n",
            link=link,
        )
        db.session.flush()
        return db.session.scalar(sa.select(sa.func.max(Notification.id)))

    placeholders = {
        "ab_sent_offer": ab_sent.id,
        "ab_draft_offer": ab_draft.id,
        "ba_draft_offer": ba_draft.id,
        "ab_approved_offer": ab_approved.id,
        "ab_closed_offer": ab_closed.id,
        "abc_sent_offer": abc_sent.id,
        "bc_sent_offer": bc_sent.id,
        "bc_approved_offer": bc_approved.id,
        "a_analyst_notification": notify_one(
            a, "analyst", "Three brands want you", f"/offers/{abc_sent.id}"
        ),
        "a_admin_notification": notify_one(
            a, "admin", "Beta approved the bake-off", f"/offers/{ab_approved.id}"
        ),
        "c_notification": notify_one(c, "admin", f"Gamma only {canary}", f"/offers/{bc_sent.id}"),
    }
    db.session.commit()
    campaign_of = dict(db.session.execute(sa.select(Campaign.offer_id, Campaign.id)).all())
    placeholders["ab_campaign"] = campaign_of[ab_approved.id]
    placeholders["bc_campaign"] = campaign_of[bc_approved.id]
    # Where a clone lands: ids are handed out in order (PostgreSQL's sequence is reset to
    # match after a restore, see ``restore_rows``).
    placeholders["next_offer"] = db.session.scalar(sa.select(sa.func.max(Offer.id))) + 1
    return placeholders


def _placement(actor: Actor, campaign_id: int, channel: str, owner: int, name: str) -> int:
    data = placements.PlacementInput(channel, owner, name, "", None, None, 50_000)
    return placements.add_placement(actor, campaign_id, data).id


def _solo(actor: Actor, name: str) -> int:
    data = lifecycle.CampaignInput(
        name, f"About {name}", date(2030, 3, 1), date(2030, 4, 30), "EUR", 300_000
    )
    return lifecycle.create_solo_campaign(actor, data).id


def _claim(
    actor: Actor,
    campaign_id: int,
    organization_id: int,
    placement_id: int,
    amount: int,
    note: str,
    proof_name: str | None = None,
) -> claims.ClaimStatus:
    """A claim for the campaign's first day, paid today, with a PDF proof when named."""
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    return claims.create_claim(
        actor,
        campaign_id,
        organization_id=organization_id,
        placement_id=placement_id,
        terms=claims.ClaimTerms(
            amount, campaign.start_date, campaign.start_date, utcnow().date(), note
        ),
        proofs=[ProofUpload(io.BytesIO(samples.pdf(note)), proof_name)] if proof_name else [],
    )


def _build_campaigns(world: factories.World, ab: int, bc: int) -> dict[str, Any]:
    """Placements, milestones, ledger entries and calendar feeds, through the real services.

    A sees: the A-B campaign (a placement of each party, A's commitment and expense, a
    milestone) and its solo campaign (an email placement that clashes with the A-B
    newsletter). A never sees: the solo campaigns of B and C, nor the placement, expense and
    milestone of the B-C campaign; all of those carry the canary.
    """
    a, b, c = world.a, world.b, world.c
    canary = world.canary
    a_pm, b_pm, c_pm = (actor_for(x.email("partner_manager")) for x in (a, b, c))
    ab_placement_a = _placement(a_pm, ab, "social", a.id, "Alpha social push")
    ab_placement_b = _placement(b_pm, ab, "retail", b.id, "Beta shelf talkers")
    ab_commitment = commitments.commit_budget(
        a_pm, ab, organization_id=a.id, amount_minor=100_000, note="Alpha tops up"
    ).id
    ab_claim = _claim(
        a_pm, ab, a.id, ab_placement_a, 20_000, "Alpha paid the boosted posts", "alpha.pdf"
    )
    ab_milestone = milestones.add_milestone(
        a_pm,
        ab,
        kind="launch",
        title="Bake-off launch",
        owner_organization_id=a.id,
        due_on=date(2030, 3, 2),
    ).id

    ids: dict[str, Any] = {
        "ab_placement_a": ab_placement_a,
        "ab_placement_b": ab_placement_b,
        "ab_commitment": ab_commitment,
        "ab_expense": ab_claim.version.ledger_entry_id,
        "ab_claim": ab_claim.claim.id,
        "ab_proof": ab_claim.proofs[0].id,
        "ab_b_claim": _claim(b_pm, ab, b.id, ab_placement_b, 5_000, "Beta shelf talkers").claim.id,
        "ab_payment": payments.record_payment(
            b_pm,
            ab,
            to_organization_id=a.id,
            amount_minor=1_000,
            paid_on=utcnow().date(),
            reference="Beta pays Alpha",
            proof=ProofUpload(io.BytesIO(samples.pdf("Beta transfer")), "transfer.pdf"),
        ).payment.id,
        "ab_milestone": ab_milestone,
    }
    for company, actor in ((a, a_pm), (b, b_pm), (c, c_pm)):
        key = company.key.lower()
        mark = "" if company is a else f" {canary}"
        solo = _solo(actor, f"{company.name} solo{mark}")
        placement = _placement(actor, solo, "email", company.id, f"{company.name} mailing{mark}")
        ids[f"{key}_solo_campaign"] = solo
        ids[f"{key}_solo_placement"] = placement
        if company is not a:
            commitments.commit_budget(actor, solo, organization_id=company.id, amount_minor=90_000)
            _claim(actor, solo, company.id, placement, 10_000, f"Private spend{mark}")
            milestones.add_milestone(
                actor,
                solo,
                kind="go_live",
                title=f"Solo go-live{mark}",
                owner_organization_id=company.id,
                due_on=date(2030, 3, 3),
            )

    bc_placement = _placement(b_pm, bc, "display", b.id, f"Beta banners {canary}")
    ids["bc_placement"] = bc_placement
    bc_claim = _claim(
        b_pm, bc, b.id, bc_placement, 30_000, f"Beta paid the banners {canary}", f"{canary}.pdf"
    )
    ids["bc_expense"] = bc_claim.version.ledger_entry_id
    ids["bc_claim"] = bc_claim.claim.id
    ids["bc_proof"] = bc_claim.proofs[0].id
    ids["bc_payment"] = payments.record_payment(
        c_pm,
        bc,
        to_organization_id=b.id,
        amount_minor=3_000,
        paid_on=utcnow().date(),
        reference=f"Gamma pays Beta {canary}",
        proof=ProofUpload(io.BytesIO(samples.pdf(canary)), f"{canary}.pdf"),
    ).payment.id
    ids["bc_milestone"] = milestones.add_milestone(
        c_pm,
        bc,
        kind="wrap_up",
        title=f"Gamma wrap-up {canary}",
        owner_organization_id=c.id,
        due_on=date(2030, 3, 4),
    ).id
    # The feed tokens are shown once; the scene keeps them for the feed URLs.
    ids["a_feed_token"] = feeds.create_calendar_feed(actor_for(a.email("admin")))
    ids["c_feed_token"] = feeds.create_calendar_feed(actor_for(c.email("admin")))
    ids["next_campaign"] = db.session.scalar(sa.select(sa.func.max(Campaign.id))) + 1
    ids.update(_build_metrics(world, ids))
    from tests.audiences.scene import build_audiences  # issue 7

    ids.update(build_audiences(world, ids))
    ids.update(_build_collateral(world, ab, bc, ids))
    return ids


def _build_collateral(
    world: factories.World, ab: int, bc: int, ids: dict[str, Any]
) -> dict[str, Any]:
    """Collateral (issue 8), through the real services.

    A sees: a link on its solo campaign (ready at once: A is its only party), B's image on the
    A-B campaign waiting for A's review, and A's analyst's request there. A never sees: the
    solo assets of B and C, nor Gamma's image on the B-C campaign (approved by B and
    downloaded by C) or the B-C request; all of those carry the canary.
    """
    from comarketing.collateral import assets, downloads, requests, reviews
    from tests.collateral import samples

    a, b, c = world.a, world.b, world.c
    canary = world.canary
    a_pm, b_pm, c_pm = (actor_for(x.email("partner_manager")) for x in (a, b, c))

    def link(actor: Actor, campaign: int, title: str) -> int:
        data = assets.AssetInput(title=title, audience="sales")
        first = assets.VersionInput(link="https://example.com/deck")
        return assets.create_asset(actor, campaign, data, first).id

    def image(actor: Actor, campaign: int, title: str, parties: list[int], name: str) -> int:
        data = assets.AssetInput(title=title, audience="customers", party_ids=parties)
        first = assets.VersionInput(stream=io.BytesIO(samples.png()), filename=name)
        return assets.create_asset(actor, campaign, data, first).id

    out: dict[str, Any] = {
        "a_asset": link(a_pm, ids["a_solo_campaign"], "Alpha sales deck"),
        "b_asset": link(b_pm, ids["b_solo_campaign"], f"Beta private deck {canary}"),
        "c_asset": link(c_pm, ids["c_solo_campaign"], f"Gamma private deck {canary}"),
        "ab_asset": image(b_pm, ab, "Beta and Alpha shelf banner", [a.id, b.id], "banner.png"),
        "bc_asset": image(
            c_pm, bc, f"Gamma and Beta banner {canary}", [b.id, c.id], f"gamma {canary}.png"
        ),
    }
    reviews.review(
        actor_for(b.email("approver")), out["bc_asset"], version_number=1, decision="approved"
    )
    downloads.fetch(c_pm, out["bc_asset"], action="download")
    out["ab_request"] = requests.create_request(
        actor_for(a.email("analyst")), ab, title="A one-page comparison for retail buyers"
    ).id
    out["bc_request"] = requests.create_request(
        c_pm, bc, title=f"Gamma wants a flyer {canary}", description=f"Private {canary}"
    ).id
    return out


def _build_offer_drafts(world: factories.World, offer_ids: dict[str, Any]) -> dict[str, Any]:
    """Draft materials on offers (issue 8), through the real services.

    A sees: its image on the A-B offer it sent (waiting for B's review) and its link on its
    unsent A-B draft offer (no review yet). A never sees: B's image on B's unsent draft offer
    for A (A is a party, but the offer is not sent yet), nor Gamma's sheet on the B-C offer
    (downloaded by C before any campaign); both carry the canary.
    """
    from comarketing.collateral import assets, downloads, drafts
    from comarketing.collateral.models import CollateralAsset
    from tests.collateral import samples

    a, b, c = world.a, world.b, world.c
    canary = world.canary
    a_pm, b_pm, c_pm = (actor_for(x.email("partner_manager")) for x in (a, b, c))

    def image(actor: Actor, offer: str, title: str, parties: list[int], name: str) -> int:
        data = assets.AssetInput(title=title, audience="customers", party_ids=parties)
        first = assets.VersionInput(stream=io.BytesIO(samples.png()), filename=name)
        return drafts.create_offer_asset(actor, offer_ids[offer], data, first).id

    out: dict[str, Any] = {
        "ab_offer_asset": image(
            a_pm, "ab_sent_offer", "Alpha and Beta recipe card", [a.id, b.id], "recipe.png"
        ),
        "ab_unsent_offer_asset": drafts.create_offer_asset(
            a_pm,
            offer_ids["ab_draft_offer"],
            assets.AssetInput(title="Alpha draft teaser", audience="sales"),
            assets.VersionInput(link="https://example.com/teaser"),
        ).id,
        "ba_unsent_offer_asset": image(
            b_pm, "ba_draft_offer", f"Beta secret teaser {canary}", [a.id, b.id], "teaser.png"
        ),
        "bc_offer_asset": image(
            c_pm, "bc_sent_offer", f"Gamma chips sheet {canary}", [b.id, c.id], f"{canary}.png"
        ),
    }
    downloads.fetch(c_pm, out["bc_offer_asset"], action="download")
    out["next_asset"] = db.session.scalar(sa.select(sa.func.max(CollateralAsset.id))) + 1
    return out


def _build_metrics(world: factories.World, ids: dict[str, Any]) -> dict[str, Any]:
    """Results: each company enters a day of its solo placement by form and uploads a file
    (left at its preview); A and B report a day of their A-B placements, B one of the B-C
    placement. C's file is named with the canary and names its placement with it."""
    from comarketing.campaigns.models import Placement

    def first_day(placement_id: int) -> date:
        placement = db.session.get(Placement, placement_id)
        assert placement is not None
        return placement.start_date

    def enter(actor: Actor, placement_id: int, cost: str) -> int:
        day = {"day": first_day(placement_id), "impressions": "1000", "reach": "600"}
        day.update(clicks="30", leads="2", conversions="1", revenue="40.00", cost=cost)
        entry.upsert_days(actor, placement_id, [day], source=ImportSource.FORM)
        day["clicks"] = "31"  # a correction, so the import has a replaced day to show
        return entry.upsert_days(actor, placement_id, [day], source=ImportSource.FORM).id

    out: dict[str, Any] = {}
    for company in (world.a, world.b, world.c):
        key = company.key.lower()
        mark = "" if company is world.a else f" {world.canary}"
        pm = actor_for(company.email("partner_manager"))
        placement = ids[f"{key}_solo_placement"]
        out[f"{key}_form_import"] = enter(pm, placement, "5.00")
        content = (
            "date,placement_id,impressions,clicks,cost,note\n"
            f"{first_day(placement).isoformat()},{placement},900,20,4.50,Results{mark}\n"
        )
        campaign_id = db.session.get(Placement, placement).campaign_id  # type: ignore[union-attr]
        upload = uploads.upload(
            pm, io.BytesIO(content.encode()), f"results{mark}.csv", campaign_id=campaign_id
        )
        out[f"{key}_file_import"] = upload.id
        out[f"{key}_platform_name"] = platform_names.add_name(
            pm, campaign_id, placement, f"Platform name{mark}", "Meta"
        ).id
    a_pm = actor_for(world.a.email("partner_manager"))
    b_pm = actor_for(world.b.email("partner_manager"))
    enter(a_pm, ids["ab_placement_a"], "3.00")
    enter(b_pm, ids["ab_placement_b"], "2.00")
    out["bc_form_import"] = enter(b_pm, ids["bc_placement"], "7.00")
    return out


def _build_invitations_to_c(world: factories.World) -> dict[str, int]:
    """A's invitations to addresses of C (issue 17), through the real services: one C
    declined, one A cancelled, one pending. C's name carries the canary, and A typed only
    addresses: none of A's pages may name C (the invited company stays unknown to the inviter
    until it accepts)."""
    from comarketing.partners import invitations, services

    a_pm = actor_for(world.a.email("partner_manager"))
    declined = invitations.invite_partner(a_pm, email=world.c.email("admin"), message="Chips?")
    services.transition(actor_for(world.c.email("admin")), declined.id, "decline")
    cancelled = invitations.invite_partner(a_pm, email=world.c.email("approver"))
    services.transition(a_pm, cancelled.id, "cancel")
    pending = invitations.invite_partner(a_pm, email=world.c.email("analyst"))
    return {
        "ac_declined_invitation": declined.id,
        "ac_cancelled_invitation": cancelled.id,
        "ac_pending_invitation": pending.id,
    }


def build_scene() -> Scene:
    world = factories.build_world()
    a, b, c = world.a, world.b, world.c
    canary = factories.CANARY

    # D (no canary: A legitimately sees its name) has invited A and waits for an answer.
    d = factories.OrganizationFactory(name="Delta Sugar", slug="d-delta-sugar")
    factories.UserFactory(organization=d, email="admin@d.example", name="Admin D", role="admin")
    da_pending = factories.PartnershipFactory(
        inviter_organization_id=d.id,
        invitee_organization_id=a.id,
        invitee_email=a.email("partner_manager"),
        status=PartnershipStatus.PENDING.value,
        message="Sugar and flour?",
    )
    a_sent_pending, a_partner_join_token = _open_token_for_partnership(a.id, "owner@new.example")
    c_sent_pending, _ = _open_token_for_partnership(c.id, f"{canary}@new.example")

    a_archived = factories.ProductFactory(
        organization_id=a.id, name="Alpha Old Recipe", archived_at=utcnow()
    )
    c_archived = factories.ProductFactory(
        organization_id=c.id, name=f"Gamma Old {canary}", archived_at=utcnow()
    )
    b_archived_id = db.session.scalar(
        sa.select(Product.id).where(
            Product.organization_id == b.id, Product.archived_at.is_not(None)
        )
    )
    a_inactive = factories.UserFactory(
        organization=db.session.get(Organization, a.id),
        email="former@a.example",
        name="Former A",
        role="analyst",
        active=False,
    )
    a_invitation, a_invitation_token = _user_invitation(a.id, "newcomer@a.example")
    b_invitation, _ = _user_invitation(b.id, "newcomer@b.example")
    c_invitation, _ = _user_invitation(c.id, f"{canary}@c.example")

    reset_token, reset_hash = new_token()
    db.session.add(
        PasswordReset(
            user_id=a.user_ids["analyst"],
            token_hash=reset_hash,
            expires_at=utcnow() + timedelta(minutes=30),
        )
    )
    db.session.commit()
    job_placeholders = _build_jobs(a.id, c.id)
    offer_placeholders = _build_offers(world)
    offer_placeholders.update(
        _build_campaigns(
            world, offer_placeholders["ab_campaign"], offer_placeholders["bc_campaign"]
        )
    )
    offer_placeholders.update(_build_offer_drafts(world, offer_placeholders))
    offer_placeholders.update(_build_invitations_to_c(world))
    from tests.security.webhook_scene import build_webhooks

    offer_placeholders.update(build_webhooks(world))

    placeholders: dict[str, Any] = {
        "password": factories.TEST_PASSWORD,
        "ab_partnership": world.partnership_ab,
        "bc_partnership": world.partnership_bc,
        "da_pending": da_pending.id,
        "a_sent_pending": a_sent_pending,
        "c_sent_pending": c_sent_pending,
        "a_partner_join_token": a_partner_join_token,
        "a_invitation_token": a_invitation_token,
        "reset_token": reset_token,
        "signup_token": self_signup.link_token(
            self_signup.SignUpRequest("Zeta Foods", "Zed Zeta", "zed@z.example")
        ),
        "a_product": a.product_ids[0],
        "b_product": b.product_ids[0],
        "c_product": c.product_ids[0],
        "a_archived_product": a_archived.id,
        "b_archived_product": b_archived_id,
        "c_archived_product": c_archived.id,
        "a_invitation": a_invitation,
        "b_invitation": b_invitation,
        "c_invitation": c_invitation,
        "a_inactive_user_id": a_inactive.id,
        "missing_id": 10_000_000,
        "a_org": a.id,
        "b_org": b.id,
        "c_org": c.id,
        **offer_placeholders,
        **job_placeholders,
    }
    for company in world.companies:
        key = company.key.lower()
        for role, user_id in company.user_ids.items():
            placeholders[f"{key}_{role}_user_id"] = user_id
    return Scene(world=world, placeholders=placeholders)


@dataclass
class _Snapshot:
    taken: float
    scene: Scene
    rows: dict[str, list[dict[str, Any]]]


_SNAPSHOTS: dict[str, _Snapshot] = {}
# Rows carry absolute times (a password reset is valid for 30 minutes): rebuild well before.
SNAPSHOT_MAX_AGE_SECONDS = 600


def dump_rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: [dict(row) for row in conn.execute(sa.select(table)).mappings()]
            for table in db.metadata.sorted_tables
        }


def restore_rows(engine: sa.Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert a dump into the (empty) tables, parents first, ids and all."""
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        if conn.dialect.name == "postgresql":
            # Explicit ids do not move the sequences: put each one past the restored rows.
            # (setval on a table without a sequence gets NULL and does nothing.)
            calls = [
                f"setval(pg_get_serial_sequence('{table.name}', '{pk.name}'), "
                f'COALESCE((SELECT MAX("{pk.name}") FROM "{table.name}"), 0) + 1, false)'
                for table in db.metadata.sorted_tables
                for pk in table.primary_key.columns
                if len(table.primary_key.columns) == 1 and isinstance(pk.type, sa.Integer)
            ]
            conn.execute(sa.text(f"SELECT {', '.join(calls)}"))


@pytest.fixture(scope="session")
def restore_engine(migrated: str) -> Iterator[sa.Engine]:
    """One engine for every restore: each test's app has its own engine and so its own
    statement cache, and compiling the INSERTs again would cost more than running them."""
    engine = sa.create_engine(migrated)
    yield engine
    engine.dispose()


class _SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by the hundreds of short-lived apps of this suite, which
    would otherwise each compile every page again (Jinja checks the source checksum)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _SharedBytecodeCache()


@pytest.fixture
def scene(app: Flask, migrated: str, restore_engine: sa.Engine) -> Scene:
    """The scene, built through the real services once per session and then restored row by
    row into each test's empty database (the same rows, a fraction of the time)."""
    app.jinja_env.bytecode_cache = _BYTECODE_CACHE
    snapshot = _SNAPSHOTS.get(migrated)
    if snapshot is None or time.monotonic() - snapshot.taken > SNAPSHOT_MAX_AGE_SECONDS:
        with app.app_context():
            built = build_scene()
            db.session.remove()
        _SNAPSHOTS[migrated] = _Snapshot(time.monotonic(), built, dump_rows(app))
        return copy.deepcopy(built)
    restore_rows(restore_engine, snapshot.rows)
    return copy.deepcopy(snapshot.scene)


def session_token_for(app: Flask, email: str) -> str:
    with app.app_context():
        token = db.session.scalar(sa.select(User.session_token).where(User.email == email))
        db.session.remove()
    assert token, f"no user {email}"
    return token


def client_as(
    app: Flask, email: str | None, session_values: dict[str, Any] | None = None
) -> FlaskClient:
    """A new client signed in as ``email`` (None: signed out).

    The session is written the way Flask-Login's own sign-in writes it, without POST /login:
    signing in updates ``last_sign_in_at`` and the audit log, and the GET-safety test must
    see a database that only the requests under test could have changed. The matrix covers
    POST /login itself.
    """
    client = app.test_client()
    token = session_token_for(app, email) if email else None
    if token or session_values:
        with client.session_transaction() as session:
            if token:
                # What User.sign_in_id gives: the token and when it was issued.
                session["_user_id"] = f"{token}.{int(time.time())}"
                session["_fresh"] = True
            session.update(session_values or {})
    return client


# The one per-request part of a page: Flask-WTF signs the CSRF token with a timestamp.
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')
PER_REQUEST_HEADERS = {"X-Request-ID"}


def normalised(response: Any) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of a response, with the per-request parts blanked out."""
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, CSRF_VALUE.sub(r"\1-\2", response.get_data(as_text=True))


def table_digests(app: Flask) -> dict[str, str]:
    """SHA-256 of every table's rows in primary-key order, per table (names a changed table)."""
    digests = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests
