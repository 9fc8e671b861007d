"""Canary crawl (SECURITY.md item 4): nothing of company C, nor of the B-C partnership, ever
reaches a page that a user of company A (any role) or a signed-out visitor can open.

Everything of C and the B-C partnership message carry ``world.canary``; so does B's archived
product, which A, B's partner, must not see either. The crawl follows every same-site link,
then requests every GET row of the route matrix, again with B's and C's record ids in place of
A's, and a page that does not exist. Each request uses a fresh signed-in client, so a page
that signs the visitor out (``/join``) cannot turn the rest of the crawl anonymous.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from tests.security.conftest import A_ROLES, Scene, client_as, load_matrix

GET_ROWS = [row for row in load_matrix()["routes"] if row["method"] == "GET"]
A_PLACEHOLDER = re.compile(r"\{a_(\w+)\}")
CALENDAR_PERIOD = re.compile(r"/calendar\?(.*&)?(month|week)=")


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def same_site_links(html: str, base: str) -> Iterator[str]:
    parser = _Hrefs()
    parser.feed(html)
    for href in parser.hrefs:
        parts = urlsplit(urljoin(f"http://localhost{base}", href))
        if parts.scheme in ("http", "https") and parts.netloc == "localhost":
            yield parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawl:
    # (url, with a token preloaded in the session) -> status of the first visit
    statuses: dict[tuple[str, bool], int] = field(default_factory=dict)
    leaks: list[str] = field(default_factory=list)

    def status(self, url: str, *, with_session: bool = False) -> int:
        return self.statuses[(url, with_session)]

    def urls(self) -> list[str]:
        return [url for url, _ in self.statuses]

    def pages_with(self, status: int) -> list[tuple[str, bool]]:
        return [page for page, got in self.statuses.items() if got == status]


def names_records_of_a(row: dict[str, Any]) -> bool:
    """True when the row's URL names A's records by id. Mailed tokens (``*_token``, in the URL
    or the session) are capabilities handed to their recipient, not records to swap."""
    names = A_PLACEHOLDER.findall(row["url"])
    return bool(names) and not row.get("session") and not any(n.endswith("_token") for n in names)


def seed_requests(scene: Scene) -> list[tuple[str, dict[str, str]]]:
    """Every GET row of the matrix for A's records, the same for B's and C's, and a 404."""
    seeds = []
    for row in GET_ROWS:
        session = {key: scene.fill(value) for key, value in (row.get("session") or {}).items()}
        seeds.append((scene.fill(row["url"]), session))
        if names_records_of_a(row):
            for other in ("b", "c"):
                seeds.append((scene.fill(A_PLACEHOLDER.sub(rf"{{{other}_\1}}", row["url"])), {}))
    seeds.append(("/no-such-page", {}))
    return seeds


def shared_with_a(scene: Scene, url: str) -> list[str]:
    """What of C a user of A may legitimately see on ``url``: C's name, where the A-B-C offer
    (A and C are both parties) is shown — its pages and the lists that name its parties.
    Nothing else of C on those pages may show: C's products, users, other offers."""
    abc = scene.placeholders["abc_sent_offer"]
    shown = {"/offers", "/offers/inbox", f"/offers/{abc}", f"/offers/{abc}/edit"}
    if urlsplit(url).path in shown | {f"/offers/{abc}/collateral"}:  # its draft materials
        return [scene.world.c.name]
    return []


def readable_text(response: Any) -> str:
    """The text a person could read in the response: an XLSX export is a ZIP of XML parts."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as workbook:
            return "".join(workbook.read(name).decode() for name in workbook.namelist())
    return str(response.get_data(as_text=True))


def crawl(app: Flask, scene: Scene, email: str | None, *, a_user: bool = False) -> Crawl:
    result = Crawl()
    queue: deque[tuple[str, dict[str, str]]] = deque([("/dashboard", {}), *seed_requests(scene)])
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    while queue:
        url, session = queue.popleft()
        key = (url, tuple(sorted(session.items())))
        if key in seen:
            continue
        seen.add(key)
        response = client_as(app, email, session).get(url)
        body = readable_text(response)
        response.close()
        result.statuses.setdefault((url, bool(session)), response.status_code)
        checked = body
        for shared in shared_with_a(scene, url) if a_user else []:
            checked = checked.replace(shared, "")
        if scene.world.canary in checked or scene.world.canary in str(response.headers):
            result.leaks.append(f"{url} {session or ''} ({response.status_code})")
        followups = list(same_site_links(body, url)) if "html" in response.mimetype else []
        if response.location:
            followups.append(urlsplit(urljoin(f"http://localhost{url}", response.location)).path)
        # The calendar links each month and week to the next one, without end: visit only the
        # periods the matrix names.
        queue.extend((link, {}) for link in followups if not CALENDAR_PERIOD.match(link))
    return result


def endpoints_requested(app: Flask, urls: list[str]) -> set[str]:
    adapter = app.url_map.bind("localhost")
    found = set()
    for url in urls:
        parts = urlsplit(url)
        try:
            endpoint, _ = adapter.match(parts.path, method="GET", query_args=parts.query)
        except HTTPException:
            continue
        found.add(endpoint)
    return found


def get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


@pytest.mark.parametrize("role", A_ROLES)
def test_no_page_shows_a_user_of_a_anything_of_c_or_of_b_c(
    app: Flask, scene: Scene, role: str
) -> None:
    result = crawl(app, scene, scene.world.a.email(role), a_user=True)

    assert not result.leaks, f"canary shown to A's {role} on: {result.leaks}"
    # The crawl must really have walked the site, or "no canary" would prove nothing.
    assert get_endpoints(app) <= endpoints_requested(app, result.urls())
    pages = [page for page in result.pages_with(200) if not page[0].startswith("/static/")]
    assert len(pages) >= 10, f"only {len(pages)} pages answered 200: {pages}"
    for url in ("/dashboard", "/partners", "/products", "/products?archived=1"):
        assert result.status(url) == 200, url
    for url in ("/join", "/partners/join", "/password/reset"):
        assert result.status(url, with_session=True) == 200, url
    assert result.status("/no-such-page") == 404
    assert result.status(f"/products/{scene.placeholders['c_product']}/edit") == 404
    assert result.status(f"/products/{scene.placeholders['b_archived_product']}/edit") == 404
    offers = scene.placeholders
    for key in ("bc_sent_offer", "bc_approved_offer", "ba_draft_offer"):
        assert result.status(f"/offers/{offers[key]}") == 404, key
    assert result.status(f"/campaigns/{offers['bc_campaign']}") == 404
    for url in (f"/offers/{offers['abc_sent_offer']}", f"/campaigns/{offers['ab_campaign']}"):
        assert result.status(url) == 200, url
    for key in ("b_solo_campaign", "c_solo_campaign"):
        assert result.status(f"/campaigns/{offers[key]}") == 404, key
    for key in ("b_file_import", "c_file_import", "c_form_import"):
        assert result.status(f"/metrics/imports/{offers[key]}") == 404, key
    for url in (
        f"/campaigns/{offers['a_solo_campaign']}",
        "/calendar?month=2030-03",
        f"/calendar/feed/{offers['a_feed_token']}.ics",
    ):
        assert result.status(url) == 200, url


def test_a_sees_its_invitations_to_c_by_the_addresses_typed_only(app: Flask, scene: Scene) -> None:
    """The crawl above found no canary on /partners; this checks the invitations to C were
    there to be found: declined, cancelled and pending, each shown by its address (issue 17)."""
    c = scene.world.c
    html = client_as(app, scene.world.a.email("partner_manager")).get("/partners")
    text = html.get_data(as_text=True)
    assert scene.world.canary not in text
    sent = re.search(r'data-testid="sent-invitations">(.*?)</section>', text, re.DOTALL)
    assert sent and c.email("analyst") in sent.group(1)
    for role, status in (("admin", "declined"), ("approver", "cancelled")):
        assert re.search(rf"{re.escape(c.email(role))}\s*·\s*{status}", text), role
    # C itself sees A's invitation with its sender, and C's own name.
    c_page = client_as(app, c.email("admin")).get("/partners").get_data(as_text=True)
    assert "Alpha Flour" in c_page and scene.world.a.email("partner_manager") in c_page


def test_no_page_shows_a_signed_out_visitor_anything_of_c(app: Flask, scene: Scene) -> None:
    result = crawl(app, scene, None)

    assert not result.leaks, f"canary shown to a signed-out visitor on: {result.leaks}"
    assert get_endpoints(app) <= endpoints_requested(app, result.urls())
    for url in ("/login", "/signup", "/password/forgot", "/healthz"):
        assert result.status(url) == 200, url
    for url in ("/join", "/partners/join", "/password/reset"):
        assert result.status(url, with_session=True) == 200, url
    assert result.status("/dashboard") == 302
    assert result.status("/no-such-page") == 404


def test_the_canary_is_rendered_for_c_itself(app: Flask, scene: Scene) -> None:
    """Positive control: the marker does reach the pages of its own company, so the crawls
    above would have seen it had it leaked."""
    result = crawl(app, scene, scene.world.c.email("admin"))

    leaked_urls = {leak.split()[0] for leak in result.leaks}
    p = scene.placeholders
    expected = {
        "/products",
        f"/products/{p['c_product']}/edit",
        "/partners",
        f"/offers/{p['bc_sent_offer']}",
        f"/campaigns/{p['bc_campaign']}",
        f"/campaigns/{p['c_solo_campaign']}",
        "/calendar?month=2030-03",
        "/notifications",
        "/metrics/imports",
        f"/metrics/imports/{p['c_file_import']}",
        "/reports?preset=custom&start=2030-01-01&end=2030-12-31",
        f"/campaigns/{p['bc_campaign']}/report",
        f"/campaigns/{p['c_solo_campaign']}/report",
    }
    assert expected <= leaked_urls, (
        "C's admin did not see C's own canary: the crawl could not detect a leak"
    )
    # C's own feed (no matrix row: A's crawl would fetch it too) names C's solo campaign.
    feed = client_as(app, None).get(f"/calendar/feed/{p['c_feed_token']}.ics")
    assert feed.status_code == 200
    assert scene.world.canary in feed.get_data(as_text=True)
