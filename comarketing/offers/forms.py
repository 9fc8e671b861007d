"""Offer forms. They turn typed text into exact values (money via ``comarketing.money``) and
hand the service plain inputs; the service checks the rules that need the database."""

from __future__ import annotations

from datetime import datetime

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from comarketing.accounts.calendars import country_choices, zone_choices
from comarketing.campaigns.models import CHANNEL_CHOICES
from comarketing.dates_allowed import DateField
from comarketing.errors import ValidationFailed
from comarketing.form_base import AppForm
from comarketing.money import CURRENCY_CHOICES, parse_amount, parse_share
from comarketing.offers.models import Decision
from comarketing.offers.placement_terms import MAX_PLACEMENTS
from comarketing.offers.terms import PartyTermsInput, PlacementInput, TermsInput, expiry_at
from comarketing.submissions import CreateForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChoosePartnersForm(AppForm):
    partners = MultiCheckboxField(
        "Partners in this offer",
        coerce=int,
        validators=[DataRequired("Choose at least one partner.")],
    )


class PartyTermsForm(Form):
    organization_id = HiddenField()
    budget_share = StringField("Budget share (%)", validators=[InputRequired()])
    revenue_share = StringField("Revenue share (%)", validators=[InputRequired()])
    products = MultiCheckboxField("Products", coerce=int, validate_choice=False)


class PlacementForm(Form):
    channel = SelectField(
        "Channel",
        choices=[SelectChoice("", "—"), *(SelectChoice(v, label) for v, label in CHANNEL_CHOICES)],
        validate_choice=False,
    )
    owner = SelectField("Owner", coerce=str, validate_choice=False)
    name = StringField("Placement", validators=[Length(max=200)])
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("To", validators=[Optional()])
    planned_cost = StringField("Planned cost")
    # The placement's identity from revision to revision (``diff.py``); empty for a new row.
    key = HiddenField()

    def is_blank(self) -> bool:
        return not (
            self.channel.data
            or (self.name.data or "").strip()
            or (self.planned_cost.data or "").strip()
            or self.start_date.data
            or self.end_date.data
        )


class OfferTermsForm(CreateForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    value_proposition = TextAreaField(
        "Value proposition",
        validators=[Length(max=5000)],
        description="Why buyers of each brand will care.",
    )
    audience = TextAreaField("Target audience", validators=[Length(max=2000)])
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField("End date", validators=[InputRequired()])
    currency = SelectField(
        "Currency", choices=[SelectChoice(c) for c in CURRENCY_CHOICES], default="EUR"
    )
    total_budget = StringField(
        "Total budget", validators=[DataRequired()], description="For example 25,000 or 25000.00"
    )
    target_reach = IntegerField("Target reach (people)", validators=[Optional(), NumberRange(0)])
    target_leads = IntegerField("Target leads", validators=[Optional(), NumberRange(0)])
    target_revenue = StringField("Target revenue", validators=[Optional()])
    expires_on = DateField("Close as expired if undecided on (optional)", validators=[Optional()])
    change_note = TextAreaField(
        "What changed and why (shown to all parties)", validators=[Length(max=2000)]
    )
    version = HiddenField()
    parties = FieldList(FormField(PartyTermsForm))
    # Existing placements only; an empty row is added on request ("Add a placement"). Rows
    # beyond the cap are not read (blank rows are skipped, so it leaves room for them); the
    # service refuses more than MAX_PLACEMENTS placements.
    placements = FieldList(FormField(PlacementForm), max_entries=3 * MAX_PLACEMENTS)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Messages from the service for things that are not one input: shares, placements.
        self.extra_errors: dict[str, list[str]] = {}

    def to_terms(self) -> TermsInput:
        """Exact values from the typed text, or ValidationFailed naming the field."""
        currency = self.currency.data or ""
        parties = []
        for index, entry in enumerate(self.parties.entries):
            sub = entry.form
            parties.append(
                PartyTermsInput(
                    organization_id=int(sub.organization_id.data),
                    product_ids=list(sub.products.data or []),
                    budget_share_bp=parse_share(
                        sub.budget_share.data or "", field=f"parties-{index}-budget_share"
                    ),
                    revenue_share_bp=parse_share(
                        sub.revenue_share.data or "", field=f"parties-{index}-revenue_share"
                    ),
                )
            )
        placements = []
        for index, entry in enumerate(self.placements.entries):
            sub = entry.form
            if sub.is_blank():
                continue
            if not sub.channel.data:
                raise ValidationFailed("Choose a channel.", field=f"placements-{index}-channel")
            if not (sub.name.data or "").strip():
                raise ValidationFailed("Name the placement.", field=f"placements-{index}-name")
            try:
                owner = int(sub.owner.data or "")
            except ValueError as exc:
                raise ValidationFailed(
                    "Choose the owning party.", field=f"placements-{index}-owner"
                ) from exc
            if (sub.start_date.data is None) != (sub.end_date.data is None):
                empty = "start_date" if sub.start_date.data is None else "end_date"
                raise ValidationFailed(
                    "Give both dates, or neither for the offer's dates.",
                    field=f"placements-{index}-{empty}",
                )
            placements.append(
                PlacementInput(
                    channel=sub.channel.data,
                    owner_organization_id=owner,
                    name=sub.name.data or "",
                    planned_cost_minor=parse_amount(
                        sub.planned_cost.data or "0",
                        currency,
                        field=f"placements-{index}-planned_cost",
                    ),
                    start_date=sub.start_date.data,
                    end_date=sub.end_date.data,
                    key=sub.key.data or "",
                )
            )
        return TermsInput(
            title=self.title.data or "",
            value_proposition=self.value_proposition.data or "",
            audience=self.audience.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            currency=currency,
            total_budget_minor=parse_amount(
                self.total_budget.data or "", currency, field="total_budget"
            ),
            target_reach=self.target_reach.data,
            target_leads=self.target_leads.data,
            target_revenue_minor=parse_amount(
                self.target_revenue.data, currency, field="target_revenue"
            )
            if (self.target_revenue.data or "").strip()
            else None,
            parties=parties,
            placements=placements,
            change_note=self.change_note.data or "",
        )

    def expires_at(self) -> datetime | None:
        if not self.expires_on.data:
            return None
        return expiry_at(self.expires_on.data)


class DecisionForm(AppForm):
    revision_number = HiddenField(validators=[DataRequired()])
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice(d.value, d.label) for d in Decision],
        validators=[DataRequired("Choose a decision.")],
    )
    comment = TextAreaField(
        "Comment",
        validators=[Length(max=5000)],
        description="Required when you request changes or reject.",
    )


class CommentForm(CreateForm):
    body = TextAreaField("Add to the discussion", validators=[DataRequired(), Length(max=5000)])


class WithdrawForm(AppForm):
    reason = TextAreaField(
        "Reason (optional, shown to the partners)", validators=[Length(max=2000)]
    )


class ReviewDaysForm(AppForm):
    review_days = IntegerField(
        "Business days our reviewers get to decide",
        validators=[InputRequired(), NumberRange(1, 20)],
    )
    four_eyes = BooleanField(
        "Four eyes: our approvers' and admins' own proposals need a second approver",
        description="When on, an offer or counter-proposal sent by one of our approvers or "
        "admins counts as our approval only once another approver or admin of ours approves it.",
    )
    claim_days = IntegerField(
        "Business days we take to confirm or dispute a partner's expense claim",
        validators=[Optional(), NumberRange(1, 20)],
        description="Without a dispute by then, the claim counts as confirmed.",
    )
    audience_minimum = IntegerField(
        "Minimum audience count (people)",
        validators=[Optional()],
        description="A figure about our audiences that a partner sees (an overlap, a share, a "
        "joint campaign's reach) is shown only when every count behind it reaches this; the "
        "highest setting of the companies involved applies. At least 50.",
    )
    # Checked by the service (accounts.calendars), which names the field in its error.
    time_zone = SelectField(
        "Our time zone",
        choices=lambda: [SelectChoice(z) for z in zone_choices()],
        validate_choice=False,
        description="Our deadlines end at midnight here; times are shown in it to our people "
        "who have not chosen their own.",
    )
    country = SelectField(
        "Our country (for public holidays)",
        choices=lambda: [
            SelectChoice("", "None: weekends only"),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ],
        validate_choice=False,
        description="Its national public holidays do not count as business days.",
    )
