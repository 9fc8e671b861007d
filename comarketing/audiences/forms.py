"""Audience upload forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from comarketing.audiences.normalize import Kind
from comarketing.audiences.services import Options
from comarketing.form_base import AppForm
from comarketing.submissions import CreateForm


class AudienceUploadForm(CreateForm):
    file = FileField(
        "Identifiers file",
        validators=[FileRequired("Choose a file.")],
        description="One identifier per line, or a CSV file with a header row. Identifiers "
        "are hashed (SHA-256) as they arrive and only a sketch of them is kept.",
    )
    kind = SelectField(
        "Identifiers are", choices=[SelectChoice(k.value, k.label) for k in Kind], default="email"
    )
    column = StringField(
        "CSV column (optional)",
        validators=[Optional(), Length(max=100)],
        description="The column's name in the header row; empty: one identifier per line.",
    )
    skip_bad_lines = BooleanField("Skip bad lines instead of refusing the file")

    def options(self) -> Options:
        return Options(
            kind=Kind(self.kind.data or "email"),
            column=(self.column.data or "").strip() or None,
            skip_bad_lines=bool(self.skip_bad_lines.data),
        )


class NewListForm(AudienceUploadForm):
    name = StringField("List name", validators=[DataRequired(), Length(max=100)])


class UniverseForm(AppForm):
    universe = IntegerField(
        "Target universe (people)",
        validators=[Optional(), NumberRange(1, 10**12)],
        description="How many people the campaign could reach at most: the base of the "
        "random-duplication estimate where no audience identifiers were uploaded.",
    )
