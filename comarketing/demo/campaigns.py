"""The running joint campaign of the approved demo offer: both parties' spend, its daily
results so far and a milestone; and a solo campaign of the flour company that clashes with it
on social."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import balances, claim_responses, claims, commitments, payments
from comarketing.budgets.proofs import ProofUpload
from comarketing.campaigns import lifecycle, milestones
from comarketing.campaigns import placements as campaign_placements
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.demo.companies import approver_of, user_by_email
from comarketing.demo.figures import placement_days
from comarketing.extensions import db
from comarketing.metrics import entry as metric_entry
from comarketing.metrics.models import ImportSource


def run_campaigns(offer_id: int, flour: Organization, shortening: Organization) -> Iterator[str]:
    """Spend on the joint campaign by both parties, a milestone, the shortening company's
    blackout day, and a solo campaign of the flour company that clashes with the joint one on
    its social channel."""
    flour_manager = Actor(user_by_email("partners@millstone.example"))
    shortening_manager = Actor(user_by_email("partners@goldcrest.example"))
    joint = db.session.scalar(sa.select(Campaign).where(Campaign.offer_id == offer_id))
    assert joint is not None
    lifecycle.change_status(flour_manager, joint.id, "activate")
    today = utcnow().date()
    _post_joint_expenses(joint.id, today, flour, flour_manager, shortening, shortening_manager)
    yield from _joint_results(
        joint.id, {flour.id: flour_manager, shortening.id: shortening_manager}
    )
    milestones.add_milestone(
        flour_manager,
        joint.id,
        kind="wrap_up",
        title="Results review",
        owner_organization_id=flour.id,
        due_on=joint.end_date,
    )
    # The shortening company's stock count: no placements of the joint campaign that day, so
    # the flour company's placements running then clash with it on the calendar.
    milestones.add_milestone(
        shortening_manager,
        joint.id,
        kind="blackout",
        title="Goldcrest stock count",
        owner_organization_id=shortening.id,
        due_on=min(max(today + timedelta(days=3), joint.start_date), joint.end_date),
    )
    _add_clashing_solo_campaign(flour, flour_manager, today)
    yield (
        "created: spend on the joint campaign, a partner's blackout day, and a solo campaign "
        "that clashes on social"
    )


def _post_joint_expenses(
    joint_id: int,
    today: date,
    flour: Organization,
    flour_manager: Actor,
    shortening: Organization,
    shortening_manager: Actor,
) -> None:
    """Every state of a claim and a payment: the flour company's print run (with its PDF
    invoice) confirmed by the shortening company's approver and paid for by the shortening
    company; the shortening company's labels pending (due in two days: the flour company gives
    itself two business days); a courier bill of the flour company disputed."""
    placements = {
        p.owner_organization_id: p
        for p in db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == joint_id).order_by(Placement.id)
        )
    }
    flour.claim_confirmation_business_days = 2
    flour_approver, shortening_approver = approver_of(flour), approver_of(shortening)

    def claim(actor: Actor, org: Organization, amount: int, days_ago: int, note: str) -> int:
        paid = today - timedelta(days=days_ago)
        invoice = ProofUpload(io.BytesIO(_demo_pdf(note)), f"{note}.pdf")
        return claims.create_claim(
            actor,
            joint_id,
            organization_id=org.id,
            placement_id=placements[org.id].id,
            terms=claims.ClaimTerms(amount, max(paid, _start(joint_id)), paid, paid, note),
            proofs=[invoice],
        ).claim.id

    print_run = claim(flour_manager, flour, 820_000, 6, "Bag print run")
    claim_responses.confirm_claim(shortening_approver, joint_id, print_run)
    owed = balances.settlement(joint_id).transfers
    for transfer in owed:
        payment = payments.record_payment(
            shortening_manager,
            joint_id,
            to_organization_id=transfer.to_organization_id,
            amount_minor=transfer.amount_minor,
            paid_on=today - timedelta(days=1),
            reference="Bank transfer GC-2041",
        )
        payments.confirm_payment(flour_approver, joint_id, payment.payment.id)
    claim(shortening_manager, shortening, 310_000, 3, "Tub labels")
    courier = claim(flour_manager, flour, 45_000, 2, "Courier for proofs")
    claim_responses.dispute_claim(
        shortening_approver,
        joint_id,
        courier,
        reason="We agreed proofs go by e-mail; no courier was booked with us.",
    )


def _start(campaign_id: int) -> date:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign.start_date


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF saying what the invoice is for (content-checked like any upload)."""
    text = f"Demo invoice: {title}".replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _add_clashing_solo_campaign(flour: Organization, flour_manager: Actor, today: date) -> None:
    """The flour company's own social push, running alongside the joint campaign."""
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


def _joint_results(campaign_id: int, managers: dict[int, Actor]) -> Iterator[str]:
    """Daily results of every placement from its start to yesterday, entered by its owner
    (the same channel model as the year of history, with the lift of a two-brand recipe)."""
    today = utcnow().date()
    campaign_name = db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id))
    placements = db.session.scalars(
        sa.select(Placement).where(Placement.campaign_id == campaign_id).order_by(Placement.id)
    ).all()
    for placement in placements:
        days = placement_days(
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
