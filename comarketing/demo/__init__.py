"""Demo data: three baking brands that market together, with a year of solo and joint campaign
results for the ROI dashboard. Idempotent: safe to run twice.

``seed`` writes it in this order, through the services where there is one:
``companies`` (organizations, people, products, partnerships), ``offers`` (two offers, one
approved into the running joint campaign of ``campaigns``), then ``results`` (the year planned
in ``history``, with daily figures from ``figures``). ``inbox`` keeps the notifications this
makes believable: no mail, no flood from the history, a handful unread per person."""

from __future__ import annotations

from collections.abc import Iterator

from comarketing import notifications
from comarketing.demo import companies, inbox, offers, results
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
    with notifications.without_mail():
        yield from offers.ensure_offers(flour, shortening)
        with inbox.unannounced(organizations):
            yield from results.ensure_history(
                {"flour": flour, "shortening": shortening, "chips": chips}
            )
    yield from inbox.keep_a_handful_unread(organizations)
    yield from companies.sign_ins()
