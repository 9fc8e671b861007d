"""Offer pages kept as HTML under the company's data version (issue 21): every write to an
offer raises its parties' versions, and a kept page holds only until a shown offer's review
falls due; the page is always the one an app without any cache computes."""

from __future__ import annotations

import uuid

from freezegun import freeze_time

from comarketing.accounts.models import Organization
from comarketing.extensions import db
from comarketing.offers import discussion, reviews
from tests.conftest import login, write_in
from tests.offer_helpers import actor, propose_and_send
from tests.reports.test_dashboard_figures import PM
from tests.reports.test_report_cache import _fresh_page, _page, _without_nonces


def test_the_offers_lists_kept_blocks_follow_every_write_each_query_and_the_clock(make_app, world):
    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    offers: list[int] = []

    def renamed() -> None:
        db.session.get(Organization, world.b.id).name = "Beta Renamed Ltd"
        db.session.commit()

    writes = [
        (
            "A sends an offer",
            lambda: offers.append(propose_and_send(a_pm, [world.a.id, world.b.id])),
        ),
        ("B comments", lambda: discussion.add_comment(actor(b_pm), offers[0], "Why not")),
        ("a second offer", lambda: offers.append(propose_and_send(a_pm, [world.a.id, world.b.id]))),
        (
            "B asks for changes",
            lambda: reviews.decide(
                actor(world.b.email("approver")),
                offers[0],
                revision_number=1,
                decision="changes_requested",
                comment="Less budget",
            ),
        ),
        ("the partner renamed", renamed),
    ]
    paths = ["/offers", "/offers?status=sent", f"/offers?partner={world.b.id}"]
    with freeze_time("2027-03-15 12:00:00"):
        clients = {email: app.test_client() for email in (a_pm, b_pm)}
        for email, client in clients.items():
            login(client, email)
        shown, computed = _page(clients[a_pm], paths[0])
        again, kept = _page(clients[a_pm], paths[0])
        assert _without_nonces(again) == _without_nonces(shown) and kept < computed
        for what, write in writes:
            write_in(app, write)
            for email, client in clients.items():
                for path in paths:
                    page, _ = _page(client, path)
                    fresh = _fresh_page(make_app, email, path)
                    assert _without_nonces(page) == _without_nonces(fresh), (what, email, path)
            now, _ = _page(clients[a_pm], paths[0])
            assert now != shown, what
            shown = now
        assert "Beta Renamed Ltd" in shown and 'data-testid="overdue"' not in shown
    with freeze_time("2027-04-30 12:00:00"):  # the second offer's review is past due
        for email, client in clients.items():
            login(client, email)  # signed out for idleness
            late, _ = _page(client, paths[0])
            assert 'data-testid="overdue"' in late, email
            assert _without_nonces(late) == _without_nonces(_fresh_page(make_app, email, paths[0]))


def test_an_offers_kept_page_follows_every_write_each_reader_and_the_clock(make_app, world):
    """Kept per person (the decision form is the approver's, not the analyst's): the page is
    the uncached app's after a comment, a refused decision, changes asked, a new revision
    and a renamed party; and once the review falls due."""
    from comarketing.offers import proposals
    from tests.offer_helpers import make_terms

    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    a_pm, b_approver, b_analyst = (
        world.a.email(PM),
        world.b.email("approver"),
        world.b.email("analyst"),
    )
    parties = [world.a.id, world.b.id]
    with freeze_time("2027-03-15 12:00:00"):
        with app.app_context():
            offer_id = propose_and_send(a_pm, parties)
            db.session.remove()
        path = f"/offers/{offer_id}"

        def renamed() -> None:
            db.session.get(Organization, world.a.id).name = "Alpha Renamed Ltd"
            db.session.commit()

        def revised() -> None:
            terms = make_terms(parties, title="Spring bake-off, smaller")
            proposals.revise(actor(a_pm), offer_id, terms=terms)

        writes = [
            (
                "B comments",
                lambda: discussion.add_comment(actor(world.b.email(PM)), offer_id, "Nice"),
            ),
            (
                "B asks for changes",
                lambda: reviews.decide(
                    actor(b_approver),
                    offer_id,
                    revision_number=1,
                    decision="changes_requested",
                    comment="Less budget",
                ),
            ),
            ("A revises", revised),
            ("the proposer renamed", renamed),
        ]
        clients = {email: app.test_client() for email in (a_pm, b_approver, b_analyst)}
        for email, client in clients.items():
            login(client, email)
        shown, computed = _page(clients[b_approver], path)
        again, kept = _page(clients[b_approver], path)
        assert _without_nonces(again) == _without_nonces(shown) and kept < computed
        assert 'data-testid="decision-form"' in shown
        analyst, _ = _page(clients[b_analyst], path)
        assert 'data-testid="decision-form"' not in analyst
        refused = clients[b_approver].post(f"{path}/decide", data={"revision_number": "1"})
        assert refused.status_code == 422 and "data-field-error" in refused.get_data(as_text=True)
        for what, write in writes:
            write_in(app, write)
            for email, client in clients.items():
                page, _ = _page(client, path)
                fresh = _fresh_page(make_app, email, path)
                assert _without_nonces(page) == _without_nonces(fresh), (what, email)
            now, _ = _page(clients[b_approver], path)
            assert now != shown, what
            shown = now
        assert "Alpha Renamed Ltd" in shown and "Spring bake-off, smaller" in shown
        assert 'data-testid="overdue"' not in shown
    with freeze_time("2027-04-30 12:00:00"):  # the revision's review is past due
        for email, client in clients.items():
            login(client, email)  # signed out for idleness
            late, _ = _page(client, path)
            assert 'data-testid="overdue"' in late, email
            assert _without_nonces(late) == _without_nonces(_fresh_page(make_app, email, path))
