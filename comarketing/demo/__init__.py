"""Demo data: three baking brands that market together, with a year of solo and joint campaign
results for the ROI dashboard. Idempotent: safe to run twice.

``seed`` writes it in this order, through the services where there is one:
``companies`` (organizations, people, products, partnerships), ``offers`` (two offers, one
approved into the running joint campaign of ``campaigns``), then ``results`` (the year planned
in ``history``, with daily figures from ``figures``)."""

from __future__ import annotations

from collections.abc import Iterator

from comarketing.demo import companies, offers, results
from comarketing.extensions import db


def seed() -> Iterator[str]:
    """Create whatever of the demo world is missing; yields one line per step for the CLI."""
    organizations = []
    for spec in companies.COMPANIES:
        organization, created = companies.ensure_company(spec)
        organizations.append(organization)
        yield f"{'created' if created else 'kept'}: {organization.name}"
    flour, shortening, chips = organizations
    yield from companies.ensure_partnerships(flour, shortening, chips)
    db.session.commit()
    yield from offers.ensure_offers(flour, shortening)
    yield from results.ensure_history({"flour": flour, "shortening": shortening, "chips": chips})
    yield from companies.sign_ins()
