"""Placements found the way users name them (issue 15): an upload is made for one campaign and
its rows match that campaign's placements only -- first a platform name remembered for a
placement, then the placement's own name, then its number -- with names folded (NFKC, case,
spaces); the preview lists the names that found nothing, offers to remember them, and shows
where a name differs from what it matched only by Unicode form or spaces.

A runs two solo campaigns in March and April 2026 that both have a placement "Spring Search"
(a platform campaign name reused next month); April also has "Spring Social". C runs a
campaign with a "Spring Search" of its own.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from comarketing.campaigns import platform_names
from comarketing.campaigns.models import PlacementName
from comarketing.campaigns.platform_names import fold_name
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import matching, names, runs, uploads
from comarketing.metrics.cells import Errors, Options, PlacementInfo
from comarketing.metrics.models import DailyMetric, MetricImport
from tests import campaign_helpers as ch
from tests.metrics.conftest import PM, import_id_from, refused_then_run, upload
from tests.offer_helpers import actor

HEADER = "date,placement,impressions,clicks\n"


def full_width(text: str) -> str:
    """ "Spring" -> the full-width letters some exports (and Asian keyboards) write."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@dataclass(frozen=True)
class Months:
    march: int
    april: int
    march_search: int
    april_search: int
    april_social: int
    c_campaign: int
    c_search: int
    empty: int  # A's campaign with no placement


@pytest.fixture
def months(app, world) -> Months:
    with app.app_context():
        a, c = world.a.email(PM), world.c.email(PM)
        march = ch.solo_campaign(a, "March", start=date(2026, 3, 1), end=date(2026, 3, 31))
        april = ch.solo_campaign(a, "April", start=date(2026, 4, 1), end=date(2026, 4, 30))
        empty = ch.solo_campaign(a, "Nothing yet", start=date(2026, 5, 1), end=date(2026, 5, 31))
        gamma = ch.solo_campaign(c, "Gamma", start=date(2026, 4, 1), end=date(2026, 4, 30))
        found = Months(
            march=march,
            april=april,
            march_search=ch.add_placement(a, march, world.a.id, name="Spring Search"),
            april_search=ch.add_placement(a, april, world.a.id, name="Spring Search"),
            april_social=ch.add_placement(a, april, world.a.id, name="Spring Social"),
            c_campaign=gamma,
            c_search=ch.add_placement(c, gamma, world.c.id, name="Spring Search"),
            empty=empty,
        )
        db.session.remove()
    return found


def snapshot(app) -> dict[str, Any]:
    """Everything these tests could write: stored days, platform names, imports."""
    with app.app_context():
        return {
            "days": db.session.execute(
                sa.select(DailyMetric.placement_id, DailyMetric.day, DailyMetric.clicks).order_by(
                    DailyMetric.placement_id, DailyMetric.day
                )
            ).all(),
            "names": db.session.execute(
                sa.select(PlacementName.placement_id, PlacementName.name).order_by(PlacementName.id)
            ).all(),
            "imports": db.session.execute(
                sa.select(MetricImport.id, MetricImport.status).order_by(MetricImport.id)
            ).all(),
        }


def stored(app) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [
            (p, d.isoformat(), clicks)
            for p, d, clicks in db.session.execute(
                sa.select(DailyMetric.placement_id, DailyMetric.day, DailyMetric.clicks).order_by(
                    DailyMetric.placement_id, DailyMetric.day
                )
            )
        ]


def run(app, email: str, campaign_id: int, content: str) -> MetricImport:
    """Upload, preview, confirm and run through the services; the finished import."""
    with app.app_context():
        who = actor(email)
        import_id = uploads.upload(
            who, io.BytesIO(content.encode()), "r.csv", campaign_id=campaign_id
        ).id
        if metric_imports.preview(who, import_id).error_count:
            result = refused_then_run(who, import_id)
        else:
            metric_imports.confirm(who, import_id, post_costs=False)
            result = runs.run_import(import_id)
        db.session.refresh(result)
        db.session.expunge(result)
        return result


# ---------------------------------------------------------------------------------------------
# Folding, matching and showing names (no database)


@pytest.mark.parametrize(
    ("given", "folded"),
    [
        ("Spring Search", "spring search"),
        ("  SPRING   search ", "spring search"),
        ("Spring\u00a0Search", "spring search"),  # no-break space
        ("Spring\u202f\tSearch", "spring search"),  # narrow no-break space and a tab
        (full_width("Spring Search"), "spring search"),
        ("ﬁnal oﬀer", "final offer"),  # ligatures
        ("Straße", "strasse"),  # case folding, not just lower()
        ("Cafe\u0301", "café"),  # a combining accent composes
    ],
)
def test_names_fold_by_nfkc_case_and_spaces(given, folded):
    assert fold_name(given) == folded


def test_different_letters_do_not_fold_together():
    assert fold_name("Spring Search") != fold_name("Spring Se\u0430rch")  # Cyrillic a
    assert fold_name("Spring Search") != fold_name("Spring\u200bSearch")  # zero-width space


def _info(pid: int, name: str) -> PlacementInfo:
    return PlacementInfo(pid, 1, name, date(2026, 3, 1), date(2026, 3, 31), "EUR", 2)


def test_rows_match_remembered_names_first_then_names_then_numbers():
    options = Options(
        mapping={"placement": 0},
        headers=["placement"],
        placements={
            7: _info(7, "Spring Search"),
            8: _info(8, "Newsletter"),
            9: _info(9, "Newsletter"),
            12: _info(12, "Meta spring"),
        },
        # The platform's name for 7 is placement 12's own name: the remembered name wins.
        names={"meta spring": (7, "Meta spring"), "123456": (8, "123456")},
    )
    cells = pd.Series(
        ["META  SPRING", "spring search", "#12", "12", "123456", "Newsletter", "Other", ""]
    )
    rows = pd.Series(range(2, 2 + len(cells)))
    errors = Errors(options, rows)
    ids = matching.resolve_placements(cells, options, errors)
    assert ids.tolist()[:5] == [7, 7, 12, 12, 8]
    assert ids[5:].isna().all()
    assert sorted((e["row"], e["reason"]) for e in errors.items) == [
        (7, matching.AMBIGUOUS),
        (8, matching.UNMATCHED),
        (9, "the placement is missing"),
    ]


def test_odd_characters_are_shown_with_their_code_points():
    shown = matching.visible("Spring\u00a0 Search\u200b ﬁ")
    marked = [(s.text, s.odd) for s in shown if s.odd]
    assert marked == [
        ("·", "U+00A0 NO-BREAK SPACE"),
        ("·", "extra space"),
        ("⟨U+200B⟩", "U+200B ZERO WIDTH SPACE"),
        ("ﬁ", "U+FB01 LATIN SMALL LIGATURE FI (read as “fi”)"),
    ]
    assert "".join(s.text for s in shown) == "Spring··Search⟨U+200B⟩ ﬁ"
    assert not any(s.odd for s in matching.visible("Spring Search"))


# ---------------------------------------------------------------------------------------------
# An upload is for one campaign


def test_a_name_reused_next_month_no_longer_blocks_the_file(app, world, months):
    email = world.a.email(PM)
    april = run(app, email, months.april, HEADER + "2026-04-02,Spring Search,100,7\n")
    march = run(app, email, months.march, HEADER + "2026-03-02,spring  SEARCH,100,3\n")
    assert (april.status, march.status) == ("succeeded", "succeeded")
    assert stored(app) == [
        (months.march_search, "2026-03-02", 3),
        (months.april_search, "2026-04-02", 7),
    ]
    with app.app_context():
        assert db.session.get(MetricImport, april.id).campaign_id == months.april


def test_a_placement_of_another_campaign_is_not_found_and_nothing_is_stored(app, world, months):
    email = world.a.email(PM)
    before = snapshot(app)
    # March's placement, by number, in a file for April (its dates would fit March only).
    content = HEADER + "2026-04-02,Spring Social,1,1\n" + f"2026-03-02,#{months.march_search},1,1\n"
    result = run(app, email, months.april, content)
    assert result.status == "failed"
    assert [(e["row"], e["value"], e["reason"]) for e in result.errors] == [
        (3, f"#{months.march_search}", matching.UNMATCHED)
    ]
    after = snapshot(app)
    assert after["days"] == before["days"] and after["names"] == before["names"]


def test_another_companys_campaign_answers_like_a_missing_one(app, client, login_as, world, months):
    email = world.a.email(PM)
    before = snapshot(app)
    with app.app_context(), pytest.raises(NotFound):
        uploads.upload(actor(email), io.BytesIO(b"x"), "r.csv", campaign_id=months.c_campaign)
    with app.app_context(), pytest.raises(NotFound):
        uploads.upload(actor(email), io.BytesIO(b"x"), "r.csv", campaign_id=10**9)
    login_as(email)
    content = (HEADER + "2026-04-02,Spring Search,1,1\n").encode()
    for forged in (months.c_campaign, 10**9):
        assert upload(client, content, campaign_id=forged).status_code == 404
    page = client.post(
        "/metrics/imports",
        data={"file": (io.BytesIO(content), "r.csv"), "campaign_id": "x"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "Choose one of the campaigns listed." in page.get_data(as_text=True)
    assert snapshot(app) == before


def test_another_companys_placements_are_never_matched(app, world, months):
    email = world.a.email(PM)
    before = snapshot(app)
    content = (
        HEADER + f"2026-04-02,{months.c_search},1,1\n" + f"2026-04-03,#{months.c_search},1,1\n"
    )
    result = run(app, email, months.april, content)
    assert result.status == "failed"
    assert {e["reason"] for e in result.errors} == {matching.UNMATCHED}
    assert snapshot(app)["days"] == before["days"]


def test_a_campaign_without_own_placements_is_refused_with_a_message(app, world, months):
    before = snapshot(app)
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        uploads.upload(
            actor(world.a.email(PM)), io.BytesIO(b"x"), "r.csv", campaign_id=months.empty
        )
    assert refused.value.message == (
        "Your company owns no placements in Nothing yet: add one to it first."
    )
    assert refused.value.field == "campaign_id"
    assert snapshot(app) == before


def test_the_upload_page_asks_for_the_campaign_and_says_how_rows_match(
    client, login_as, world, months
):
    login_as(world.a.email(PM))
    page = client.get(f"/metrics/imports?campaign_id={months.april}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="campaign_id"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    offered = re.findall(r'<option([^>]*)value="(\d+)"', select.group(1))
    # A's campaigns with its own placements, latest first; never C's or the empty one.
    assert [int(v) for _, v in offered] == [months.april, months.march]
    chosen = [v for attributes, v in offered if "selected" in attributes] or re.findall(
        r'<option value="(\d+)" selected', select.group(1)
    )
    assert chosen == [str(months.april)]
    how = re.search(r'data-testid="how-rows-match">(.*?)</div>', page, re.S)
    assert how is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", how.group(1)).split())
    assert "remembered for a placement" in text and "placement's own name" in text
    assert "#12" in text and "Unicode form" in text


# ---------------------------------------------------------------------------------------------
# Platform names: on the placement page, and remembered from the preview


def test_platform_names_are_managed_on_the_placement_page_by_the_owner(
    app, client, login_as, world, months
):
    page_url = f"/campaigns/{months.april}/placements/{months.april_search}"
    login_as(world.a.email(PM))
    added = client.post(f"{page_url}/names", data={"name": " Meta:  Spring ", "platform": "Meta"})
    assert added.status_code == 302
    client.post(f"{page_url}/names", data={"name": "987654321", "platform": "Google Ads"})
    page = client.get(page_url).get_data(as_text=True)
    assert "Meta: Spring" in page and "987654321" in page and "Google Ads" in page

    result = run(
        app,
        world.a.email(PM),
        months.april,
        HEADER + "2026-04-02,META: SPRING,10,1\n2026-04-03,987654321,10,2\n",
    )
    assert result.status == "succeeded"
    assert stored(app) == [
        (months.april_search, "2026-04-02", 1),
        (months.april_search, "2026-04-03", 2),
    ]

    with app.app_context():
        name_id = db.session.scalar(
            sa.select(PlacementName.id).where(PlacementName.name == "987654321")
        )
    removed = client.post(f"{page_url}/names/{name_id}/remove")
    assert removed.status_code == 302
    assert "987654321" not in client.get(page_url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("meta:\u00a0SPRING", "“meta: SPRING” already finds placement Spring Search"),
        ("SPRING social", "“SPRING social” is the name of placement Spring Social"),
        ("spring search", "“spring search” is this placement's own name"),
        ("Spring\u200bSale", "U+200B ZERO WIDTH SPACE"),
        ("   ", "Give the name or id as the platform shows it."),
        ("x" * 201, "Keep it to 200 characters."),
    ],
)
def test_a_name_that_would_be_ambiguous_or_unreadable_is_refused(
    app, client, login_as, world, months, name, message
):
    with app.app_context():
        platform_names.add_name(
            actor(world.a.email(PM)), months.april, months.april_search, "Meta: Spring"
        )
        db.session.remove()
    before = snapshot(app)
    login_as(world.a.email(PM))
    page_url = f"/campaigns/{months.april}/placements/{months.april_search}"
    response = client.post(f"{page_url}/names", data={"name": name}, follow_redirects=True)
    assert response.status_code == 200
    assert message in html.unescape(response.get_data(as_text=True))
    assert snapshot(app) == before


def test_only_the_owners_writers_name_a_placement(app, world, months):
    before = snapshot(app)
    with app.app_context():
        with pytest.raises(Forbidden):  # A's analyst
            platform_names.add_name(
                actor(world.a.email("analyst")), months.april, months.april_search, "X"
            )
        with pytest.raises(NotFound):  # C does not see A's campaign
            platform_names.add_name(
                actor(world.c.email(PM)), months.april, months.april_search, "X"
            )
        with pytest.raises(NotFound):  # A's placement through another campaign of A
            platform_names.add_name(
                actor(world.a.email(PM)), months.march, months.april_search, "X"
            )
    assert snapshot(app) == before


def test_the_preview_offers_to_remember_an_unmatched_name_and_then_matches_it(
    app, client, login_as, world, months
):
    login_as(world.a.email(PM))
    content = HEADER + "2026-04-02,Insta | Spring,10,4\n2026-04-03,Insta | Spring,10,5\n"
    import_id = import_id_from(upload(client, content.encode(), campaign_id=months.april))
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    unmatched = re.search(r'data-testid="unmatched-names">(.*?)</table>', page, re.S)
    assert unmatched is not None
    assert 'data-name="Insta | Spring"' in unmatched.group(1)
    # The placements offered are April's own: not March's, not C's.
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', unmatched.group(1))}
    assert offered == {months.april_search, months.april_social}
    assert re.search(r'data-testid="confirm-import" disabled', page)

    remembered = client.post(
        f"/metrics/imports/{import_id}/names",
        data={"name": "Insta | Spring", "placement_id": str(months.april_social), "platform": "IG"},
    )
    assert remembered.status_code == 302
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="unmatched-names"' not in page and 'data-testid="no-errors"' in page
    assert not re.search(r'data-testid="confirm-import" disabled', page)
    assert client.post(f"/metrics/imports/{import_id}/confirm").status_code == 302
    assert stored(app) == [
        (months.april_social, "2026-04-02", 4),
        (months.april_social, "2026-04-03", 5),
    ]


def test_remembering_a_name_on_a_placement_outside_the_uploads_campaign_is_refused(
    app, client, login_as, world, months
):
    login_as(world.a.email(PM))
    content = HEADER + "2026-04-02,Insta,10,4\n"
    import_id = import_id_from(upload(client, content.encode(), campaign_id=months.april))
    before = snapshot(app)
    for placement in (months.march_search, months.c_search):
        response = client.post(
            f"/metrics/imports/{import_id}/names",
            data={"name": "Insta", "placement_id": str(placement)},
        )
        assert response.status_code == 404
    missing = client.post(
        f"/metrics/imports/{import_id}/names", data={"name": "Insta", "placement_id": ""}
    )
    assert missing.status_code == 302
    assert "Choose the placement this name stands for." in client.get(
        missing.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context(), pytest.raises(NotFound):  # C cannot reach A's upload
        names.remember_from_preview(
            actor(world.c.email(PM)), import_id, name="Insta", placement_id=months.c_search
        )
    assert snapshot(app) == before


def test_the_preview_shows_where_a_name_differs_only_by_form_or_spaces(
    client, login_as, world, months
):
    login_as(world.a.email(PM))
    content = (
        HEADER
        + "2026-04-02,Spring\u00a0Search,10,1\n"
        + f"2026-04-03,{full_width('SPRING')}  Social,10,1\n"
        + "2026-04-04,Spring Search,10,1\n"
        + "2026-04-05,Spring\u200bSearch,10,1\n"
    )
    import_id = import_id_from(upload(client, content.encode(), campaign_id=months.april))
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    differing = re.search(r'data-testid="differing-names">(.*?)</table>', page, re.S)
    assert differing is not None
    rows = re.findall(r"<tr><td>(.*?)</tr>", differing.group(1), re.S)
    assert len(rows) == 2  # the exact "Spring Search" is not listed
    assert 'data-odd="U+00A0 NO-BREAK SPACE"' in rows[0] and "Spring Search" in rows[0]
    assert "U+FF33 FULLWIDTH LATIN CAPITAL LETTER S (read as “S”)" in rows[1]
    assert 'data-odd="extra space"' in rows[1]
    # The zero-width space is not folded away: the name finds nothing, and shows why.
    unmatched = re.search(r'data-testid="unmatched-names">(.*?)</table>', page, re.S)
    assert unmatched is not None
    assert "⟨U+200B⟩" in unmatched.group(1) and "U+200B ZERO WIDTH SPACE" in unmatched.group(1)


def test_a_whole_file_placement_remembered_for_another_campaign_is_not_carried_over(
    app, world, months
):
    email = world.a.email(PM)
    content = "date,impressions,clicks\n2026-04-02,10,1\n"
    with app.app_context():
        who = actor(email)
        first = uploads.upload(who, io.BytesIO(content.encode()), "r.csv", campaign_id=months.april)
        settings = first.settings
        metric_imports.change_settings(
            who,
            first.id,
            mapping=settings["mapping"],
            date_order="iso",
            decimal=".",
            placement_id=months.april_social,
        )
        metric_imports.confirm(who, first.id, post_costs=False)
        # The same layout again, for April: the whole-file placement is remembered.
        later = content.encode() + b"2026-04-03,5,1\n"
        again = uploads.upload(who, io.BytesIO(later), "r.csv", campaign_id=months.april)
        assert again.settings["placement_id"] == months.april_social
        # For March it would be a placement of another campaign: not carried over.
        march = uploads.upload(
            who,
            io.BytesIO(b"date,impressions,clicks\n2026-03-02,5,1\n"),
            "r.csv",
            campaign_id=months.march,
        )
        assert march.settings["placement_id"] is None
        with pytest.raises(ValidationFailed, match="Choose one of your placements"):
            metric_imports.change_settings(
                who,
                march.id,
                mapping=settings["mapping"],
                date_order="iso",
                decimal=".",
                placement_id=months.april_social,
            )
        db.session.remove()
