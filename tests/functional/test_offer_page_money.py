"""The offer page for the person who pays (issue 18): shares in money, planned placements with
their dates against the budget, placements diffed by identity, the terms form listing existing
placements first and adding a row only on request, and the status in words on the offer page
and the lists.

Records are prepared through the services inside short ``app.app_context()`` blocks; no app
context stays pushed while the client makes requests.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

from comarketing.campaigns.models import Campaign, Placement
from comarketing.extensions import db
from comarketing.offers import proposals, reviews
from comarketing.offers.models import OfferRevision
from tests import factories
from tests.offer_helpers import (
    actor,
    make_terms,
    placement,
    propose,
    propose_and_send,
    terms_form_data,
)

PM, APPROVER, ADMIN = "partner_manager", "approver", "admin"


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def between(html: str, testid: str) -> str:
    """The markup of the element marked ``data-testid=testid`` up to its table's end."""
    return html.split(f'data-testid="{testid}"', 1)[1].split(">", 1)[1].split("</table>", 1)[0]


def plain(markup: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


class FormValues(HTMLParser):
    """What a browser would post for the page's terms form, without pressing any button."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "submit"):
            self.values[name] = a.get("value") or ""
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.values.setdefault(name, []).append(a.get("value"))
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")


def form_values(html: str) -> dict[str, Any]:
    form = html.split('data-testid="terms-form"', 1)[1].split("</form>", 1)[0]
    parser = FormValues()
    parser.feed(form)
    return parser.values


def placement_rows(html: str) -> list[str]:
    """The name typed in each placement row of the terms form, in order ("" for an empty row)."""
    body = html.split('id="placement-rows"', 1)[1].split("</tbody>", 1)[0]
    return [
        html_lib.unescape(m.group(1) or "")
        for m in re.finditer(r'name="placements-\d+-name" type="text" value="([^"]*)"', body)
    ]


def two_placements(world) -> list[Any]:
    a, b = world.a.id, world.b.id
    return [
        placement(a, 40_000, channel="packaging", name="Recipe on the flour bag"),
        placement(b, 30_000, channel="social", name="Spring reel"),
    ]


# ---------------------------------------------------------------------------------------------
# Money on the offer page


def test_the_offer_page_shows_each_share_in_money_and_the_plan_against_the_budget(app, world):
    a, b = world.a.id, world.b.id
    with app.app_context():
        terms = make_terms(
            [a, b],
            total_budget_minor=3_200_000,
            target_revenue_minor=10_000_000,
            budget_shares={a: 4500, b: 5500},
            revenue_shares={a: 4000, b: 6000},
            placements=[
                placement(a, 800_000, channel="packaging", name="Recipe on the flour bag"),
                replace(
                    placement(b, 1_000_000, channel="social", name="Spring reel"),
                    start_date=date(2027, 3, 10),
                    end_date=date(2027, 3, 24),
                ),
            ],
        )
        offer_id = propose_and_send(world.a.email(PM), [a, b], terms)

    html = text(signed_in(app, world.b.email(APPROVER)).get(f"/offers/{offer_id}"))

    shares = between(html, "money-shares")
    assert plain(between(shares, f"share-{b}").split("</tr>")[0]) == (
        "Beta Shortening 55% · €17,600.00 60% · €60,000.00"
    )
    assert plain(between(shares, f"share-{a}").split("</tr>")[0]) == (
        "Alpha Flour 45% · €14,400.00 40% · €40,000.00"
    )
    assert plain(between(shares, "share-total")) == "Total 100% · €32,000.00 100% · €100,000.00"

    planned = plain(between(html, "planned-placements"))
    assert "Recipe on the flour bag packaging Alpha Flour the offer's dates €8,000.00" in planned
    assert "Spring reel social Beta Shortening 10 Mar 2027 \u2013 24 Mar 2027 €10,000.00" in planned
    assert "Planned in total, of the €32,000.00 budget €18,000.00" in planned
    verdict = html.split('data-testid="plan-verdict">', 1)[1].split("<", 1)[0]
    assert (
        verdict == "The planned placements fall short of the budget: €14,000.00 is not yet planned."
    )


def test_placement_dates_outside_the_offer_or_only_half_given_are_refused(app, world):
    client = signed_in(app, world.a.email(PM))
    url = f"/offers/new/terms?partner={world.b.id}"
    ids = [world.a.id, world.b.id]

    half = client.post(url, data=terms_form_data(ids, **{"placements-0-start_date": "2027-03-02"}))
    assert half.status_code == 200
    assert 'data-field-error="placements-0-end_date"' in text(half)

    outside = client.post(
        url,
        data=terms_form_data(
            ids, **{"placements-0-start_date": "2027-02-20", "placements-0-end_date": "2027-03-05"}
        ),
    )
    assert outside.status_code == 200
    assert "its dates must lie within the offer&#39;s dates" in text(outside)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OfferRevision)) == 0


# ---------------------------------------------------------------------------------------------
# The terms form: existing placements first, a new row only on request


def test_the_edit_form_lists_the_existing_placements_and_no_empty_row(app, world):
    with app.app_context():
        terms = make_terms([world.a.id, world.b.id], placements=two_placements(world))
        offer_id = propose(world.a.email(PM), [world.a.id, world.b.id], terms)
    client = signed_in(app, world.a.email(PM))

    form = text(client.get(f"/offers/{offer_id}/edit"))

    assert placement_rows(form) == ["Recipe on the flour bag", "Spring reel"]
    keys = re.findall(r'name="placements-\d+-key" type="hidden" value="([0-9a-f]{12})"', form)
    assert len(set(keys)) == 2
    # A new offer has nothing to list: one empty row to start with.
    new = text(client.get(f"/offers/new/terms?partner={world.b.id}"))
    assert placement_rows(new) == [""]


def test_add_a_placement_re_renders_the_form_with_one_more_empty_row_and_saves_nothing(app, world):
    with app.app_context():
        terms = make_terms([world.a.id, world.b.id], placements=two_placements(world))
        offer_id = propose(world.a.email(PM), [world.a.id, world.b.id], terms)
    client = signed_in(app, world.a.email(PM))
    values = form_values(text(client.get(f"/offers/{offer_id}/edit")))
    values["title"] = "Typed but not saved yet"

    response = client.post(f"/offers/{offer_id}/edit", data={**values, "add_placement": "1"})

    assert response.status_code == 200
    form = text(response)
    assert placement_rows(form) == ["Recipe on the flour bag", "Spring reel", ""]
    assert 'value="Typed but not saved yet"' in form  # what was typed stays
    assert "data-field-error" not in form  # nothing was checked yet
    with app.app_context():
        stored = db.session.scalars(
            sa.select(OfferRevision.title).where(OfferRevision.offer_id == offer_id)
        ).all()
        assert stored == ["Spring baking week"]


# ---------------------------------------------------------------------------------------------
# Placements keep their identity from revision to revision


def test_a_revision_adding_one_placement_shows_one_added_row(app, world):
    a, b = world.a.id, world.b.id
    with app.app_context():
        terms = make_terms([a, b], placements=two_placements(world))
        offer_id = propose_and_send(world.a.email(PM), [a, b], terms)
    client = signed_in(app, world.b.email(PM))
    values = form_values(text(client.get(f"/offers/{offer_id}/edit")))
    values |= {
        "placements-1-planned_cost": "200",  # the reel costs less
        "placements-2-channel": "email",
        "placements-2-owner": str(b),
        "placements-2-name": "Baking newsletter",
        "placements-2-start_date": "2027-04-01",
        "placements-2-end_date": "2027-04-30",
        "placements-2-planned_cost": "100",
        "change_note": "A newsletter instead of part of the reel.",
    }

    response = client.post(f"/offers/{offer_id}/edit", data=values)

    assert response.status_code == 302
    html = text(client.get(f"/offers/{offer_id}"))
    diff = between(html, "diff-2")
    found = re.findall(r'<tr data-change="(\w+)"><td>([^<]+)</td>', diff)
    assert [(kind, html_lib.unescape(field)) for kind, field in found] == [
        ("changed", "Placement “Spring reel”: planned cost"),
        ("added", "Placement added: Baking newsletter"),
    ]
    assert "email · Beta Shortening · 2027-04-01 \u2013 2027-04-30 · €100.00" in plain(diff)
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(OfferRevision)
            .where(OfferRevision.offer_id == offer_id)
            .order_by(OfferRevision.number)
        ).all()
        assert {p["key"] for p in first.placements} < {p["key"] for p in second.placements}


def test_the_same_terms_again_are_no_new_revision_even_from_one_stored_without_keys(app, world):
    a, b = world.a.id, world.b.id
    with app.app_context():
        offer_id = propose_and_send(world.a.email(PM), [a, b])
        revision = db.session.scalar(
            sa.select(OfferRevision).where(OfferRevision.offer_id == offer_id)
        )
        # As revisions were stored before placements had keys and dates.
        revision.placements = [
            {k: v for k, v in p.items() if k not in ("key", "start_date", "end_date")}
            for p in revision.placements
        ]
        db.session.commit()
    client = signed_in(app, world.b.email(PM))
    values = form_values(text(client.get(f"/offers/{offer_id}/edit")))
    assert values["placements-0-key"] == ""  # nothing to carry: a fresh key when saved

    response = client.post(f"/offers/{offer_id}/edit", data=values)

    assert response.status_code == 200
    assert "These terms are the same as the current revision." in text(response)


def test_approval_plans_the_campaign_placements_on_their_offer_dates(app, world):
    a, b = world.a.id, world.b.id
    with app.app_context():
        dated = replace(
            placement(b, 50_000, name="Reel"),
            start_date=date(2027, 3, 10),
            end_date=date(2027, 3, 24),
        )
        terms = make_terms([a, b], placements=[placement(a, 10_000), dated])
        offer_id = propose_and_send(world.a.email(PM), [a, b], terms)
        for email in (world.a.email(APPROVER), world.b.email(APPROVER)):
            reviews.decide(actor(email), offer_id, revision_number=1, decision="approved")
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer_id))
        placed = {
            name: (start, end)
            for name, start, end in db.session.execute(
                sa.select(Placement.name, Placement.start_date, Placement.end_date).where(
                    Placement.campaign_id == campaign_id
                )
            )
        }
    assert placed == {
        "Newsletter": (date(2027, 3, 1), date(2027, 4, 30)),  # the offer's dates
        "Reel": (date(2027, 3, 10), date(2027, 3, 24)),
    }


# ---------------------------------------------------------------------------------------------
# The status in words


def test_the_status_says_what_is_happening_on_the_page_and_in_the_lists(app, world):
    a, b = world.a.id, world.b.id
    with app.app_context():
        # Alpha's admin approves for Alpha by proposing.
        offer_id = propose_and_send(world.a.email(ADMIN), [a, b])
    alpha = signed_in(app, world.a.email(PM))

    def status(path: str) -> str:
        found = re.search(
            r'data-testid="offer-status" data-status="(\w+)">([^<]+)<', text(alpha.get(path))
        )
        assert found is not None, path
        return f"{found.group(1)}: {html_lib.unescape(found.group(2))}"

    for path in (f"/offers/{offer_id}", "/offers"):
        assert status(path) == "sent: waiting for Beta Shortening's approver"

    with app.app_context():
        reviews.decide(
            actor(world.b.email(APPROVER)),
            offer_id,
            revision_number=1,
            decision="changes_requested",
            comment="More budget, please.",
        )
    for path in (f"/offers/{offer_id}", "/offers"):
        assert status(path) == "sent: changes requested by Beta Shortening"

    with app.app_context():
        terms = make_terms([a, b], total_budget_minor=120_000)
        proposals.revise(actor(world.a.email(ADMIN)), offer_id, terms=terms)
        reviews.decide(
            actor(world.b.email(APPROVER)), offer_id, revision_number=2, decision="approved"
        )
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer_id))
    for path in (f"/offers/{offer_id}", "/offers"):
        assert status(path) == f"approved: approved — campaign #{campaign_id}"


def test_a_placement_keeps_a_well_formed_key_and_gets_a_fresh_one_otherwise(app, world):
    a, b = world.a.id, world.b.id
    kept = "0123456789ab"
    spots = [
        replace(placement(a, 1_000, name="Kept"), key=kept),
        replace(placement(a, 1_000, name="Twin"), key=kept),  # a key is one placement's only
        replace(placement(b, 1_000, name="Odd"), key="<script>"),
        placement(b, 1_000, name="New"),
    ]
    with app.app_context():
        offer_id = propose(world.a.email(PM), [a, b], make_terms([a, b], placements=spots))
        stored = db.session.scalar(
            sa.select(OfferRevision.placements).where(OfferRevision.offer_id == offer_id)
        )
    keys = {p["name"]: p["key"] for p in stored}
    assert keys["Kept"] == kept
    assert len(set(keys.values())) == 4
    assert all(re.fullmatch(r"[0-9a-f]{12}", key) for key in keys.values())
