"""Forms of the notifications page and the notification preferences."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from comarketing.form_base import AppForm
from comarketing.notifications import CHANNEL_LABELS, KINDS, Channel, channel_choices


class NotificationFilterForm(AppForm):
    """The page's filters (GET, so no CSRF): a bad value is reported next to its field."""

    class Meta:
        csrf = False

    kind = SelectField("Kind", default="")
    subject = SelectField("Campaign or offer", default="")
    unread = BooleanField("Unread only")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)])

    def set_choices(self, subjects: list[tuple[str, str]]) -> None:
        self.kind.choices = [
            SelectChoice("", "Every kind"),
            *(SelectChoice(k, label) for k, label in KINDS.items()),
        ]
        self.subject.choices = [
            SelectChoice("", "Every campaign and offer"),
            *(SelectChoice(key, label) for key, label in subjects),
        ]


class MarkReadForm(AppForm):
    """ "Mark all read", for everything or for one group (a kind and/or a subject)."""

    kind = HiddenField()
    subject = HiddenField()


class NotificationPreferencesForm(AppForm):
    """One choice per kind of notification; the choices depend on the person's role."""

    def set_choices(self, role: str) -> None:
        for kind in KINDS:
            field: Any = self[kind]
            field.choices = [SelectChoice(c.value, c.label) for c in channel_choices(role, kind)]

    def choices(self) -> dict[str, str]:
        """The kinds submitted (one left out keeps its channel); the service checks each."""
        return {kind: str(self[kind].data) for kind in KINDS if self[kind].raw_data}


for _kind, _label in KINDS.items():
    setattr(
        NotificationPreferencesForm,
        _kind,
        SelectField(
            _label,
            choices=[SelectChoice(c.value, CHANNEL_LABELS[c]) for c in Channel],
            validate_choice=False,
        ),
    )
