"""Forms of the campaign page's money: claim an expense (with proof), revise, dispute or
withdraw a claim, record a payment, reject a payment."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from comarketing.budgets.proofs import ACCEPTED_DESCRIPTION
from comarketing.dates_allowed import DateField
from comarketing.form_base import AppForm
from comarketing.submissions import CreateForm

PROOF_HELP = f"Invoice or receipt: {ACCEPTED_DESCRIPTION}; recognised by content."


class ClaimForm(CreateForm):
    organization_id = SelectField(
        "Paid by", coerce=int, validate_choice=False, id="claim-organization_id"
    )
    placement_id = SelectField(
        "Placement", coerce=int, validate_choice=False, id="claim-placement_id"
    )
    amount = StringField("Amount", validators=[DataRequired()], id="claim-amount")
    service_from = DateField("Service from", validators=[DataRequired()], id="claim-service_from")
    service_to = DateField("Service to", validators=[DataRequired()], id="claim-service_to")
    paid_on = DateField("Paid on", validators=[DataRequired()], id="claim-paid_on")
    note = StringField("Note", validators=[Length(max=500)], id="claim-note")
    proof = MultipleFileField("Proof", description=PROOF_HELP, id="claim-proof")
    override_reason = StringField(
        "Admin override reason",
        validators=[Length(max=500)],
        description="Only for admins: claiming past the commitments or for another party.",
        id="claim-override_reason",
    )


class ReviseForm(CreateForm):
    amount = StringField("Amount", validators=[Optional()], id="revise-amount")
    service_from = DateField("Service from", validators=[Optional()], id="revise-service_from")
    service_to = DateField("Service to", validators=[Optional()], id="revise-service_to")
    paid_on = DateField("Paid on", validators=[Optional()], id="revise-paid_on")
    note = StringField("Note", validators=[Optional(), Length(max=500)], id="revise-note")
    proof = MultipleFileField("More proof", description=PROOF_HELP, id="revise-proof")
    override_reason = StringField(
        "Admin override reason", validators=[Length(max=500)], id="revise-override_reason"
    )


class ReasonForm(AppForm):
    """Dispute a claim, withdraw it, or reject a payment: why."""

    reason = StringField("Why", validators=[Length(max=500)])
    override_reason = StringField("Admin override reason", validators=[Length(max=500)])


class PaymentForm(CreateForm):
    to_organization_id = SelectField(
        "Paid to", coerce=int, validate_choice=False, id="payment-to_organization_id"
    )
    amount = StringField("Amount", validators=[DataRequired()], id="payment-amount")
    paid_on = DateField("Paid on", validators=[DataRequired()], id="payment-paid_on")
    reference = StringField("Reference", validators=[Length(max=200)], id="payment-reference")
    proof = MultipleFileField("Proof (optional)", description=PROOF_HELP, id="payment-proof")
