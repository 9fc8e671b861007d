"""The endpoint form: URL, description and the event types it receives."""

from __future__ import annotations

from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from comarketing.events import TYPES
from comarketing.submissions import CreateForm


class EventTypesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(CreateForm):
    """Creating (a one-time submission token: a repeated post makes no second endpoint) and
    changing an endpoint; the token is unused on the change form."""

    url = StringField(
        "URL",
        validators=[Length(max=2000)],
        description="https://… — your system's address that receives the events (POST).",
    )
    description = StringField(
        "Description", validators=[Length(max=200)], description="Optional, e.g. “CRM sync”."
    )
    # Named like the service's field, so its errors land here.
    event_types = EventTypesField(
        "Events",
        choices=[SelectChoice(name, name) for name in TYPES],
        validate_choice=False,  # the service checks them and names the bad one
    )
