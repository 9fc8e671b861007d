"""Small helpers shared by the HTML views: the acting user, safe redirects, errors -> forms."""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import abort, g, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from comarketing.context import Actor, Origin
from comarketing.errors import DomainError, NotFound


def current_origin() -> Origin:
    return Origin(ip=request.remote_addr, request_id=g.get("request_id"))


def current_actor() -> Actor:
    return Actor(user=current_user._get_current_object(), origin=current_origin())


def safe_next_url(target: str | None, default_endpoint: str = "dashboard.index") -> str:
    """Only same-site relative paths: '/x' yes; 'https://evil', '//evil', '/\\evil' no."""
    if target:
        cleaned = target.strip().replace("\\", "/")
        parts = urlsplit(cleaned)
        if (
            not parts.scheme
            and not parts.netloc
            and cleaned.startswith("/")
            and not cleaned.startswith("//")
            and not any(ord(ch) < 32 for ch in cleaned)
        ):
            return cleaned
    return url_for(default_endpoint)


def _find_field(form: Any, name: str) -> Any:
    """Resolve "title" or a nested WTForms name like "placements-2-planned_cost"."""
    field = getattr(form, name, None)
    if field is not None and hasattr(field, "errors"):
        return field
    head, _, rest = name.partition("-")
    container = getattr(form, head, None)
    index, _, tail = rest.partition("-")
    if container is None or not index.isdigit() or not hasattr(container, "entries"):
        return None
    entries = container.entries
    if int(index) >= len(entries):
        return None
    entry = entries[int(index)]
    return _find_field(entry.form, tail) if tail and hasattr(entry, "form") else entry


def attach_error(form: FlaskForm, error: DomainError, default_field: str | None = None) -> bool:
    """Put a service's validation error next to the field it names.

    Errors about something that is not one input (shares adding up, placements) go to
    ``form.extra_errors[name]`` where the form has one, for the template to show in place;
    anything else is shown above the form.
    """
    field_name = error.field or default_field
    field: Any = _find_field(form, field_name) if field_name else None
    # A list of sub-forms ("parties", "placements") is not one input: templates render no
    # errors on it, so its message goes to extra_errors like the other whole-form ones.
    if field is not None and not hasattr(field, "entries"):
        field.errors = [*field.errors, error.message] if field.errors else [error.message]
        return True
    extra = getattr(form, "extra_errors", None)
    if field_name and isinstance(extra, dict):
        extra.setdefault(field_name, []).append(error.message)
        return True
    form.form_errors.append(error.message)
    return True


def abort_for(error: DomainError) -> NoReturn:
    """Turn a domain error into the matching HTTP error page."""
    if isinstance(error, NotFound):
        abort(404)
    abort(error.status_code, description=error.message)
    raise AssertionError("unreachable")  # abort() always raises


def form_went_through(response: Any) -> bool:
    """For a rate limit's ``deduct_when``: a signed-in user's POST that succeeded (a form
    that went through redirects; one with errors re-renders, and a signed-out visitor is
    sent to sign in without counting)."""
    return (
        request.method == "POST"
        and response.status_code == 302
        and bool(current_user.is_authenticated)
    )
