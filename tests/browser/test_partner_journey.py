"""Issue 2 journeys in a real browser: signing up, inviting a partner company by email, the
invited company joining through the mailed link and accepting, and signing in and out.

Every test ends with ``browsing.assert_clean()``: no console error, no CSP violation, and
no request to anything but the live server on 127.0.0.1.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from tests import factories
from tests.browser.nav import go_to

pytestmark = pytest.mark.browser

PASSPHRASE = "rye sourdough at dawn"
INVITEE_EMAIL = "gwen@goldcrest.example"
INVITATION_MESSAGE = "Our flour and your shortening: shall we do a pie-crust bundle?"


def sign_up(page: Page, live_server, *, company: str, name: str, email: str) -> None:
    """Both steps (issue 17): the form answers "check your mail", the mailed link finishes."""
    page.goto("/signup")
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text(f"we sent the next step to {email}")
    page.goto(mailed_link(live_server, email, "/signup/confirm/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Create {company}")
    page.get_by_label("Choose a password").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()


def mailed_link(live_server, recipient: str, path: str) -> str:
    """The link to ``path`` from the one mail queued for ``recipient`` (the outbox is the
    mailbox)."""
    with live_server.app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient == recipient)
        ).all()
    assert len(bodies) == 1, f"expected one mail to {recipient}, found {len(bodies)}"
    match = re.search(rf"^(http\S+{path}\S+)$", bodies[0], re.MULTILINE)
    assert match, f"no {path} link in the mail:\n{bodies[0]}"
    return match.group(1)


def test_invited_company_joins_by_mailed_link_and_both_sides_see_the_partnership(
    live_server, browsing
):
    # Millstone signs up and lands on its dashboard as admin.
    millstone = browsing.new_page()
    sign_up(
        millstone,
        live_server,
        company="Millstone Flour Co.",
        name="Ada Miller",
        email="ada@millstone.example",
    )
    expect(millstone).to_have_url(f"{live_server.url}/dashboard")
    expect(millstone.get_by_role("alert")).to_contain_text("Millstone Flour Co. is set up")

    # Millstone invites a company that is not on the platform yet.
    go_to(millstone, "Partners")
    millstone.get_by_label("Email of your contact there").fill(INVITEE_EMAIL)
    millstone.get_by_label("Message (optional)").fill(INVITATION_MESSAGE)
    millstone.get_by_role("button", name="Send invitation").click()
    expect(millstone.get_by_role("alert")).to_contain_text(f"Invitation sent to {INVITEE_EMAIL}")
    sent = millstone.get_by_test_id("sent-invitations")
    expect(sent).to_contain_text(INVITEE_EMAIL)
    expect(sent).to_contain_text("pending")

    # The mail's link must point at this server: PUBLIC_URL, not some other host.
    link = mailed_link(live_server, INVITEE_EMAIL, "/partners/join/")
    assert link.startswith(f"{live_server.url}/partners/join/")

    # A different person, in a different browser context, follows the link and joins.
    goldcrest = browsing.new_page()
    goldcrest.goto(link)
    expect(goldcrest).to_have_url(f"{live_server.url}/partners/join")
    expect(goldcrest.get_by_role("heading", level=1)).to_have_text(
        "Millstone Flour Co. invites your company"
    )
    expect(goldcrest.get_by_text(INVITATION_MESSAGE)).to_be_visible()
    goldcrest.get_by_label("Your company's name").fill("Goldcrest Shortening")
    goldcrest.get_by_label("Your name").fill("Gwen Gold")
    goldcrest.get_by_label("Choose a password").fill(PASSPHRASE)
    goldcrest.get_by_role("button", name="Create account").click()

    # The new company lands on the invitation waiting for its answer, and accepts it.
    expect(goldcrest).to_have_url(f"{live_server.url}/partners")
    expect(goldcrest.get_by_test_id("user-menu")).to_contain_text("Goldcrest Shortening")
    received = goldcrest.get_by_test_id("received-invitations")
    # Who sent it, beside the company's name: a look-alike company is told apart (issue 17).
    expect(received).to_contain_text(
        "Millstone Flour Co. (from ada@millstone.example, domain millstone.example) "
        "invites you to co-market"
    )
    expect(received).to_contain_text(INVITATION_MESSAGE)
    received.get_by_role("button", name="Accept").click()
    expect(goldcrest.get_by_role("alert")).to_contain_text("Partnership active.")
    expect(goldcrest.get_by_test_id("received-invitations")).to_have_count(0)
    goldcrest_partners = goldcrest.get_by_test_id("active-partners")
    expect(goldcrest_partners).to_contain_text("Millstone Flour Co.")
    expect(goldcrest_partners).to_contain_text("active")

    # Back at Millstone: after a reload the partner is active and nothing is pending anymore.
    millstone.reload()
    millstone_partners = millstone.get_by_test_id("active-partners")
    expect(millstone_partners).to_contain_text("Goldcrest Shortening")
    expect(millstone_partners).to_contain_text("active")
    expect(millstone.get_by_test_id("sent-invitations")).to_have_count(0)
    millstone.get_by_role("link", name="Dashboard", exact=True).click()
    expect(millstone.get_by_test_id("attention")).to_contain_text("Nothing waits for you")
    expect(millstone.get_by_text("pending")).to_have_count(0)

    browsing.assert_clean()


def test_wrong_password_is_refused_and_signing_out_from_the_user_menu_ends_the_session(
    live_server, browsing
):
    with live_server.app.app_context():
        factories.UserFactory(
            email="ada@millstone.example",
            name="Ada Miller",
            organization__name="Millstone Flour Co.",
        )
        db.session.commit()

    page = browsing.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("ada@millstone.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")

    page.get_by_label("Email").fill("ada@millstone.example")
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard")

    # Sign out sits in a Bootstrap dropdown: it only becomes clickable if the vendored
    # bundle runs under the CSP.
    menu = page.get_by_test_id("user-menu")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sign_out).to_be_visible()
    sign_out.click()
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")

    # Neither the back button nor typing the address shows the dashboard again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    browsing.assert_clean()


def test_the_browser_record_catches_csp_violations_and_requests_elsewhere(live_server, browsing):
    # The journeys above end with assert_clean(); this proves it is not vacuous.
    page = browsing.new_page()
    page.goto("/login")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.body.append(script);
            }"""
        )
    assert page.evaluate("window.inlineRan") is None, "the CSP let an inline script run"
    with pytest.raises(AssertionError, match="CSP violations"):
        browsing.assert_clean()
    assert any("CSP violation: script-src" in error for error in browsing.console_errors)

    browsing.console_errors.clear()
    page.goto(live_server.url.replace("127.0.0.1", "localhost") + "/login")
    with pytest.raises(AssertionError, match=r"outside 127\.0\.0\.1"):
        browsing.assert_clean()
