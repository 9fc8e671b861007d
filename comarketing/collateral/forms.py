"""Collateral forms: a new asset, a new version, a review decision, a request, a delivery."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from comarketing.collateral.files import ALLOWED_DESCRIPTION
from comarketing.collateral.models import Audience, ReviewDecision
from comarketing.form_base import AppForm
from comarketing.submissions import CreateForm

FILE_HELP = f"{ALLOWED_DESCRIPTION}; recognised by content, not by the name."


class PartiesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AssetForm(CreateForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    audience = SelectField(
        "Audience", choices=[SelectChoice(a.value, a.label) for a in Audience], default="sales"
    )
    parties = PartiesField(
        "Belongs to",
        coerce=int,
        description="The companies whose brands it carries: each one approves every version.",
    )
    file = FileField("File", description=FILE_HELP)
    link = StringField(
        "…or a link", validators=[Optional(), Length(max=1000)], description="https://…"
    )
    note = TextAreaField("Note for the reviewers", validators=[Length(max=5000)])


class VersionForm(CreateForm):
    file = FileField("File", description=FILE_HELP)
    link = StringField("Link", validators=[Optional(), Length(max=1000)])
    note = TextAreaField("What changed", validators=[Length(max=5000)])


class ReviewForm(AppForm):
    version = IntegerField("Version", validators=[DataRequired()])
    decision = SelectField(
        "Decision", choices=[SelectChoice(d.value, d.label) for d in ReviewDecision]
    )
    comment = TextAreaField(
        "Comment",
        validators=[Length(max=5000)],
        description="Required when you request changes.",
    )


class FetchForm(AppForm):
    """A download or open button: the CSRF token and, for an older version, its number."""

    version = HiddenField()


class RequestForm(CreateForm):
    title = StringField(
        "What do you need?",
        validators=[DataRequired(), Length(max=200)],
        description="e.g. “A one-page comparison for retail buyers”",
    )
    description = TextAreaField("Details", validators=[Length(max=5000)])


class DeliverForm(CreateForm):
    asset_id = SelectField("Answered by", coerce=int, validate_choice=False)
