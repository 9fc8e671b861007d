"""Report figures cached under each company's data version (issue 21): every write to what the
reports show raises the version of each party in the same transaction, so a cached page is
never stale; one company's figures never serve another."""

from __future__ import annotations

import io
import itertools
import pickle
import re
import uuid
from datetime import UTC, date, datetime

import pytest
import redis
import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.budgets import claim_responses
from comarketing.campaigns import cache, data_version, lifecycle
from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.metrics import entry
from tests import campaign_helpers as ch
from tests.conftest import count_queries, login, write_in
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import PM, _results

PERIOD = "?preset=custom&start=2027-03-01&end=2027-04-30"
HOME_AT = "2027-07-15 12:00:00"


def _versions(world) -> dict[str, int]:
    return {key: data_version.current(getattr(world, key).id) for key in ("a", "b", "c")}


def _joint_with_results(app, world) -> ch.JointCampaign:
    with app.app_context():
        joint = ch.joint_campaign(world, budget_minor=2_000_000)
        _results(world.a.email(PM), joint.a_placement, 1)
        _results(world.b.email(PM), joint.b_placement, 2)
        db.session.remove()
    return joint


def _one_more_day(email: str, placement: int) -> None:
    entry.upsert_days(
        actor(email),
        placement,
        [{"day": "2027-04-30", "impressions": "987654", "reach": "876543", "clicks": "4321"}],
    )


def test_every_write_raises_each_partys_version_and_no_one_elses(app, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        before = _versions(world)
        _one_more_day(world.a.email(PM), joint.a_placement)  # results (rollup: SQL statements)
        after_results = _versions(world)
        claim = ch.spend(world.a.email(PM), joint.id, joint.a_placement, 1_000)  # ledger, claim
        after_claim = _versions(world)
        status = db.session.scalar(sa.text("SELECT id FROM claims ORDER BY id DESC LIMIT 1"))
        claim_responses.dispute_claim(actor(world.b.email(PM)), joint.id, status, reason="No")
        after_answer = _versions(world)
        db.session.get(Campaign, joint.id).name = "Renamed"  # the campaign itself
        db.session.commit()
        after_rename = _versions(world)
        assert claim is not None
    steps = [before, after_results, after_claim, after_answer, after_rename]
    for earlier, later in itertools.pairwise(steps):
        assert later["a"] > earlier["a"] and later["b"] > earlier["b"], steps
        assert later["c"] == earlier["c"], steps


def test_a_rolled_back_write_raises_nothing(app, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        before = _versions(world)
        db.session.get(Campaign, joint.id).name = "Never kept"
        db.session.flush()
        db.session.rollback()
        assert _versions(world) == before


def _dashboard(client) -> tuple[str, int]:
    with count_queries(client.application) as statements:
        response = client.get("/reports" + PERIOD)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements)


def _fresh(make_app, email: str) -> str:
    """The page as an app without any cache computes it now."""
    uncached = make_app(REPORT_CACHE="off")
    client = uncached.test_client()
    login(client, email)
    return client.get("/reports" + PERIOD).get_data(as_text=True)


def _without_nonces(html: str) -> str:
    # Only the request's own tokens (CSRF, signed with the time; a form's one-time submission
    # token, 32 characters) may differ between two renderings of the same figures.
    return re.sub(r'value="[A-Za-z0-9._-]{32,}"', "", html)


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_cached_page_is_never_stale(make_app, world, where):
    prefix = f"test-cache-{uuid.uuid4().hex}"
    config = {"REPORT_CACHE": where, "RATELIMIT_KEY_PREFIX": prefix}
    if where == "redis":
        config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    app = make_app(**config)
    joint = _joint_with_results(app, world)
    analyst = world.a.email("analyst")
    client = app.test_client()
    login(client, analyst)
    first, computed = _dashboard(client)
    again, from_cache = _dashboard(client)
    assert _without_nonces(again) == _without_nonces(first)
    assert from_cache < computed, (from_cache, computed)  # the figures' statements were skipped
    if where == "redis":
        keys = redis.Redis.from_url(config["REDIS_URL"]).keys(f"{prefix}:report-cache:*")
        assert keys, "the figures are kept in Redis"

    with app.app_context():
        _one_more_day(world.a.email(PM), joint.a_placement)
        db.session.remove()
    after, _ = _dashboard(client)
    assert after != first
    assert _without_nonces(after) == _without_nonces(_fresh(make_app, analyst))
    if where == "redis":
        redis.Redis.from_url(config["REDIS_URL"]).delete(
            *redis.Redis.from_url(config["REDIS_URL"]).keys(f"{prefix}:*")
        )


def test_a_forged_redis_entry_is_never_unpickled(make_app, world):
    prefix = f"test-cache-{uuid.uuid4().hex}"
    url = "redis://127.0.0.1:6379/0"
    app = make_app(REPORT_CACHE="redis", REDIS_URL=url, RATELIMIT_KEY_PREFIX=prefix)
    _joint_with_results(app, world)
    client = app.test_client()
    login(client, world.a.email("analyst"))
    real, _ = _dashboard(client)
    server = redis.Redis.from_url(url)
    keys = server.keys(f"{prefix}:report-cache:*")
    assert keys
    forged = pickle.dumps({"not": "figures"})
    for key in keys:
        server.set(key, b"x" * 32 + forged)  # a wrong signature
    again, _ = _dashboard(client)
    assert _without_nonces(again) == _without_nonces(real)
    server.delete(*server.keys(f"{prefix}:*"))


def test_one_companys_cached_figures_never_serve_another(app, world):
    _joint_with_results(app, world)
    a, b = app.test_client(), app.test_client()
    login(a, world.a.email("analyst"))
    login(b, world.b.email("analyst"))
    page_a, _ = _dashboard(a)
    page_b, _ = _dashboard(b)
    assert page_a != page_b
    assert world.a.name in page_b or world.b.name in page_a


def _april_spend(app, email: str, joint: ch.JointCampaign) -> None:
    """EUR 5,000 spent in April 2027 (the home page's last quarter at HOME_AT)."""
    with app.app_context():
        ch.spend(
            email,
            joint.id,
            joint.a_placement,
            500_000,
            occurred_on=date(2027, 4, 20),
            service=(date(2027, 4, 1), date(2027, 4, 30)),
        )
        db.session.remove()


def _in_auckland(app, email: str) -> None:
    """The person reads times in Pacific/Auckland (the blocks are kept per reader's zone)."""
    from comarketing.accounts.models import User

    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == email).values(time_zone="Pacific/Auckland")
        )
        db.session.commit()


def test_the_home_pages_quarter_tiles_follow_a_write(app, world):
    from freezegun import freeze_time

    joint = _joint_with_results(app, world)
    client = app.test_client()
    with freeze_time(HOME_AT):
        login(client, world.a.email("analyst"))
        before = client.get("/dashboard").get_data(as_text=True)
        assert client.get("/dashboard").get_data(as_text=True).count("Q2 2027") == before.count(
            "Q2 2027"
        )
        _april_spend(app, world.a.email(PM), joint)
        after = client.get("/dashboard").get_data(as_text=True)
    assert "Q2 2027" in before
    assert _without_nonces(after) != _without_nonces(before)


def test_the_home_pages_kept_quarter_block_is_never_stale_and_follows_the_readers_zone(
    make_app, world
):
    """The home page's last-quarter block is kept as HTML (dashboard.views): the page from the
    kept block is the page computed afresh with the cache off, for a second reader in another
    time zone, and after a write to the quarter's figures."""
    from freezegun import freeze_time

    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    joint = _joint_with_results(app, world)
    analyst, manager = world.a.email("analyst"), world.a.email(PM)
    _in_auckland(app, manager)
    with freeze_time(HOME_AT):
        client = app.test_client()
        login(client, analyst)
        first, _ = _page(client, "/dashboard")
        again, _ = _page(client, "/dashboard")
        assert 'data-testid="tiles-EUR"' in again and "Q2 2027" in again
        assert _without_nonces(again) == _without_nonces(first)
        assert _without_nonces(first) == _without_nonces(
            _fresh_page(make_app, analyst, "/dashboard")
        )
        other = app.test_client()
        login(other, manager)
        theirs, _ = _page(other, "/dashboard")
        assert _without_nonces(theirs) == _without_nonces(
            _fresh_page(make_app, manager, "/dashboard")
        )
        _april_spend(app, manager, joint)
        after, _ = _page(client, "/dashboard")
        assert _without_nonces(after) != _without_nonces(first)
        assert _without_nonces(after) == _without_nonces(
            _fresh_page(make_app, analyst, "/dashboard")
        )


def _page(client, path: str) -> tuple[str, int]:
    with count_queries(client.application) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements)


def _fresh_page(make_app, email: str, path: str) -> str:
    uncached = make_app(REPORT_CACHE="off")
    client = uncached.test_client()
    login(client, email)
    return client.get(path).get_data(as_text=True)


def test_a_campaign_reports_kept_blocks_are_never_stale_and_follow_the_readers_zone(
    make_app, world
):
    """The campaign report's blocks drawn from the report (its head and its tables) are kept
    as HTML: the page from the kept blocks is the page computed afresh, before and after a
    write, and for a reader in another time zone (the blocks are kept per zone)."""

    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    joint = _joint_with_results(app, world)
    path = f"/campaigns/{joint.id}/report"
    analyst, manager = world.a.email("analyst"), world.a.email(PM)
    _in_auckland(app, manager)
    client = app.test_client()
    login(client, analyst)
    first, computed = _page(client, path)
    again, kept = _page(client, path)
    assert _without_nonces(again) == _without_nonces(first)
    assert _without_nonces(first) == _without_nonces(_fresh_page(make_app, analyst, path))
    assert kept < computed, (kept, computed)
    assert 'data-testid="table-pacing"' in again and 'data-testid="report-title"' in again

    other = app.test_client()
    login(other, manager)
    theirs, _ = _page(other, path)
    assert _without_nonces(theirs) == _without_nonces(_fresh_page(make_app, manager, path))

    with app.app_context():
        _one_more_day(world.a.email(PM), joint.a_placement)
        db.session.remove()
    after, _ = _page(client, path)
    assert after != first
    assert _without_nonces(after) == _without_nonces(_fresh_page(make_app, analyst, path))


def test_a_campaign_reports_blocks_are_rendered_once_per_data_version(make_app, world):
    """The first view renders the blocks; later views find them kept (no block is kept twice
    under figures read a different way), and a write renders them once more."""
    prefix = f"test-cache-{uuid.uuid4().hex}"
    url = "redis://127.0.0.1:6379/0"
    app = make_app(REPORT_CACHE="redis", REDIS_URL=url, RATELIMIT_KEY_PREFIX=prefix)
    joint = _joint_with_results(app, world)
    client = app.test_client()
    login(client, world.a.email("analyst"))
    server = redis.Redis.from_url(url)

    def blocks() -> int:
        return len(server.keys(f"{prefix}:report-cache:*:fragment:*"))

    counts = []
    for _ in range(3):
        _page(client, f"/campaigns/{joint.id}/report")
        counts.append(blocks())
    with app.app_context():
        _one_more_day(world.a.email(PM), joint.a_placement)
        db.session.remove()
    for _ in range(2):
        _page(client, f"/campaigns/{joint.id}/report")
        counts.append(blocks())
    assert counts == [2, 2, 2, 4, 4], counts
    server.delete(*server.keys(f"{prefix}:*"))


def test_the_home_pages_kept_campaigns_now_follow_every_write_and_the_day(make_app, world):
    """The home page's "Campaigns now" block is kept as HTML too: its spend, pacing, what is
    owed and the partners' names follow each write, and its timeline the company's day."""
    from freezegun import freeze_time

    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    with app.app_context():
        joint = ch.joint_campaign(world)  # 2027-03-01..04-30, with a reach goal
        db.session.remove()
    analyst, a_pm, b_pm = world.a.email("analyst"), world.a.email(PM), world.b.email(PM)

    def results() -> None:
        entry.upsert_days(
            actor(a_pm),
            joint.a_placement,
            [{"day": "2027-03-10", "impressions": "50000", "reach": "40000", "clicks": "900"}],
        )

    def renamed() -> None:
        db.session.get(Organization, world.b.id).name = "Beta Renamed Ltd"
        db.session.commit()

    claimed: list[int] = []
    writes = [
        (
            "A's claim",
            lambda: claimed.append(ch.spend(a_pm, joint.id, joint.a_placement, 10_000).id),
        ),
        (
            "B confirms it",
            lambda: ch.confirm_entry(world.b.email("approver"), joint.id, claimed[0]),
        ),
        ("B's claim", lambda: ch.spend(b_pm, joint.id, joint.b_placement, 2_500)),
        ("a day of results", results),
        ("the partner renamed", renamed),
    ]
    with freeze_time("2027-03-15 12:00:00"):
        client = app.test_client()
        login(client, analyst)
        shown, computed = _page(client, "/dashboard")
        again, kept = _page(client, "/dashboard")
        assert 'data-testid="campaign-now"' in shown
        assert _without_nonces(again) == _without_nonces(shown)
        assert kept < computed, (kept, computed)  # the panel's reads were skipped
        for what, write in writes:
            write_in(app, write)
            now, _ = _page(client, "/dashboard")
            assert _without_nonces(now) != _without_nonces(shown), what
            assert _without_nonces(now) == _without_nonces(
                _fresh_page(make_app, analyst, "/dashboard")
            ), what
            shown = now
    assert "Beta Renamed Ltd" in shown and "owes you" in shown
    with freeze_time("2027-03-16 12:00:00"):
        login(client, analyst)  # a day later: signed out for idleness
        next_day, _ = _page(client, "/dashboard")
        assert _without_nonces(next_day) != _without_nonces(shown)
        assert _without_nonces(next_day) == _without_nonces(
            _fresh_page(make_app, analyst, "/dashboard")
        )


def test_the_campaign_lists_kept_blocks_follow_every_write_and_each_query(make_app, world):
    """/campaigns keeps its partner choices and its table as HTML: the page is the uncached
    app's after a new campaign, a status change and a partner renamed, for each query."""
    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    a_pm = world.a.email(PM)
    paths = ["/campaigns", "/campaigns?status=active", f"/campaigns?partner={world.b.id}&page=1"]
    client = app.test_client()
    login(client, a_pm)
    first, computed = _page(client, paths[0])
    again, kept = _page(client, paths[0])
    assert _without_nonces(again) == _without_nonces(first) and kept < computed

    def renamed() -> None:
        db.session.get(Organization, world.b.id).name = "Beta Renamed Ltd"
        db.session.commit()

    writes = [
        ("a new solo campaign", lambda: ch.solo_campaign(a_pm, "Solo autumn")),
        (
            "the joint one started",
            lambda: lifecycle.change_status(actor(a_pm), joint.id, "activate"),
        ),
        ("the partner renamed", renamed),
    ]
    shown = first
    for what, write in writes:
        write_in(app, write)
        for path in paths:
            page, _ = _page(client, path)
            fresh = _fresh_page(make_app, a_pm, path)
            assert _without_nonces(page) == _without_nonces(fresh), (what, path)
        now, _ = _page(client, paths[0])
        assert now != shown, what
        shown = now
    assert "Solo autumn" in shown and "Beta Renamed Ltd" in shown


def test_nothing_is_kept_for_a_company_nothing_was_ever_written_for(make_app, world):
    """Version 0 is every database's before any write (a rebuilt one, the next test's): a page
    kept under it could be another database's."""
    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    client = app.test_client()
    login(client, world.c.email(PM))
    with app.app_context():  # as a company created before versions existed
        db.session.execute(
            sa.text("DELETE FROM data_versions WHERE organization_id = :c"), {"c": world.c.id}
        )
        db.session.commit()
        assert data_version.current(world.c.id) == 0
    _, computed = _page(client, "/campaigns")
    _, read_again = _page(client, "/campaigns")
    assert read_again == computed  # computed again: nothing was kept
    with app.app_context():
        ch.solo_campaign(world.c.email(PM), "Gamma solo")
        db.session.remove()
    _page(client, "/campaigns")
    _, kept = _page(client, "/campaigns")
    assert kept < computed


def test_a_sign_in_raises_no_version_and_a_new_name_raises_the_neighbours(app, world):
    """A person's row is written at each sign-in: only a new name (shown as the author of
    ledger entries) raises their company's and its partners' versions."""
    with app.app_context():
        ch.joint_campaign(world)
        db.session.remove()
        before = _versions(world)
    login(app.test_client(), world.a.email(PM))
    with app.app_context():
        assert _versions(world) == before
        person = db.session.scalar(
            sa.text("SELECT id FROM users WHERE email = :e"), {"e": world.a.email(PM)}
        )
        db.session.get(User, person).name = "Pat New"
        db.session.commit()
        after = _versions(world)
    assert after["a"] > before["a"] and after["b"] > before["b"] and after["c"] == before["c"]


def test_the_memory_store_forgets_the_least_recently_read_past_its_size_in_bytes():
    store = cache._Memory(size=1_000)
    for key in "abc":
        store.set(key, bytes(300), 0)
    assert store.get("a") is not None  # read: now the most recent
    store.set("d", bytes(300), 0)  # 1,200 bytes: the least recently read goes
    assert [k for k in "abcd" if store.get(k) is not None] == ["a", "c", "d"]
    store.set("c", bytes(900), 0)  # replacing counts the new size only
    assert [k for k in "abcd" if store.get(k) is not None] == ["c"]
    assert store.used == 900


def test_the_home_pages_kept_lists_follow_every_write_and_the_clock(make_app, world):
    """ "Waiting for you / for others" are kept per person until the company's data changes
    (offers, materials, invitations, claims ... raise its version) or the clock does (an item
    falls due): the page is the uncached app's after each write, for two people of the
    company, and once the items fall due."""
    from freezegun import freeze_time

    from comarketing.collateral.assets import AssetInput, VersionInput, create_asset
    from comarketing.offers import reviews
    from tests.collateral import samples
    from tests.factories import OrganizationFactory, PartnershipFactory
    from tests.offer_helpers import propose_and_send

    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    a_pm, b_admin, b_pm = world.a.email(PM), world.b.email("admin"), world.b.email(PM)
    offers: list[int] = []

    def material() -> None:
        joint = ch.joint_campaign(world)
        data = AssetInput(
            title="Shelf banner", audience="customers", party_ids=[world.a.id, world.b.id]
        )
        image = VersionInput(stream=io.BytesIO(samples.png()), filename="banner.png")
        create_asset(actor(a_pm), joint.id, data, image)
        ch.spend(a_pm, joint.id, joint.a_placement, 10_000)

    def invitation() -> None:
        PartnershipFactory(
            inviter_organization_id=OrganizationFactory(name="Delta Invites Ltd").id,
            invitee_organization_id=world.b.id,
            invitee_email=b_pm,
            status="pending",
            expires_at=datetime(2027, 3, 15, 15, 0, tzinfo=UTC),  # this afternoon
        )
        db.session.commit()

    def renamed() -> None:
        db.session.get(Organization, world.a.id).name = "Alpha Renamed Ltd"
        db.session.commit()

    writes = [
        (
            "A sends an offer",
            lambda: offers.append(propose_and_send(a_pm, [world.a.id, world.b.id])),
        ),
        ("A's material and claim", material),
        ("an invitation to B", invitation),
        ("the proposer renamed", renamed),
        (
            "B decides",
            lambda: reviews.decide(
                actor(b_admin), offers[0], revision_number=1, decision="approved"
            ),
        ),
    ]
    readers = [b_admin, b_pm]
    with freeze_time("2027-03-15 12:00:00"):
        clients = {email: app.test_client() for email in readers}
        for email, client in clients.items():
            login(client, email)
        shown, computed = _page(clients[b_admin], "/dashboard")
        again, kept = _page(clients[b_admin], "/dashboard")
        assert _without_nonces(again) == _without_nonces(shown)
        assert kept < computed, (kept, computed)  # the lists' reads were skipped
        for what, write in writes:
            write_in(app, write)
            for email, client in clients.items():
                now, _ = _page(client, "/dashboard")
                fresh = _fresh_page(make_app, email, "/dashboard")
                assert _without_nonces(now) == _without_nonces(fresh), (what, email)
                if email == b_admin:
                    assert now != shown, what
                    shown = now
        assert "Alpha Renamed Ltd" in shown and "Delta Invites Ltd" in shown
        assert 'data-testid="overdue-count"' not in shown
    with freeze_time("2027-03-15 16:00:00"):  # the same day, once the invitation expired
        expired, _ = _page(clients[b_admin], "/dashboard")
        assert "Delta Invites Ltd" not in expired
        assert _without_nonces(expired) == _without_nonces(
            _fresh_page(make_app, b_admin, "/dashboard")
        )
    with freeze_time("2027-04-30 12:00:00"):  # the claim's confirmation is past due now
        for email, client in clients.items():
            login(client, email)  # signed out for idleness
            late, _ = _page(client, "/dashboard")
            fresh = _fresh_page(make_app, email, "/dashboard")
            assert _without_nonces(late) == _without_nonces(fresh), email
        assert 'data-testid="overdue-count"' in late


def test_offer_material_and_invitation_writes_raise_each_partys_version(app, world):
    """Offers, their comments and decisions, materials and invitations show on the parties'
    home pages and offer pages: each write raises every party's version, no one else's."""
    from comarketing.collateral.assets import AssetInput, VersionInput, create_asset
    from comarketing.offers import discussion, reviews
    from comarketing.partners import services as partner_services
    from tests.collateral import samples
    from tests.factories import PartnershipFactory
    from tests.offer_helpers import propose_and_send

    a_pm = world.a.email(PM)
    with app.app_context():
        joint = ch.joint_campaign(world)
        offer: list[int] = []
        writes = [
            lambda: offer.append(propose_and_send(a_pm, [world.a.id, world.b.id])),
            lambda: discussion.add_comment(actor(world.b.email(PM)), offer[0], "Looks good"),
            lambda: reviews.decide(
                actor(world.b.email("approver")), offer[0], revision_number=1, decision="approved"
            ),
            lambda: create_asset(
                actor(a_pm),
                joint.id,
                AssetInput(title="Card", audience="customers", party_ids=[world.a.id, world.b.id]),
                VersionInput(stream=io.BytesIO(samples.png()), filename="card.png"),
            ),
        ]
        steps = [_versions(world)]
        for write in writes:
            write()
            db.session.remove()
            steps.append(_versions(world))
        for earlier, later in itertools.pairwise(steps):
            assert later["a"] > earlier["a"] and later["b"] > earlier["b"], steps
            assert later["c"] == earlier["c"], steps

        invitation = PartnershipFactory(
            inviter_organization_id=world.c.id,
            invitee_organization_id=world.a.id,
            invitee_email=a_pm,
            status="pending",
        )
        db.session.commit()
        invited = _versions(world)
        partner_services.transition(actor(world.a.email("admin")), invitation.id, "decline")
        db.session.remove()
        declined = _versions(world)
        for earlier, later in itertools.pairwise([steps[-1], invited, declined]):
            assert later["a"] > earlier["a"] and later["c"] > earlier["c"]
            assert later["b"] == earlier["b"]
