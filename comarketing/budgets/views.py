"""The campaign page — overview, budget panel with settlement and burn, claims and payments,
placements, milestones, ledger — and the forms posted from it (claims and payments have theirs
in ``claim_views``). Registered on the campaigns blueprint: this package is the right-most one
whose data the page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from wtforms import SelectChoice

from comarketing import chart_steps, dates_format, submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.budgets import balances, claim_states, commitments, reversals
from comarketing.budgets import forms as budget_forms
from comarketing.budgets.balances import Totals
from comarketing.campaigns import access, cache, listing, milestones
from comarketing.campaigns import forms as campaign_forms
from comarketing.campaigns.views import bp
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import DomainError
from comarketing.money import exponent, parse_amount
from comarketing.paging import Pager, page_number
from comarketing.policy import Action, can
from comarketing.template_helpers import page_zone, request_permissions
from comarketing.timezones import company_today
from comarketing.web import abort_for, attach_error, current_actor


def _burn_chart(view: listing.CampaignView, committed: int, today: date) -> dict[str, Any]:
    """Cumulative spend per day against an even burn of the commitments over the dates."""
    campaign = view.campaign
    spent = dict(balances.spend_by_day(campaign.id))
    days = (campaign.end_date - campaign.start_date).days + 1
    labels, actual, plan, running = [], [], [], 0
    before = sum(amount for day, amount in spent.items() if day < campaign.start_date)
    running = before
    for index in range(days):
        day = campaign.start_date + timedelta(days=index)
        running += spent.get(day, 0)
        labels.append(day.isoformat())
        actual.append(running if day <= today else None)
        plan.append(committed * (index + 1) // days)
    return {
        # Long campaigns: one point per week or month (chart_steps).
        **chart_steps.thin(labels, {"actual": actual, "plan": plan}),
        "divisor": 10 ** exponent(campaign.currency),
        "currency": campaign.currency,
    }


PER_PAGE = 50  # claims and ledger entries shown at a time, newest first


def _pagers(campaign_id: int, forms: dict[str, Any]) -> tuple[Pager, Pager]:
    """The pages of claims and ledger entries to show: the ones asked for, or the ones holding
    the claim or entry a refused form was about (its message is shown next to it)."""
    claims = claim_states.claim_count(campaign_id)
    if forms.get("refused_claim") is not None:
        place = claim_states.claim_count(campaign_id, newer_than=forms["refused_claim"])
        claims_pager = Pager.showing(min(place, max(claims - 1, 0)), claims, PER_PAGE)
    else:
        claims_pager = Pager(page_number(request.args.get("claims_page")), claims, PER_PAGE)
    entries = balances.ledger_size(campaign_id)
    if forms.get("reversal_entry") is not None:
        place = balances.entries_after(campaign_id, forms["reversal_entry"])
        ledger_pager = Pager.showing(min(place, max(entries - 1, 0)), entries, PER_PAGE)
    else:
        ledger_pager = Pager(page_number(request.args.get("ledger_page")), entries, PER_PAGE)
    return claims_pager, ledger_pager


@dataclass(frozen=True)
class _Shown:
    """What the page's kept blocks show: the money, a page of claims and of the ledger, the
    payments."""

    balances: dict[int, Any]
    totals: Totals
    settlement: Any
    burn: dict[str, Any]
    claims_pager: Pager
    claims: list[Any]
    ledger_pager: Pager
    ledger: list[Any]
    claimed_entries: set[int]
    payments: list[Any]


def _shown(view: listing.CampaignView, forms: dict[str, Any], today: date) -> _Shown:
    campaign_id = view.campaign.id
    # The balances from one aggregate of every claim's state; the claims themselves a page
    # at a time: the page's cost does not grow with the campaign's history.
    party_balances = balances.balances(
        campaign_id, sums=claim_states.claim_sums_in_sql(campaign_id)
    )
    totals = balances.totals_of(party_balances)
    # The parties as the campaign's view read them (not read again by the lists below).
    shares = {org.id: party.budget_share_bp for org, party in view.parties}
    claims_pager, ledger_pager = _pagers(campaign_id, forms)
    ledger = balances.ledger(campaign_id, PER_PAGE, ledger_pager.offset)
    return _Shown(
        balances=party_balances,
        totals=totals,
        settlement=balances.settlement(campaign_id, party_balances, shares=shares),
        burn=_burn_chart(view, totals.committed_minor, today),
        claims_pager=claims_pager,
        claims=claim_states.claim_page(
            campaign_id, claims_pager.offset, PER_PAGE, parties=list(shares)
        ),
        ledger_pager=ledger_pager,
        ledger=ledger,
        # Entries of claims are reversed by revising or withdrawing the claim.
        claimed_entries=claim_states.claimed_entries(row.entry.id for row in ledger),
        payments=claim_states.payment_statuses(campaign_id),
    )


def _blocks(
    actor: Actor, campaign_id: int, today: date, forms: dict[str, Any], tokens: dict[str, str]
) -> Any:
    """The page's ``cached``: kept per reader's permissions, day, zone, locale and query string
    (the lists' pages); the forms' one-time tokens put back as this request's. A page showing
    a refused form keeps nothing."""
    if forms:
        return cache.unkept
    permissions = tuple(sorted(str(action) for action in request_permissions()))
    scope = (
        "campaign",
        campaign_id,
        today,
        utcnow().date(),  # a milestone is overdue from the UTC day after it (milestones)
        page_zone().key,
        str(dates_format.locale()),
        permissions,
        request.query_string,
    )
    secrets = [generate_csrf(), *(tokens[name] for name in _CREATING)]
    return cache.fragments(actor.organization_id, scope, secrets=secrets)


# The page's forms that create something: their one-time tokens are made before the page,
# so a kept page puts back this request's (``campaigns.cache.fragments``).
_CREATING = ("revise", "reversal", "claim", "payment", "milestone", "commitment")


def _page_forms(
    actor: Actor, view: listing.CampaignView, forms: dict[str, Any], tokens: dict[str, str]
) -> dict[str, Any]:
    """The page's forms, a refused one with its errors, the others fresh with their choices."""
    me = actor.organization_id
    admin = can(actor.user, Action.OVERRIDE_BUDGET)
    party_options = [
        SelectChoice(org.id, org.name) for org, _ in view.parties if admin or org.id == me
    ]
    token = {name: {"submission_token": tokens[name]} for name in _CREATING}
    commitment = forms.get("commitment") or campaign_forms.CommitmentForm(
        organization_id=me, **token["commitment"]
    )
    claim = forms.get("claim") or budget_forms.ClaimForm(organization_id=me, **token["claim"])
    payment = forms.get("payment") or budget_forms.PaymentForm(**token["payment"])
    milestone = forms.get("milestone") or campaign_forms.MilestoneForm(
        owner_organization_id=me, **token["milestone"]
    )
    commitment.organization_id.choices = party_options
    claim.organization_id.choices = party_options
    payment.to_organization_id.choices = [
        SelectChoice(org.id, org.name) for org, _ in view.parties if org.id != me
    ]
    # Own placements first: people mostly claim what their own company spent.
    ordered = sorted(view.placements, key=lambda p: (p.owner_organization_id != me, p.id))
    claim.placement_id.choices = [
        SelectChoice(p.id, f"{p.name} ({view.party_names.get(p.owner_organization_id, '')})")
        for p in ordered
    ]
    milestone.owner_organization_id.choices = [
        SelectChoice(org.id, org.name) for org, _ in view.parties
    ]
    return {
        "commitment_form": commitment,
        "claim_form": claim,
        "payment_form": payment,
        "milestone_form": milestone,
        "revise_form": budget_forms.ReviseForm(**token["revise"]),
        "reversal_form": forms.get("reversal") or campaign_forms.ReversalForm(**token["reversal"]),
        "reason_form": budget_forms.ReasonForm(),
    }


def render_campaign(campaign_id: int, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The campaign page; ``forms`` carries a refused form back with its errors.

    Kept whole as HTML (``_blocks``): the campaign's parties, placements, milestones, money
    and the forms' choices are read only when it is not (``cache.Later``), once the campaign
    is known to be the reader's company's (``get_visible_campaign``: a party's)."""
    actor = current_actor()
    try:
        campaign = access.get_visible_campaign(actor, campaign_id)
    except DomainError as exc:
        abort_for(exc)
    view = cache.Later(lambda: listing.campaign_view(campaign))
    tokens = {name: submissions.new_token() for name in _CREATING}
    page_forms = cache.Later(lambda: _page_forms(actor, view.value, forms, tokens))
    today = company_today(current_user.organization)
    shown = cache.Later(lambda: _shown(view.value, forms, today))
    body = render_template(
        "campaigns/detail.html",
        campaign=campaign,
        view=view,
        shown=shown,
        cached=_blocks(actor, campaign_id, today, forms, tokens),
        placement_names=cache.Later(lambda: {p.id: p.name for p in view.value.placements}),
        refused_claim=forms.get("refused_claim"),
        refused_payment=forms.get("refused_payment"),
        refused_messages=forms.get("refused_messages", []),
        today=today,
        overdue=cache.Later(
            lambda: {m.id for m in view.value.milestones if milestones.is_overdue(m)}
        ),
        **{name: _one(page_forms, name) for name in _FORM_NAMES},
        reversal_entry=forms.get("reversal_entry"),
        action_form=ConfirmForm(),
        # Only a party sees the campaign (``get_visible_campaign``).
        can_post=can(actor.user, Action.POST_LEDGER_ENTRIES),
        can_confirm=can(actor.user, Action.CONFIRM_MONEY),
        can_manage=can(actor.user, Action.MANAGE_CAMPAIGNS),
    )
    return body, status


def _one(forms: cache.Later[dict[str, Any]], name: str) -> cache.Later[Any]:
    return cache.Later(lambda: forms.value[name])


_FORM_NAMES = (
    "commitment_form",
    "claim_form",
    "payment_form",
    "milestone_form",
    "revise_form",
    "reversal_form",
    "reason_form",
)


@bp.route("/campaigns/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> ResponseReturnValue:
    return render_campaign(campaign_id)


def amount_of(form: Any, campaign_id: int) -> int:
    campaign = access.get_visible_campaign(current_actor(), campaign_id)
    return parse_amount(form.amount.data or "", campaign.currency, field="amount", allow_zero=False)


def result_url(campaign_id: int, anchor: str = "budget") -> str:
    return url_for("campaigns.detail", campaign_id=campaign_id) + f"#{anchor}"


def done(campaign_id: int, message: str, anchor: str = "budget") -> ResponseReturnValue:
    flash(message, "success")
    return redirect(result_url(campaign_id, anchor))


def refused(form: Any, exc: DomainError) -> None:
    if exc.status_code in (403, 404):
        abort_for(exc)
    attach_error(form, exc)


@bp.route("/campaigns/<int:campaign_id>/commitments", methods=["POST"])
@login_required
def commit(campaign_id: int) -> ResponseReturnValue:
    form = campaign_forms.CommitmentForm()
    form.organization_id.choices = []
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, current_actor().user_id, result_url(campaign_id))
            commitments.commit_budget(
                current_actor(),
                campaign_id,
                organization_id=form.organization_id.data,
                amount_minor=amount_of(form, campaign_id),
                note=form.note.data or "",
                occurred_on=form.occurred_on.data,
                override_reason=form.override_reason.data or None,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Commitment recorded.")
    return render_campaign(campaign_id, 422, commitment=form)


@bp.route("/campaigns/<int:campaign_id>/entries/<int:entry_id>/reverse", methods=["POST"])
@login_required
def reverse(campaign_id: int, entry_id: int) -> ResponseReturnValue:
    form = campaign_forms.ReversalForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, current_actor().user_id, result_url(campaign_id, "ledger"))
            reversals.reverse_entry(
                current_actor(),
                campaign_id,
                entry_id,
                reason=form.reason.data or "",
                override_reason=form.override_reason.data or None,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Entry reversed.", "ledger")
    return render_campaign(campaign_id, 422, reversal=form, reversal_entry=entry_id)


@bp.route("/campaigns/<int:campaign_id>/milestones", methods=["POST"])
@login_required
def add_milestone(campaign_id: int) -> ResponseReturnValue:
    if not can(current_user, Action.MANAGE_CAMPAIGNS):
        abort(403)
    form = campaign_forms.MilestoneForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, current_actor().user_id, result_url(campaign_id, "milestones"))
            milestones.add_milestone(
                current_actor(),
                campaign_id,
                kind=form.kind.data or "",
                title=form.title.data or "",
                owner_organization_id=form.owner_organization_id.data,
                due_on=form.due_on.data,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Milestone added.", "milestones")
    return render_campaign(campaign_id, 422, milestone=form)
