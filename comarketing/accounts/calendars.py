"""Where a company works and where a person reads: setting the company's time zone and country
(for public holidays) and a person's own zone, and the choices the forms offer.

A zone is any IANA name the tz database knows; a country is one the ``holidays`` package covers
(ISO 3166 alpha-2) or "" for none (weekends only). A change applies to deadlines set afterwards:
due instants already stored stay as they are.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from comarketing import audit
from comarketing.accounts.models import Organization, User
from comarketing.business_days import supported_countries
from comarketing.context import Actor
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.timezones import is_known, known_zones

UNKNOWN_ZONE = "Choose a time zone from the list (an IANA name such as Europe/Berlin)."
UNKNOWN_COUNTRY = "Choose a country from the list, or none."
# Legacy aliases and POSIX forms stay valid when typed (the API) but are not offered.
_HIDDEN_PREFIXES = ("Etc/", "posix", "right/", "SystemV/", "US/", "Canada/", "Brazil/", "Mexico/")


@cache
def zone_choices() -> tuple[str, ...]:
    """The zones a form offers: "UTC" and the Area/City names, sorted."""
    offered = (
        name for name in known_zones() if "/" in name and not name.startswith(_HIDDEN_PREFIXES)
    )
    return ("UTC", *sorted(offered))


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, English name) of every country whose public holidays are known, by name."""
    names = Locale("en").territories
    named = ((code, names.get(code, code)) for code in supported_countries())
    return tuple(sorted(named, key=lambda pair: pair[1]))


def check_zone(name: str, field: str = "time_zone") -> str:
    name = (name or "").strip()
    if not is_known(name):
        raise ValidationFailed(UNKNOWN_ZONE, field=field)
    return name


def check_country(code: str, field: str = "country") -> str:
    code = (code or "").strip().upper()
    if code and code not in supported_countries():
        raise ValidationFailed(UNKNOWN_COUNTRY, field=field)
    return code


def set_company_calendar(actor: Actor, *, time_zone: str, country: str) -> Organization:
    """Set the company's zone and country (admins). Commits."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    zone_name = check_zone(time_zone)
    code = check_country(country)
    organization = db.session.get(Organization, actor.organization_id)
    assert organization is not None
    if (organization.time_zone, organization.country) != (zone_name, code):
        organization.time_zone, organization.country = zone_name, code
        audit.record(
            "organization.calendar_changed",
            actor=actor,
            target=organization,
            time_zone=zone_name,
            country=code,
        )
    db.session.commit()
    return organization


def set_own_time_zone(actor: Actor, time_zone: str | None) -> User:
    """Set the person's own zone; None or "" reads times in the company's zone. Commits."""
    name = check_zone(time_zone) if time_zone else None
    user = db.session.get(User, actor.user_id)
    assert user is not None
    user.time_zone = name
    db.session.commit()
    return user
