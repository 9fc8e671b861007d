"""Upload, mapping and confirmation forms for result files; the grid is read field by field."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from comarketing.form_base import AppForm
from comarketing.metrics.dates import DATE_ORDERS
from comarketing.metrics.numbers import DECIMAL_MARKS
from comarketing.submissions import CreateForm


class UploadForm(CreateForm):
    # Choices: the campaigns the company owns placements in (set by the view).
    campaign_id = SelectField(
        "Campaign",
        coerce=str,
        validate_choice=False,  # the service decides: another company's campaign is NotFound
        validators=[InputRequired("Choose the campaign these results are for.")],
        description="The file's rows are matched to this campaign's placements only.",
    )
    file = FileField(
        "Results file",
        validators=[FileRequired("Choose a CSV or XLSX file.")],
        description="CSV (comma, semicolon or tab; UTF-8 or UTF-16) or XLSX, up to 50 MB. "
        "Exports of Meta, Google, LinkedIn and Microsoft ads are read as they are.",
    )


class SettingsForm(AppForm):
    """Per-column selects are named ``column-<position>`` and read by the view."""

    date_order = SelectField(
        "Dates are written as",
        choices=[
            SelectChoice("", "Not chosen yet"),
            *(SelectChoice(k, v) for k, v in DATE_ORDERS.items()),
        ],
    )
    decimal = SelectField(
        "Numbers are written as", choices=[SelectChoice(k, v) for k, v in DECIMAL_MARKS.items()]
    )
    placement_id = SelectField(
        "Placement",
        coerce=str,
        validate_choice=False,
        description="Take each row's placement from its column, or put the whole file on one.",
    )


POST_COSTS_LABEL = (
    "Post each day's cost to the budget ledger as an expense paid by us "
    "(a day loaded again is corrected, never doubled)"
)
POST_COSTS_HELP = (
    "A day whose cost was posted before is re-posted with its new cost even when this is not "
    "ticked: the ledger never drifts from the results."
)


class ConfirmImportForm(AppForm):
    post_costs = BooleanField(POST_COSTS_LABEL, description=POST_COSTS_HELP)
    import_again = BooleanField("Import this file again (it was imported before)")


class GridForm(CreateForm):
    """The grid's cells are named ``<day>-<field>`` and read by the view; the box is the same
    choice as a file's and the API's (unticked by default)."""

    post_costs = BooleanField(POST_COSTS_LABEL, description=POST_COSTS_HELP)


class PlatformNameForm(AppForm):
    """A name or id a platform shows for a placement (placement page)."""

    name = StringField("Name or id on the platform")
    platform = StringField("Platform (optional)", description="Meta, Google Ads ...")


class RememberNameForm(PlatformNameForm):
    """From the preview: a name of the file, remembered on the placement the user picks."""

    placement_id = SelectField("Placement", coerce=str, validate_choice=False)


class IntakeSendersForm(AppForm):
    """The addresses a campaign's intake address accepts results from."""

    senders = TextAreaField(
        "Allowed senders",
        description="One address a line, as the platform's report mail shows it in From "
        "(Google Ads: ads-noreply@google.com). Mail from anyone else is refused.",
        render_kw={"rows": 4},
    )
