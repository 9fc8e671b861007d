"""The campaign page's claims and payments: claim an expense with proof, confirm, dispute,
revise or withdraw a claim, download its proof (parties only, always as an attachment), record
a payment, confirm or reject one received. Thin: parse, call the service, render."""

from __future__ import annotations

from typing import Any

from flask import send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from comarketing import submissions
from comarketing.budgets import claim_responses, claims, payments, proofs
from comarketing.budgets.forms import ClaimForm, PaymentForm, ReasonForm, ReviseForm
from comarketing.budgets.views import amount_of, done, refused, render_campaign, result_url
from comarketing.campaigns.views import bp
from comarketing.errors import DomainError
from comarketing.web import abort_for, current_actor

FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _messages(form: Any) -> list[str]:
    """Every error of a form posted from one row of a table, to show in that row."""
    messages = [m for f in form if f.name != "csrf_token" for m in f.errors]
    return messages + list(form.form_errors)


def _uploads(field: Any) -> list[proofs.ProofUpload]:
    return [
        proofs.ProofUpload(item.stream, item.filename or "")
        for item in (field.data or [])
        if isinstance(item, FileStorage) and item.filename
    ]


@bp.route("/campaigns/<int:campaign_id>/claims", methods=["POST"])
@login_required
def claim(campaign_id: int) -> ResponseReturnValue:
    form = ClaimForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            assert form.service_from.data and form.service_to.data and form.paid_on.data
            submissions.record(form, current_actor().user_id, result_url(campaign_id, "claims"))
            claims.create_claim(
                current_actor(),
                campaign_id,
                organization_id=form.organization_id.data,
                placement_id=form.placement_id.data,
                terms=claims.ClaimTerms(
                    amount_minor=amount_of(form, campaign_id),
                    service_from=form.service_from.data,
                    service_to=form.service_to.data,
                    paid_on=form.paid_on.data,
                    note=form.note.data or "",
                ),
                proofs=_uploads(form.proof),
                override_reason=form.override_reason.data or None,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Expense claimed.", "claims")
    return render_campaign(campaign_id, 422, claim=form)


@bp.route("/campaigns/<int:campaign_id>/claims/<int:claim_id>/revise", methods=["POST"])
@login_required
def revise_claim(campaign_id: int, claim_id: int) -> ResponseReturnValue:
    form = ReviseForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, current_actor().user_id, result_url(campaign_id, "claims"))
            claims.revise_claim(
                current_actor(),
                campaign_id,
                claim_id,
                amount_minor=amount_of(form, campaign_id) if form.amount.data else None,
                service_from=form.service_from.data,
                service_to=form.service_to.data,
                paid_on=form.paid_on.data,
                note=form.note.data or None,
                proofs=_uploads(form.proof),
                override_reason=form.override_reason.data or None,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Claim revised: the other parties confirm it again.", "claims")
    return render_campaign(
        campaign_id, 422, refused_claim=claim_id, refused_messages=_messages(form)
    )


def _reason_step(campaign_id: int, claim_id: int, step: str) -> ResponseReturnValue:
    form = ReasonForm()
    if form.validate_on_submit():
        actor = current_actor()
        try:
            if step == "confirm":
                claim_responses.confirm_claim(actor, campaign_id, claim_id)
            elif step == "dispute":
                claim_responses.dispute_claim(
                    actor, campaign_id, claim_id, reason=form.reason.data or ""
                )
            else:
                claims.withdraw_claim(
                    actor,
                    campaign_id,
                    claim_id,
                    reason=form.reason.data or "",
                    override_reason=form.override_reason.data or None,
                )
        except DomainError as exc:
            refused(form, exc)
        else:
            words = {"confirm": "confirmed", "dispute": "disputed", "withdraw": "withdrawn"}
            return done(campaign_id, f"Claim {words[step]}.", "claims")
    return render_campaign(
        campaign_id, 422, refused_claim=claim_id, refused_messages=_messages(form)
    )


@bp.route("/campaigns/<int:campaign_id>/claims/<int:claim_id>/confirm", methods=["POST"])
@login_required
def confirm_claim(campaign_id: int, claim_id: int) -> ResponseReturnValue:
    return _reason_step(campaign_id, claim_id, "confirm")


@bp.route("/campaigns/<int:campaign_id>/claims/<int:claim_id>/dispute", methods=["POST"])
@login_required
def dispute_claim(campaign_id: int, claim_id: int) -> ResponseReturnValue:
    return _reason_step(campaign_id, claim_id, "dispute")


@bp.route("/campaigns/<int:campaign_id>/claims/<int:claim_id>/withdraw", methods=["POST"])
@login_required
def withdraw_claim(campaign_id: int, claim_id: int) -> ResponseReturnValue:
    return _reason_step(campaign_id, claim_id, "withdraw")


def _send(served: proofs.ServedProof) -> ResponseReturnValue:
    response = send_file(
        served.path,
        mimetype=served.media_type,
        as_attachment=True,
        download_name=served.download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/campaigns/<int:campaign_id>/claims/proofs/<int:proof_id>")
@login_required
def claim_proof(campaign_id: int, proof_id: int) -> ResponseReturnValue:
    try:
        served = proofs.claim_proof(current_actor(), campaign_id, proof_id)
    except DomainError as exc:
        abort_for(exc)
    return _send(served)


@bp.route("/campaigns/<int:campaign_id>/payments", methods=["POST"])
@login_required
def payment(campaign_id: int) -> ResponseReturnValue:
    form = PaymentForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            assert form.paid_on.data
            submissions.record(form, current_actor().user_id, result_url(campaign_id, "payments"))
            files = _uploads(form.proof)
            payments.record_payment(
                current_actor(),
                campaign_id,
                to_organization_id=form.to_organization_id.data,
                amount_minor=amount_of(form, campaign_id),
                paid_on=form.paid_on.data,
                reference=form.reference.data or "",
                proof=files[0] if files else None,
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(campaign_id, "Payment recorded: the receiver confirms it.", "payments")
    return render_campaign(campaign_id, 422, payment=form)


def _payment_step(campaign_id: int, payment_id: int, step: str) -> ResponseReturnValue:
    form = ReasonForm()
    if form.validate_on_submit():
        actor = current_actor()
        try:
            if step == "confirm":
                payments.confirm_payment(actor, campaign_id, payment_id)
            else:
                payments.reject_payment(
                    actor, campaign_id, payment_id, reason=form.reason.data or ""
                )
        except DomainError as exc:
            refused(form, exc)
        else:
            words = {"confirm": "confirmed as received", "reject": "rejected"}
            return done(campaign_id, f"Payment {words[step]}.", "payments")
    return render_campaign(
        campaign_id, 422, refused_payment=payment_id, refused_messages=_messages(form)
    )


@bp.route("/campaigns/<int:campaign_id>/payments/<int:payment_id>/confirm", methods=["POST"])
@login_required
def confirm_payment(campaign_id: int, payment_id: int) -> ResponseReturnValue:
    return _payment_step(campaign_id, payment_id, "confirm")


@bp.route("/campaigns/<int:campaign_id>/payments/<int:payment_id>/reject", methods=["POST"])
@login_required
def reject_payment(campaign_id: int, payment_id: int) -> ResponseReturnValue:
    return _payment_step(campaign_id, payment_id, "reject")


@bp.route("/campaigns/<int:campaign_id>/payments/<int:payment_id>/proof")
@login_required
def payment_proof(campaign_id: int, payment_id: int) -> ResponseReturnValue:
    try:
        served = proofs.payment_proof(current_actor(), campaign_id, payment_id)
    except DomainError as exc:
        abort_for(exc)
    return _send(served)
