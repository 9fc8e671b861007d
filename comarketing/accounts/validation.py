"""Cleaning and checking what people type about themselves — emails, names, passwords,
roles — shared by sign-up, invitations, password changes and role changes.

:func:`clean_name` is also the one check of every name and title field of the product
(companies, people, products, offers, campaigns, placements, milestones, collateral, tokens):
no control, bidi-override, zero-width or other invisible character gets stored, so that no
name can look like another or reorder the text around it on a page.
"""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from comarketing.accounts import passwords
from comarketing.accounts.models import User
from comarketing.accounts.names import invisible_character
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Role


def normalise_email(email: str, *, field: str = "email") -> str:
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(str(exc), field=field) from exc
    return result.normalized.lower()


def clean_name(
    value: str, *, field: str, label: str, max_length: int = 120, required: bool = True
) -> str:
    """A name or title as stored: runs of white space one space, trimmed, within its length,
    free of invisible characters; ValidationFailed on ``field`` otherwise."""
    cleaned = " ".join((value or "").split())
    if required and not cleaned:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{label} must be at most {max_length} characters.", field=field)
    refused = invisible_character(cleaned)
    if refused:
        raise ValidationFailed(
            f"{label} contains an invisible or control character ({refused}); type it without it.",
            field=field,
        )
    return cleaned


def check_password(password: str, email: str, field: str = "password") -> None:
    problem = passwords.password_problem(password, email=email)
    if problem:
        raise ValidationFailed(problem, field=field)


def email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(User.email == email))) or False


def parse_role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise ValidationFailed("Choose one of the listed roles.", field=field) from exc
