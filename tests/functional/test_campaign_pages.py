"""Campaign pages through the test client: the budget panel with settlement, the ledger forms
(commitment, expense with the over-spend guard and the admin override, reversal), milestones,
solo campaigns and placements, the list with filters and pages, the calendar with its clashes,
the private feed, and a bounded number of queries on the campaign page.

Data is built with the services inside short ``with app.app_context()`` blocks; no context is
kept pushed across a request.
"""

from __future__ import annotations

import html as html_lib
import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from freezegun import freeze_time

from comarketing.accounts.models import Organization, User
from comarketing.audit import AuditEvent
from comarketing.budgets import balances, payments
from comarketing.budgets.models import LedgerEntry
from comarketing.campaigns import lifecycle, milestones
from comarketing.campaigns.models import Campaign, Milestone, Placement
from comarketing.extensions import db
from tests.campaign_helpers import (
    ADMIN,
    ANALYST,
    APPROVER,
    PM,
    START,
    add_placement,
    assert_ledger_consistent,
    commit,
    confirm_entry,
    joint_campaign,
    solo_campaign,
    spend,
)
from tests.conftest import count_queries, login, write_in
from tests.factories import UserFactory
from tests.offer_helpers import actor


def signed_in(app, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_rows(page: str, testid: str) -> list[list[str]]:
    match = re.search(rf'data-testid="{testid}"(.*?)</table>', page, re.DOTALL)
    assert match, f"no table {testid}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.DOTALL)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL) for row in rows]
    return [[text(cell) for cell in row] for row in cells if row]


def field_errors(page: str, name: str) -> list[str]:
    found = re.findall(rf'data-field-error="{name}">(.*?)</div>', page, re.DOTALL)
    return [text(message) for message in found]


def count(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def ledger_snapshot(app) -> list[tuple[object, ...]]:
    with app.app_context():
        query = sa.select(*LedgerEntry.__table__.columns).order_by(LedgerEntry.id)
        return [tuple(row) for row in db.session.execute(query)]


# A claim's dates: paid on a past day, for the first days of the campaign (March 2027).
CLAIM_DATES = {"service_from": "2027-03-01", "service_to": "2027-03-02", "paid_on": "2026-11-30"}


@pytest.fixture
def joint(app, world):
    """The A+B campaign from a real offer approval: EUR 1,000.00 committed, A 600, B 400."""
    with app.app_context():
        return joint_campaign(world, via_offer=True)


# ---------------------------------------------------------------------------------------------
# The budget panel


def test_the_campaign_page_shows_each_partys_money_and_who_owes_whom(app, world, joint):
    with app.app_context():
        claimed = spend(world.a.email(PM), joint.id, joint.a_placement, 30_000)
        confirm_entry(world.b.email(APPROVER), joint.id, claimed.id)

    for email in (world.a.email(ANALYST), world.b.email(PM)):
        page = signed_in(app, email).get(f"/campaigns/{joint.id}").get_data(as_text=True)
        assert text(page).count("Spring baking week") >= 1
        totals = re.search(
            r'data-testid="budget-totals"(.*?)</div>\s*</div>\s*</div>', page, re.DOTALL
        )
        assert totals and text(totals.group(1)) == (
            "> Committed €1,000.00 Spent (confirmed + pending claims) €300.00 Confirmed €300.00"
            " Pending €0.00 Disputed €0.00 Remaining €700.00"
        )
        assert table_rows(page, "party-balances") == [
            [
                "Party",
                "Budget share",
                "Revenue share",
                "Committed",
                "Confirmed",
                "Pending",
                "Disputed",
                "Remaining",
            ],
            ["Alpha Flour", "60%", "60%", "€600.00", "€300.00", "€0.00", "€0.00", "€300.00"],
            ["Beta Shortening", "40%", "40%", "€400.00", "€0.00", "€0.00", "€0.00", "€400.00"],
        ]
        assert table_rows(page, "settlement")[1:] == [
            ["Alpha Flour", "€300.00", "€180.00", "€0.00", "€0.00", "€120.00"],
            ["Beta Shortening", "€0.00", "€120.00", "€0.00", "€0.00", "-€120.00"],
        ]
        transfers = re.search(r'data-testid="transfers">(.*?)</ul>', page, re.DOTALL)
        assert transfers and text(transfers.group(1)) == (
            "Beta Shortening owes Alpha Flour €120.00"
        )
        assert "from offer #" in text(page)
        assert 'id="burn-data"' in page


def test_read_only_roles_see_the_budget_without_the_posting_forms(app, world, joint):
    page = signed_in(app, world.a.email(ANALYST)).get(f"/campaigns/{joint.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="commitment-form"' not in html
    assert 'data-testid="expense-form"' not in html
    assert 'data-testid="milestone-form"' not in html
    assert "/reverse" not in html
    before = ledger_snapshot(app)
    refused = signed_in(app, world.a.email(ANALYST)).post(
        f"/campaigns/{joint.id}/commitments",
        data={"organization_id": world.a.id, "amount": "10"},
    )
    assert refused.status_code == 403
    assert ledger_snapshot(app) == before


def test_outsiders_get_404_for_a_campaign_and_its_forms(app, world, joint):
    with app.app_context():
        solo = solo_campaign(world.a.email(PM))
    before = ledger_snapshot(app)
    outsider = signed_in(app, world.c.email(ADMIN))
    assert outsider.get(f"/campaigns/{joint.id}").status_code == 404
    response = outsider.post(
        f"/campaigns/{joint.id}/claims",
        data={
            "organization_id": world.c.id,
            "placement_id": joint.a_placement,
            "amount": "5",
            **CLAIM_DATES,
        },
    )
    assert response.status_code == 404
    # A partner of A does not see A's solo campaign either.
    partner = signed_in(app, world.b.email(ADMIN))
    assert partner.get(f"/campaigns/{solo}").status_code == 404
    assert (
        partner.post(
            f"/campaigns/{solo}/commitments", data={"organization_id": world.b.id, "amount": "5"}
        ).status_code
        == 404
    )
    assert ledger_snapshot(app) == before


# ---------------------------------------------------------------------------------------------
# Posting through the forms


def test_a_claim_form_posts_and_the_page_shows_it(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    response = client.post(
        f"/campaigns/{joint.id}/claims",
        data={
            "organization_id": world.a.id,
            "placement_id": joint.a_placement,
            "amount": "€ 234.5",
            "service_from": "2027-03-01",
            "service_to": "2027-03-31",
            "paid_on": "2026-11-04",
            "note": "Print run",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{joint.id}#claims")
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    ledger = table_rows(page, "ledger")
    assert ledger[1][:5] == ["4 Nov 2026", "expense", "Alpha Flour", "Alpha newsletter", "€234.50"]
    assert "Print run" in ledger[1][5]
    assert "Expense claimed." in text(page)
    [claim] = table_rows(page, "claims")[1:]
    assert claim[1:6] == [
        "Alpha Flour",
        "Alpha newsletter",
        "1 Mar 2027 \u2013 31 Mar 2027",
        "4 Nov 2026",
        "€234.50",
    ]
    assert claim[6].startswith("pending")


def test_commitments_are_posted_for_the_own_party_or_by_an_admin_with_a_reason(app, world, joint):
    response = signed_in(app, world.b.email(PM)).post(
        f"/campaigns/{joint.id}/commitments",
        data={"organization_id": world.b.id, "amount": "1,000.00", "note": "Second wave"},
    )
    assert response.status_code == 302
    response = signed_in(app, world.a.email(ADMIN)).post(
        f"/campaigns/{joint.id}/commitments",
        data={
            "organization_id": world.b.id,
            "amount": "0.50",
            "override_reason": "B's rounding, agreed by phone",
        },
    )
    assert response.status_code == 302
    page = signed_in(app, world.a.email(ANALYST)).get(f"/campaigns/{joint.id}")
    html = page.get_data(as_text=True)
    assert table_rows(html, "party-balances")[1:] == [
        ["Alpha Flour", "60%", "60%", "€600.00", "€0.00", "€0.00", "€0.00", "€600.00"],
        ["Beta Shortening", "40%", "40%", "€1,400.50", "€0.00", "€0.00", "€0.00", "€1,400.50"],
    ]
    assert 'title="B&#39;s rounding, agreed by phone">override</span>' in html
    assert_ledger_consistent(app)


@freeze_time("2027-03-15 12:00:00")  # expenses are booked once spent, within the campaign
def test_an_expense_over_the_commitments_is_refused_next_to_the_amount(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    before = ledger_snapshot(app)
    response = client.post(
        f"/campaigns/{joint.id}/claims",
        data={
            "organization_id": world.a.id,
            "placement_id": joint.a_placement,
            "amount": "1,000.01",
            **CLAIM_DATES,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    [message] = field_errors(page, "amount")
    assert "above the €1,000.00 committed" in message
    assert 'value="1,000.01"' in page  # what was typed stays in the field
    assert ledger_snapshot(app) == before


@pytest.mark.parametrize("amount", ["10.005", "1e3", "NaN", "-5", "0", "12 abc"])
def test_an_amount_that_is_not_exact_money_is_refused_next_to_the_field(app, world, joint, amount):
    client = signed_in(app, world.a.email(PM))
    before = ledger_snapshot(app)
    claim = {"placement_id": joint.a_placement, **CLAIM_DATES}
    for form, extra in (("claims", claim), ("commitments", {})):
        response = client.post(
            f"/campaigns/{joint.id}/{form}",
            data={"organization_id": world.a.id, "amount": amount, **extra},
        )
        assert response.status_code == 422, (form, amount)
        assert len(field_errors(response.get_data(as_text=True), "amount")) == 1
    assert ledger_snapshot(app) == before


def test_a_partner_manager_posting_for_the_partner_is_forbidden(app, world, joint):
    before = ledger_snapshot(app)
    client = signed_in(app, world.a.email(PM))
    response = client.post(
        f"/campaigns/{joint.id}/commitments",
        data={"organization_id": world.b.id, "amount": "10", "override_reason": "B asked"},
    )
    assert response.status_code == 403
    assert ledger_snapshot(app) == before


@freeze_time("2027-03-15 12:00:00")  # expenses are booked once spent, within the campaign
def test_an_admin_overrides_the_guard_through_the_form_with_a_reason(app, world, joint):
    client = signed_in(app, world.a.email(ADMIN))
    before = ledger_snapshot(app)
    over = {
        "organization_id": world.a.id,
        "placement_id": joint.a_placement,
        "amount": "1,100.00",
        **CLAIM_DATES,
    }
    response = client.post(f"/campaigns/{joint.id}/claims", data=over)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "override_reason") == [
        "Spend above the commitments needs a written override reason."
    ]
    # Posting for B needs a reason too.
    response = client.post(
        f"/campaigns/{joint.id}/commitments", data={"organization_id": world.b.id, "amount": "5"}
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "override_reason")
    assert ledger_snapshot(app) == before

    response = client.post(
        f"/campaigns/{joint.id}/claims",
        data={**over, "override_reason": "Reprint after the typo; B agreed by mail"},
    )
    assert response.status_code == 302
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    assert 'title="Reprint after the typo; B agreed by mail">override</span>' in page
    assert text(page).count("Spent (confirmed + pending claims) €1,100.00") == 1
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("ledger.%"))
        ).all()
        assert actions == ["ledger.expense.override", "ledger.expense.override"]
    assert_ledger_consistent(app)


def test_a_reversal_through_the_form_needs_a_reason(app, world, joint):
    with app.app_context():
        entry = commit(world.a.email(PM), joint.id, 25_000).id
    client = signed_in(app, world.a.email(PM))
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    assert f"/campaigns/{joint.id}/entries/{entry}/reverse" in page

    before = ledger_snapshot(app)
    response = client.post(f"/campaigns/{joint.id}/entries/{entry}/reverse", data={"reason": ""})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "reason")
    assert ledger_snapshot(app) == before

    response = client.post(
        f"/campaigns/{joint.id}/entries/{entry}/reverse", data={"reason": "Booked twice"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#ledger")
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    ledger = table_rows(page, "ledger")
    assert ledger[1][1:5] == ["reversal", "Alpha Flour", "", "-€250.00"]
    assert ledger[2][1] == "commitment reversed"
    assert f"/entries/{entry}/reverse" not in page  # no second reversal offered

    # A stale page posting the same reversal again is told why, not silently refused.
    again = client.post(f"/campaigns/{joint.id}/entries/{entry}/reverse", data={"reason": "Again"})
    assert again.status_code == 422
    assert "This entry was already reversed." in text(again.get_data(as_text=True))
    with app.app_context():
        assert balances.campaign_totals(joint.id).committed_minor == 100_000


def test_a_partner_manager_cannot_reverse_the_partners_entry(app, world, joint):
    with app.app_context():
        entry = spend(world.b.email(PM), joint.id, joint.b_placement, 1_000).id
    before = ledger_snapshot(app)
    client = signed_in(app, world.a.email(PM))
    assert f"/entries/{entry}/reverse" not in client.get(f"/campaigns/{joint.id}").get_data(
        as_text=True
    )
    response = client.post(f"/campaigns/{joint.id}/entries/{entry}/reverse", data={"reason": "x"})
    assert response.status_code == 403
    assert ledger_snapshot(app) == before


# ---------------------------------------------------------------------------------------------
# Milestones, solo campaigns and placements through their forms


def test_milestones_are_added_flagged_overdue_and_marked_done(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    response = client.post(
        f"/campaigns/{joint.id}/milestones",
        data={
            "kind": "creative_due",
            "title": "",
            "owner_organization_id": world.b.id,
            "due_on": "2020-01-01",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    assert 'data-testid="milestone-overdue"' in page
    assert "Creative due" in text(page)

    for data, name in (
        ({"kind": "launch", "owner_organization_id": world.a.id, "due_on": ""}, "due_on"),
        (
            {"kind": "launch", "owner_organization_id": world.c.id, "due_on": "2027-03-01"},
            "owner_organization_id",
        ),
    ):
        refused = client.post(f"/campaigns/{joint.id}/milestones", data=data)
        assert refused.status_code == 422
        assert field_errors(refused.get_data(as_text=True), name), name
    assert count(app, Milestone) == 1

    with app.app_context():
        milestone_id = db.session.scalar(sa.select(Milestone.id))
    done = client.post(f"/campaigns/{joint.id}/milestones/{milestone_id}/done")
    assert done.status_code == 302
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    assert 'data-testid="milestone-overdue"' not in page
    assert ">done</span>" in page
    analyst = signed_in(app, world.a.email(ANALYST))
    assert (
        analyst.post(
            f"/campaigns/{joint.id}/milestones",
            data={"kind": "launch", "owner_organization_id": world.a.id, "due_on": "2027-03-01"},
        ).status_code
        == 403
    )


def test_the_solo_campaign_form_shows_errors_next_to_fields_and_creates_it(app, world):
    client = signed_in(app, world.a.email(PM))
    assert client.get("/campaigns/new").status_code == 200
    valid = {
        "name": "Solo spring",
        "start_date": "2027-03-01",
        "end_date": "2027-03-31",
        "currency": "EUR",
        "total_budget": "5,000",
    }
    for change, name in (
        ({"end_date": "2027-02-01"}, "end_date"),
        ({"name": ""}, "name"),
        ({"start_date": ""}, "start_date"),
        ({"total_budget": "10.005"}, "total_budget"),
        ({"target_revenue": "1e3"}, "target_revenue"),
        ({"target_reach": "-1"}, "target_reach"),
    ):
        response = client.post("/campaigns/new", data={**valid, **change})
        assert response.status_code in (200, 422)
        assert len(field_errors(response.get_data(as_text=True), name)) == 1, name
    assert count(app, Campaign) == 0

    response = client.post("/campaigns/new", data=valid)
    assert response.status_code == 302
    campaign_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.kind, campaign.organization_id, campaign.total_budget_minor) == (
            "solo",
            world.a.id,
            500_000,
        )
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Only your company sees it." in text(page)
    # A solo campaign has no settlement between parties.
    assert 'data-testid="settlement"' not in page
    assert signed_in(app, world.a.email(ANALYST)).get("/campaigns/new").status_code == 403


def test_placements_are_added_and_edited_by_their_owner_only(app, world, joint):
    client = signed_in(app, world.b.email(PM))
    page = client.get(f"/campaigns/{joint.id}/placements/new").get_data(as_text=True)
    # B can only pick itself as the owner.
    owners = re.search(r'name="owner_organization_id"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert owners and text(owners.group(1)) == "Beta Shortening"

    refused = client.post(
        f"/campaigns/{joint.id}/placements/new",
        data={
            "channel": "event",
            "owner_organization_id": world.b.id,
            "name": "Fair stand",
            "start_date": "2027-02-20",
            "planned_cost": "300",
        },
    )
    assert len(field_errors(refused.get_data(as_text=True), "start_date")) == 1
    assert count(app, Placement) == 2

    response = client.post(
        f"/campaigns/{joint.id}/placements/new",
        data={
            "channel": "event",
            "owner_organization_id": world.b.id,
            "name": "Fair stand",
            "start_date": "2027-03-20",
            "end_date": "2027-03-21",
            "planned_cost": "1,250.50",
            "audience_size": "4000",
            "url": "https://fair.example/stand",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    assert [
        "Fair stand",
        "event",
        "Beta Shortening",
        "20 Mar 2027 \u2013 21 Mar 2027",
        "€1,250.50",
        "4,000",
        "—",  # no flight reach reported
        "Edit",
    ] in table_rows(page, "campaign-placements")

    # B posting a placement owned by A, or editing A's: forbidden, nothing changes.
    a_owned = {"channel": "email", "owner_organization_id": world.a.id, "name": "Taken over"}
    assert client.post(f"/campaigns/{joint.id}/placements/new", data=a_owned).status_code == 403
    edit_a = f"/campaigns/{joint.id}/placements/{joint.a_placement}/edit"
    assert client.get(edit_a).status_code == 403
    assert client.post(edit_a, data=a_owned).status_code == 403
    assert count(app, Placement) == 3
    with app.app_context():
        assert db.session.get(Placement, joint.a_placement).name == "Alpha newsletter"


# ---------------------------------------------------------------------------------------------
# The list


def campaign_links(page: str) -> list[str]:
    return [text(name) for name in re.findall(r'<td><a href="/campaigns/\d+">(.*?)</a></td>', page)]


def test_the_list_filters_and_pages(app, world, joint):
    with app.app_context():
        for n in range(26):
            solo_campaign(
                world.a.email(PM), f"Solo {n:02d}", start=date(2027, 5, 1), end=date(2027, 5, 31)
            )
        active = solo_campaign(
            world.a.email(PM), "Solo active", start=date(2027, 6, 1), end=date(2027, 6, 30)
        )
        lifecycle.change_status(actor(world.a.email(PM)), active, "activate")
        solo_campaign(world.b.email(PM), "Beta private plan")
    client = signed_in(app, world.a.email(ANALYST))

    first = client.get("/campaigns").get_data(as_text=True)
    assert len(campaign_links(first)) == 25
    assert campaign_links(first)[0] == "Solo active"  # latest start first
    assert "28 campaigns" in text(first)
    assert "/campaigns?page=2" in first and ">Previous<" not in first
    second = client.get("/campaigns?page=2").get_data(as_text=True)
    assert len(campaign_links(second)) == 3
    assert campaign_links(second)[-1] == "Spring baking week"
    assert ">Previous<" in second and ">Next<" not in second
    assert "Beta private plan" not in first + second

    assert campaign_links(client.get("/campaigns?kind=joint").get_data(as_text=True)) == [
        "Spring baking week"
    ]
    by_partner = client.get(f"/campaigns?partner={world.b.id}").get_data(as_text=True)
    assert campaign_links(by_partner) == ["Spring baking week"]
    assert f'<option value="{world.b.id}" selected>' in by_partner
    assert campaign_links(client.get("/campaigns?status=active").get_data(as_text=True)) == [
        "Solo active"
    ]
    ranged = client.get("/campaigns?from=2027-04-15&to=2027-05-02").get_data(as_text=True)
    assert "27 campaigns" in text(ranged) and "Solo active" not in campaign_links(ranged)
    # Filters carry over to the next page.
    assert "from=2027-04-15" in ranged and "page=2" in ranged
    # Nonsense in the query string is ignored, not an error.
    assert client.get("/campaigns?page=x&from=yesterday&partner=abc").status_code == 200


# ---------------------------------------------------------------------------------------------
# The calendar and its feed


def test_the_calendar_highlights_a_clash_between_two_of_my_campaigns(app, world):
    with app.app_context():
        pm_a = world.a.email(PM)
        x = solo_campaign(pm_a, "Solo X", start=date(2027, 3, 1), end=date(2027, 3, 31))
        y = solo_campaign(pm_a, "Solo Y", start=date(2027, 3, 10), end=date(2027, 4, 10))
        add_placement(pm_a, x, world.a.id, start=date(2027, 3, 1), end=date(2027, 3, 20))
        add_placement(pm_a, y, world.a.id, start=date(2027, 3, 15), end=date(2027, 3, 31))
    page = signed_in(app, world.a.email(ANALYST)).get("/calendar?month=2027-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "March 2027" in text(html)
    clash_days = re.findall(r'data-clash="true" data-day="([\d-]+)"', html)
    assert clash_days == [f"2027-03-{d}" for d in range(15, 21)]
    clashes = re.search(r'data-testid="clashes">(.*?)</div>', html, re.DOTALL)
    assert clashes and (
        "Email: Newsletter (Solo X) and Newsletter (Solo Y), 15 Mar 2027 \u2013 20 Mar 2027"
        in text(clashes.group(1))
    )
    # B has no clash and never sees A's solo campaigns.
    partner = signed_in(app, world.b.email(PM)).get("/calendar?month=2027-03")
    partner_html = partner.get_data(as_text=True)
    assert 'data-clash="true"' not in partner_html and "Solo X" not in partner_html
    # A month that does not exist falls back to the current one, saying so.
    unreadable = signed_in(app, world.a.email(PM)).get("/calendar?month=2027-13")
    assert unreadable.status_code == 200
    assert 'data-testid="period-error"' in unreadable.get_data(as_text=True)


def test_the_feed_address_is_shown_once_and_works_without_a_session(app, world):
    with app.app_context():
        solo_campaign(world.a.email(PM), "Solo spring")
    client = signed_in(app, world.a.email(ANALYST))
    created = client.post("/calendar/feed").get_data(as_text=True)
    url = re.search(r'value="(http://localhost/calendar/feed/[^"]+\.ics)"', created).group(1)
    path = url.removeprefix("http://localhost")
    assert 'data-testid="feed-url"' not in client.get("/calendar").get_data(as_text=True)

    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    assert feed.headers["Content-Disposition"] == 'attachment; filename="comarketing.ics"'
    assert b"BEGIN:VCALENDAR" in feed.data and b"SUMMARY:Solo spring (solo)" in feed.data

    # A new address ends the old one; revoking ends the new one.
    newer = client.post("/calendar/feed").get_data(as_text=True)
    new_path = re.search(r'value="http://localhost(/calendar/feed/[^"]+\.ics)"', newer).group(1)
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200
    assert client.post("/calendar/feed/revoke").status_code == 302
    assert anonymous.get(new_path).status_code == 404


# ---------------------------------------------------------------------------------------------
# Performance: the campaign page's queries do not grow with its content


def test_the_campaign_page_runs_the_same_number_of_queries_for_2_or_20_entries(
    app, world, query_counter
):
    with app.app_context():
        small = joint_campaign(world, name="Small")
        large = joint_campaign(world, name="Large", budget_minor=10_000_000)
        for campaign, n in ((small, 2), (large, 20)):
            pm_a = world.a.email(PM)
            for i in range(n):
                placement = add_placement(pm_a, campaign.id, world.a.id, name=f"Spot {i}")
                spend(pm_a, campaign.id, placement, 100 + i)
                milestones.add_milestone(
                    actor(pm_a),
                    campaign.id,
                    kind="review",
                    title=f"R{i}",
                    owner_organization_id=world.b.id,
                    due_on=START,
                )
            spend(world.b.email(PM), campaign.id, campaign.b_placement, 50)
    client = signed_in(app, world.a.email(PM))
    # Warm up whatever is loaded once per process (another query string: the pages counted
    # below are computed, not kept).
    client.get(f"/campaigns/{small.id}?warm=1")
    counts = {}
    for campaign in (small, large):
        with query_counter() as statements:
            response = client.get(f"/campaigns/{campaign.id}")
        assert response.status_code == 200
        counts[campaign.id] = len(statements)
        # The parties are read once, with the campaign's view; the claims' states and the
        # settlement take them from there.
        assert sum("campaign_parties.budget_share_bp" in s for s in statements) == 1
        assert not [s for s in statements if s.startswith("SELECT campaign_parties.")]
    assert counts[small.id] == counts[large.id], counts
    assert counts[small.id] <= 19, counts  # with the data version the blocks are kept under
    with query_counter() as statements:
        client.get(f"/campaigns/{large.id}")
    assert len(statements) <= 7, statements  # kept: the view, its parties, the version


@freeze_time("2027-03-15 12:00:00")
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2027-03-20"])
def test_a_date_out_of_range_or_in_the_future_is_refused_next_to_the_date(app, world, joint, day):
    client = signed_in(app, world.a.email(PM))
    before = ledger_snapshot(app)
    claim = {"placement_id": joint.a_placement, **CLAIM_DATES, "paid_on": day}
    for form, extra, field in (
        ("claims", claim, "paid_on"),
        ("commitments", {"occurred_on": day}, "occurred_on"),
    ):
        response = client.post(
            f"/campaigns/{joint.id}/{form}",
            data={"organization_id": world.a.id, "amount": "10", **extra},
        )
        assert response.status_code == 422, (form, day)
        [message] = field_errors(response.get_data(as_text=True), field)
        assert "2100" in message or "has not happened yet" in message
    assert ledger_snapshot(app) == before


def test_a_service_period_outside_the_campaign_is_refused_next_to_the_date(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    before = ledger_snapshot(app)
    response = client.post(
        f"/campaigns/{joint.id}/claims",
        data={
            "organization_id": world.a.id,
            "placement_id": joint.a_placement,
            "amount": "10",
            **CLAIM_DATES,
            "service_from": "2027-02-27",
        },
    )
    assert response.status_code == 422
    [message] = field_errors(response.get_data(as_text=True), "service_from")
    assert message == (
        "The service period lies within the campaign's dates (1 Mar 2027 to 30 Apr 2027)."
    )
    assert ledger_snapshot(app) == before


# ---------------------------------------------------------------------------------------------
# Kept under the data version (issue 21)

TOKEN_VALUE = re.compile(r'(name="[\w-]*(?:csrf_token|submission_token)"[^>]* value=")([^"]+)"')


def _tokens(html: str, kind: str = "") -> set[str]:
    return {m.group(2) for m in TOKEN_VALUE.finditer(html) if kind in m.group(1)}


def _same_page(html: str) -> str:
    """The page without the values each rendering draws afresh: its forms' tokens."""
    return TOKEN_VALUE.sub(r'\1"', html)


def test_a_kept_campaign_page_is_the_fresh_one_and_its_forms_carry_this_requests_tokens(
    make_app, world
):
    """The money, claims, payments and ledger blocks are kept as HTML under the data version,
    per reader's permissions: each reader's kept page is an uncached app's after each write,
    and the forms inside kept blocks carry this request's CSRF and submission tokens — a
    reversal posted from a kept page is saved."""
    from tests.security.test_auth_security import csrf_login

    prefix = f"test-{uuid.uuid4().hex}"
    kept = make_app(REPORT_CACHE="memory", WTF_CSRF_ENABLED=True, RATELIMIT_KEY_PREFIX=prefix)
    fresh = make_app(REPORT_CACHE="off", WTF_CSRF_ENABLED=True)
    with kept.app_context():
        joint = joint_campaign(world)
        first_claim = spend(world.a.email(PM), joint.id, joint.a_placement, 10_000)
        db.session.remove()
    readers = [world.a.email(PM), world.a.email(ANALYST), world.b.email(APPROVER)]
    clients = {}
    for email in readers:
        clients[email] = kept.test_client(), fresh.test_client()
        for each in clients[email]:
            csrf_login(each, email)
    url = f"/campaigns/{joint.id}"

    def kept_page(email: str) -> tuple[str, int]:
        with count_queries(kept) as statements:
            response = clients[email][0].get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), len(statements)

    for email in readers:
        first, computed = kept_page(email)
        again, from_store = kept_page(email)
        assert from_store < computed, (email, from_store, computed)
        assert _same_page(again) == _same_page(first), email
        # The one-time submission tokens are this request's (a CSRF token signed within the
        # same second is the same).
        if email == world.a.email(PM):  # (who may post: the reversal and revise forms)
            mine = _tokens(again, "submission")
            assert mine and not mine & _tokens(first, "submission")

    def pay() -> None:
        payments.record_payment(
            actor(world.b.email(PM)),
            joint.id,
            to_organization_id=world.a.id,
            amount_minor=1_500,
            paid_on=date.today(),
        )

    writes = [
        (
            "B confirms A's claim",
            lambda: confirm_entry(world.b.email(APPROVER), joint.id, first_claim.id),
        ),
        ("B's claim", lambda: spend(world.b.email(PM), joint.id, joint.b_placement, 2_500)),
        ("B's payment", pay),
        ("A commits more", lambda: commit(world.a.email(PM), joint.id, 5_000)),
        (
            "a milestone",
            lambda: milestones.add_milestone(
                actor(world.b.email(PM)),
                joint.id,
                kind="review",
                title="Mid-flight review",
                owner_organization_id=world.b.id,
                due_on=START,
            ),
        ),
    ]

    def author_renamed() -> None:  # the author of A's entries, shown in the ledger
        db.session.scalar(sa.select(User).where(User.email == world.a.email(PM))).name = "Pat New"
        db.session.commit()

    writes.append(("the author renamed", author_renamed))
    shown = {email: _same_page(kept_page(email)[0]) for email in readers}
    for what, write in writes:
        write_in(kept, write)
        for email in readers:
            now = _same_page(kept_page(email)[0])
            assert now == _same_page(clients[email][1].get(url).get_data(as_text=True)), (
                what,
                email,
            )
            assert now != shown[email], (what, email)
            shown[email] = now

    # A colleague with the same permissions gets the blocks kept for the first: with their
    # own session's CSRF token and fresh submission tokens put back, never the first's — a
    # reversal posted from that kept page is saved.
    with kept.app_context():
        organization = db.session.get(Organization, world.a.id)
        UserFactory(organization=organization, email="second-pm@a.example", role=PM)
        db.session.commit()
        db.session.remove()
    second = "second-pm@a.example"
    clients[second] = kept.test_client(), fresh.test_client()
    csrf_login(clients[second][0], second)
    theirs_before, _ = kept_page(world.a.email(PM))
    page, from_store = kept_page(second)
    assert from_store < computed
    assert not _tokens(page) & _tokens(theirs_before)
    form = re.search(
        r'<form method="post" action="(/campaigns/\d+/entries/(\d+)/reverse)"(.*?)</form>',
        page,
        re.S,
    )
    assert form, "a reversal form on the kept page"
    fields = dict(
        re.findall(r'name="((?:csrf|submission)_token)"[^>]* value="([^"]+)"', form.group(3))
    )
    assert set(fields) == {"csrf_token", "submission_token"}
    posted = clients[second][0].post(form.group(1), data={**fields, "reason": "Booked twice"})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:500]
    with kept.app_context():
        entry = db.session.get(LedgerEntry, int(form.group(2)))
        assert entry is not None
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.reverses_id == entry.id))
            == 1
        )
