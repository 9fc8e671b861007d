"""Forms bind only the fields they declare: anything else in a POST is ignored."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from comarketing.accounts.calendars import zone_choices
from comarketing.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from comarketing.form_base import AppForm
from comarketing.policy import Role
from comarketing.submissions import CreateForm

ROLE_CHOICES = [(role.value, role.label) for role in Role]  # (value, label) for templates
# WTForms 3.3 deprecates (value, label) tuples as SelectField choices (removed in 3.4).
ROLE_OPTIONS = [SelectChoice(value, label) for value, label in ROLE_CHOICES]


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=f"At least {MIN_LENGTH} characters. Long passphrases welcome.",
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(AppForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class SignupForm(AppForm):
    organization_name = StringField("Company name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Work email",
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class FinishSignupForm(AppForm):
    """The second step of sign-up, from the mailed link: company, name and email are fixed."""

    password = _new_password_field("Choose a password")


class JoinForm(AppForm):
    """A colleague accepting an invitation: the email is fixed by the invitation."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    password = _new_password_field("Choose a password")


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field("New password")
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", "Passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(AppForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(AppForm):
    password = _new_password_field("New password")
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class InviteUserForm(CreateForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_OPTIONS, default=Role.ANALYST.value)


class ChangeRoleForm(AppForm):
    role = SelectField("Role", choices=ROLE_OPTIONS)


class ConfirmForm(AppForm):
    """An action button: only the CSRF token travels."""


class TimeZoneForm(AppForm):
    # Checked by the service (accounts.calendars), which names the field in its error.
    time_zone = SelectField("Show me times in", validate_choice=False)

    def offer(self, company_zone: str) -> None:
        """The choices: the company's zone (stored as none, so it follows the company) or any."""
        self.time_zone.choices = [
            SelectChoice("", f"My company's zone ({company_zone})"),
            *(SelectChoice(z) for z in zone_choices()),
        ]
