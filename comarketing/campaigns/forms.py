"""Campaign, placement and milestone forms. Money is parsed exactly by ``comarketing.money``."""

from __future__ import annotations

import re

from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from comarketing.campaigns.lifecycle import CampaignInput
from comarketing.campaigns.models import CHANNEL_CHOICES, MilestoneKind
from comarketing.campaigns.placements import PlacementInput
from comarketing.dates_allowed import DateField
from comarketing.money import CURRENCY_CHOICES, parse_amount
from comarketing.submissions import CreateForm

CHANNEL_OPTIONS = [SelectChoice(value, label) for value, label in CHANNEL_CHOICES]


def _money(text: str | None, currency: str, field: str) -> int | None:
    return parse_amount(text or "", currency, field=field) if (text or "").strip() else None


# Digit grouping people type or paste ("48,210", "48 210"); a dot is a decimal mark somewhere.
_GROUPING = re.compile(r"[,\s\u00a0\u202f'_]")


def _people(text: str | None) -> int | None:
    """A count of people as typed: empty is None (not reported); else a whole number >= 0."""
    value = (text or "").strip()
    if not value:
        return None
    digits = _GROUPING.sub("", value)
    if re.fullmatch(r"-\d+", digits):
        raise ValidationError("The flight reach cannot be negative.")
    if not re.fullmatch(r"\d{1,15}", digits):
        raise ValidationError(
            "Enter the flight reach as a whole number of people, e.g. 48210, or leave it empty."
        )
    return int(digits)


class CampaignForm(CreateForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField("End date", validators=[InputRequired()])
    currency = SelectField(
        "Currency", choices=[SelectChoice(c) for c in CURRENCY_CHOICES], default="EUR"
    )
    total_budget = StringField(
        "Planned budget",
        validators=[Optional()],
        description="Commit the money in the budget panel once created.",
    )
    target_reach = IntegerField("Target reach", validators=[Optional(), NumberRange(0)])
    target_leads = IntegerField("Target leads", validators=[Optional(), NumberRange(0)])
    target_revenue = StringField("Target revenue", validators=[Optional()])

    def to_input(self) -> CampaignInput:
        currency = self.currency.data or ""
        return CampaignInput(
            name=self.name.data or "",
            description=self.description.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            currency=currency,
            total_budget_minor=_money(self.total_budget.data, currency, "total_budget") or 0,
            target_reach=self.target_reach.data,
            target_leads=self.target_leads.data,
            target_revenue_minor=_money(self.target_revenue.data, currency, "target_revenue"),
        )


class PlacementForm(CreateForm):
    channel = SelectField("Channel", choices=CHANNEL_OPTIONS)
    owner_organization_id = SelectField("Owning party", coerce=int, validate_choice=False)
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    url = StringField("Web address (optional)", validators=[Optional(), Length(max=500)])
    start_date = DateField(
        "Start date", validators=[Optional()], description="Empty: the campaign's start."
    )
    end_date = DateField(
        "End date", validators=[Optional()], description="Empty: the campaign's end."
    )
    planned_cost = StringField("Planned cost", validators=[Optional()])
    audience_size = IntegerField("Audience size, if known", validators=[Optional(), NumberRange(0)])
    # Text, read by :func:`_people`: a clear message for "12k" or "-5" next to the field.
    flight_reach = StringField(
        "Flight reach (people)",
        validators=[Optional(), Length(max=40)],
        description="The platform's own deduplicated reach for the placement's whole flight "
        "(start to end). Leave empty if not reported.",
    )

    def validate_flight_reach(self, field: StringField) -> None:
        _people(field.data)

    def to_input(self, currency: str) -> PlacementInput:
        return PlacementInput(
            channel=self.channel.data or "",
            owner_organization_id=self.owner_organization_id.data,
            name=self.name.data or "",
            url=self.url.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            planned_cost_minor=_money(self.planned_cost.data, currency, "planned_cost") or 0,
            audience_size=self.audience_size.data,
            flight_reach=_people(self.flight_reach.data),
        )


class MilestoneForm(CreateForm):
    kind = SelectField("Kind", choices=[SelectChoice(k.value, k.label) for k in MilestoneKind])
    title = StringField("Title (optional)", validators=[Length(max=200)])
    owner_organization_id = SelectField("Owner", coerce=int, validate_choice=False)
    due_on = DateField("Due", validators=[InputRequired()])


# The commitment and expense forms share the campaign page and most field names: explicit ids
# keep each label tied to its own form's input (same names, so the posted data is unchanged).
class CommitmentForm(CreateForm):
    organization_id = SelectField(
        "For", coerce=int, validate_choice=False, id="commitment-organization_id"
    )
    amount = StringField("Amount", validators=[DataRequired()], id="commitment-amount")
    occurred_on = DateField("Date", validators=[Optional()], id="commitment-occurred_on")
    note = StringField("Note", validators=[Length(max=500)], id="commitment-note")
    override_reason = StringField(
        "Admin override reason",
        validators=[Length(max=500)],
        description="Only for admins posting for another party.",
        id="commitment-override_reason",
    )


class ReversalForm(CreateForm):
    reason = StringField("Why", validators=[DataRequired(), Length(max=500)])
    override_reason = StringField("Admin override reason", validators=[Length(max=500)])
