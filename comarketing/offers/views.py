"""Offer pages: list, inbox, propose, the offer page (terms, diff, decisions, discussion)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from wtforms import SelectChoice

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.campaigns import cache
from comarketing.dates_format import locale
from comarketing.db import utcnow
from comarketing.errors import DomainError
from comarketing.money import format_share, to_decimal_string
from comarketing.offers import discussion, forms, lists, offer_page, proposals, reviews, terms
from comarketing.offers.models import OfferStatus
from comarketing.offers.placement_terms import MAX_PLACEMENTS
from comarketing.policy import Action, can
from comarketing.template_helpers import page_zone
from comarketing.web import abort_for, attach_error, current_actor

bp = Blueprint("offers", __name__, url_prefix="/offers")


def _refuse_or_show(form: object, exc: DomainError) -> None:
    """403/404 become error pages; validation and conflicts are shown on the form."""
    if exc.status_code in (403, 404):
        abort_for(exc)
    attach_error(form, exc)


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    status = request.args.get("status") or None
    if status and status not in {s.value for s in OfferStatus}:
        status = None
    partner = request.args.get("partner", type=int)
    actor = current_actor()
    try:
        shown = lists.offers_shown(actor, status=status, partner_id=partner)
    except DomainError as exc:
        abort_for(exc)
    # The table and the partner choices are kept as HTML until the company's data changes
    # (or a shown offer falls due), per filters, reader's zone and language.
    scope = (
        "offers",
        status,
        partner,
        cache.instant(shown.changes_at),
        page_zone().key,
        str(locale()),
    )
    return render_template(
        "offers/index.html",
        rows=shown.value,
        status=status,
        partner=partner,
        statuses=[s.value for s in OfferStatus],
        partners=cache.Later(lambda: terms.partner_choices(actor)),
        cached=cache.fragments(actor.organization_id, scope),
    )


@bp.route("/inbox")
@login_required
def inbox() -> ResponseReturnValue:
    return render_template("offers/inbox.html", rows=lists.inbox(current_actor()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if not can(current_user, Action.PROPOSE_OFFER):
        abort(403)
    choices = terms.form_choices(current_actor())
    form = forms.ChoosePartnersForm()
    form.partners.choices = [SelectChoice(o.id, o.name) for o in choices.partners]
    if form.validate_on_submit():
        return redirect(url_for("offers.new_terms", partner=form.partners.data))
    return render_template("offers/choose_partners.html", form=form, choices=choices)


def _terms_form(
    actor_org_id: int,
    party_ids: list[int],
    choices: terms.FormChoices,
    names: dict[int, str],
    revision: object = None,
) -> forms.OfferTermsForm:
    """The terms form with one row per party and their products to pick from."""
    form = forms.OfferTermsForm()
    if request.method == "GET":
        if revision is not None:
            _fill_from_revision(form, revision)
        else:
            even = 10_000 // len(party_ids)
            for index, org_id in enumerate(party_ids):
                share = format_share(even + (10_000 - even * len(party_ids) if index == 0 else 0))
                form.parties.append_entry(
                    {
                        "organization_id": str(org_id),
                        "budget_share": share.rstrip("%"),
                        "revenue_share": share.rstrip("%"),
                        "products": [],
                    }
                )
            # A new offer has no placements to list: one empty row to start with.
            form.placements.append_entry()
    elif _adding_placement() and len(form.placements.entries) < MAX_PLACEMENTS:
        form.placements.append_entry()
    for entry in form.parties.entries:
        org_id = int(entry.form.organization_id.data or 0)
        entry.form.products.choices = [
            SelectChoice(p.id, p.name) for p in choices.products.get(org_id, [])
        ]
        entry.label_text = names.get(org_id, "?")
        entry.is_me = org_id == actor_org_id
    owners = [SelectChoice(str(o), names.get(o, "?")) for o in party_ids]
    for entry in form.placements.entries:
        entry.form.owner.choices = [SelectChoice("", "—"), *owners]
    return form


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _adding_placement() -> bool:
    """The "Add a placement" button: re-render the form with one more, empty row (no save)."""
    return request.method == "POST" and "add_placement" in request.form


def _fill_from_revision(form: forms.OfferTermsForm, revision: object) -> None:
    r = revision
    form.title.data = r.title  # type: ignore[attr-defined]
    form.value_proposition.data = r.value_proposition  # type: ignore[attr-defined]
    form.audience.data = r.audience  # type: ignore[attr-defined]
    form.start_date.data = r.start_date  # type: ignore[attr-defined]
    form.end_date.data = r.end_date  # type: ignore[attr-defined]
    currency = r.currency  # type: ignore[attr-defined]
    form.currency.data = currency
    form.total_budget.data = to_decimal_string(r.total_budget_minor, currency)  # type: ignore[attr-defined]
    form.target_reach.data = r.target_reach  # type: ignore[attr-defined]
    form.target_leads.data = r.target_leads  # type: ignore[attr-defined]
    revenue = r.target_revenue_minor  # type: ignore[attr-defined]
    form.target_revenue.data = to_decimal_string(revenue, currency) if revenue is not None else ""
    for party in r.party_terms:  # type: ignore[attr-defined]
        form.parties.append_entry(
            {
                "organization_id": str(party["organization_id"]),
                "budget_share": format_share(party["budget_share_bp"]).rstrip("%"),
                "revenue_share": format_share(party["revenue_share_bp"]).rstrip("%"),
                "products": party["product_ids"],
            }
        )
    for placement in r.placements:  # type: ignore[attr-defined]
        form.placements.append_entry(
            {
                "channel": placement["channel"],
                "owner": str(placement["owner_organization_id"]),
                "name": placement["name"],
                "planned_cost": to_decimal_string(placement["planned_cost_minor"], currency),
                "start_date": _day(placement.get("start_date")),
                "end_date": _day(placement.get("end_date")),
                "key": placement.get("key") or "",
            }
        )


@bp.route("/new/terms", methods=["GET", "POST"])
@login_required
def new_terms() -> ResponseReturnValue:
    if not can(current_user, Action.PROPOSE_OFFER):
        abort(403)
    actor = current_actor()
    choices = terms.form_choices(actor)
    allowed = {o.id for o in choices.partners}
    partner_ids = sorted({p for p in request.args.getlist("partner", type=int) if p in allowed})
    if not partner_ids:
        flash("Choose at least one active partner first.", "warning")
        return redirect(url_for("offers.new"))
    party_ids = sorted([actor.organization_id, *partner_ids])
    names = {o.id: o.name for o in choices.partners} | {
        actor.organization_id: actor.user.organization.name
    }
    form = _terms_form(actor.organization_id, party_ids, choices, names)
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if not _adding_placement() and form.validate_on_submit():
        try:
            # The draft's page is known once it exists: until then a repeat goes to the list.
            submissions.record(form, actor.user_id, url_for("offers.index"))
            offer = proposals.create_draft(
                actor, partner_ids=partner_ids, terms=form.to_terms(), expires_at=form.expires_at()
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            _refuse_or_show(form, exc)
        else:
            result = url_for("offers.detail", offer_id=offer.id)
            submissions.set_result(form, actor.user_id, result)
            flash("Draft saved. Only your company sees it until you send it.", "success")
            return redirect(result)
    return render_template("offers/terms_form.html", form=form, mode="new", offer=None, names=names)


@bp.route("/<int:offer_id>")
@login_required
def detail(offer_id: int) -> ResponseReturnValue:
    return _render_offer(offer_id)


def _render_offer(offer_id: int, status: int = 200, **refused: Any) -> ResponseReturnValue:
    """The offer page; ``refused`` carries a refused decision or comment back with its errors
    (a page showing one keeps nothing)."""
    actor = current_actor()
    try:
        head, changes_at = offer_page.offer_head(actor, offer_id, utcnow())
    except DomainError as exc:
        abort_for(exc)
    number = str(head.current_revision_number)
    decision_form = refused.get("decision") or forms.DecisionForm(revision_number=number)
    comment_form = refused.get("comment") or forms.CommentForm()
    # Read only when the page's block is not kept: every write to the offer raises its
    # parties' data versions; kept per person (their role and four eyes decide the forms),
    # until the review falls due, in the reader's zone and language.
    scope = (
        "offer",
        offer_id,
        actor.user_id,
        actor.user.role,
        cache.instant(changes_at),
        page_zone().key,
        str(locale()),
    )
    tokens = [generate_csrf(), str(comment_form.submission_token.data)]
    cached = (
        cache.unkept if refused else cache.fragments(actor.organization_id, scope, secrets=tokens)
    )
    return render_template(
        "offers/detail.html",
        head=head,
        offer_view=cache.Later(lambda: offer_page.offer_view(actor, offer_id)),
        decision_form=decision_form,
        comment_form=comment_form,
        withdraw_form=forms.WithdrawForm(),
        action_form=ConfirmForm(),
        cached=cached,
    ), status


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(offer_id: int) -> ResponseReturnValue:
    """Edit a draft in place, or propose the next revision of a sent offer."""
    actor = current_actor()
    try:
        view = offer_page.offer_view(actor, offer_id)
    except DomainError as exc:
        abort_for(exc)
    if not can(actor.user, Action.PROPOSE_OFFER):
        abort(403)
    offer = view.offer
    if offer.status not in (OfferStatus.DRAFT.value, OfferStatus.SENT.value):
        flash(f"This offer is {offer.status}; its terms can no longer change.", "warning")
        return redirect(url_for("offers.detail", offer_id=offer.id))
    party_ids = sorted(view.parties)
    choices = terms.form_choices(
        actor, extra_party_ids=party_ids, shared_product_ids=list(view.products)
    )
    names = {oid: org.name for oid, org in view.parties.items()}
    form = _terms_form(actor.organization_id, party_ids, choices, names, view.current.revision)
    if request.method == "GET":
        form.version.data = str(offer.version)
        if offer.expires_at:
            form.expires_on.data = offer.expires_at.date()
    status = 200
    if not _adding_placement() and form.validate_on_submit():
        expected = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            if offer.status == OfferStatus.DRAFT.value:
                proposals.update_draft(
                    actor,
                    offer.id,
                    partner_ids=party_ids,
                    terms=form.to_terms(),
                    expires_at=form.expires_at(),
                    expected_version=expected,
                )
                flash("Draft saved.", "success")
            else:
                revision = proposals.revise(
                    actor, offer.id, terms=form.to_terms(), expected_version=expected
                )
                flash(f"Revision {revision.number} sent to every party.", "success")
        except DomainError as exc:
            _refuse_or_show(form, exc)
            # Someone changed the offer since this form was opened: say so in the status too.
            status = 409 if exc.status_code == 409 else status
        else:
            return redirect(url_for("offers.detail", offer_id=offer.id))
    mode = "draft" if offer.status == OfferStatus.DRAFT.value else "revise"
    return render_template(
        "offers/terms_form.html", form=form, mode=mode, offer=offer, names=names, view=view
    ), status


def _post_action(offer_id: int, run: object, success: str) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        run()  # type: ignore[operator]
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
        return redirect(url_for("offers.detail", offer_id=offer_id)), 303
    flash(success, "success")
    return redirect(url_for("offers.detail", offer_id=offer_id))


@bp.route("/<int:offer_id>/send", methods=["POST"])
@login_required
def send(offer_id: int) -> ResponseReturnValue:
    return _post_action(
        offer_id,
        lambda: proposals.send(current_actor(), offer_id),
        "Offer sent. Every party has been notified.",
    )


@bp.route("/<int:offer_id>/discard", methods=["POST"])
@login_required
def discard(offer_id: int) -> ResponseReturnValue:
    return _post_action(
        offer_id, lambda: proposals.discard_draft(current_actor(), offer_id), "Draft discarded."
    )


@bp.route("/<int:offer_id>/withdraw", methods=["POST"])
@login_required
def withdraw(offer_id: int) -> ResponseReturnValue:
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    return _post_action(
        offer_id,
        lambda: proposals.withdraw(current_actor(), offer_id, reason=form.reason.data or ""),
        "Offer withdrawn.",
    )


@bp.route("/<int:offer_id>/clone", methods=["POST"])
@login_required
def clone(offer_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        offer = proposals.clone(current_actor(), offer_id)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
        return redirect(url_for("offers.detail", offer_id=offer_id))
    flash("A new draft was made from this offer. Adjust it and send it.", "success")
    return redirect(url_for("offers.edit", offer_id=offer.id))


@bp.route("/<int:offer_id>/decide", methods=["POST"])
@login_required
def decide(offer_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = forms.DecisionForm()
    if form.validate_on_submit():
        try:
            reviews.decide(
                actor,
                offer_id,
                revision_number=int(form.revision_number.data),
                decision=form.decision.data or "",
                comment=form.comment.data or "",
            )
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            if exc.status_code == 409:
                flash(exc.message, "danger")
                return redirect(url_for("offers.detail", offer_id=offer_id)), 303
            attach_error(form, exc)
        else:
            if offer_page.offer_status(actor, offer_id) == OfferStatus.APPROVED.value:
                flash(
                    "Every party has approved: the joint campaign is ready and each party's "
                    "budget commitment is recorded.",
                    "success",
                )
            else:
                flash("Your decision was recorded and every party was told.", "success")
            return redirect(url_for("offers.detail", offer_id=offer_id))
    return _render_offer(offer_id, 422, decision=form)


@bp.route("/<int:offer_id>/comments", methods=["POST"])
@login_required
def comment(offer_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = forms.CommentForm()
    discussion_url = url_for("offers.detail", offer_id=offer_id) + "#discussion"
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, actor.user_id, discussion_url)
            discussion.add_comment(actor, offer_id, form.body.data or "")
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            attach_error(form, exc)
        else:
            return redirect(discussion_url)
    return _render_offer(offer_id, 422, comment=form)
