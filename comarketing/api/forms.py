"""The token form of the settings page."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from comarketing.api.services import EXPIRY_CHOICES
from comarketing.submissions import CreateForm


class TokenForm(CreateForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Name the token."), Length(max=100)],
        description="What will use it, e.g. “Nightly export”.",
    )
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "Read only"),
            SelectChoice("write", "Read and write"),
        ],
        default="read",
    )
    # Named like the service's field, so its errors land here.
    expires = SelectField(
        "Expires after",
        choices=[SelectChoice(str(days), f"{days} days") for days in EXPIRY_CHOICES],
        default="90",
    )
