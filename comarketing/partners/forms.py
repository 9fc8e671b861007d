from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from comarketing.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from comarketing.form_base import AppForm
from comarketing.submissions import CreateForm


class InvitePartnerForm(CreateForm):
    email = EmailField(
        "Email of your contact there",
        validators=[DataRequired(), Email(), Length(max=254)],
        description="If they already use Comarketing, the invitation goes to their company.",
    )
    message = TextAreaField("Message (optional)", validators=[Length(max=2000)])


class JoinCompanyForm(AppForm):
    organization_name = StringField(
        "Your company's name", validators=[DataRequired(), Length(max=120)]
    )
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=f"At least {MIN_LENGTH} characters. Long passphrases welcome.",
        render_kw={"autocomplete": "new-password"},
    )


class ProductForm(CreateForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    category = StringField(
        "Category", validators=[Length(max=80)], description="For example: baking ingredients"
    )
    description = TextAreaField("Description", validators=[Length(max=5000)])
