"""Invitations and sign-up reveal nothing about other companies (issue 17, part 2;
SECURITY.md 49-50): the answers for an address with an account and one without are equal,
and the mail — delivered through a real SMTP server — goes to the right person instead.

In the world A-B are partners, B-C are partners, A and C are not; C's name carries the canary.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from limits import parse

from comarketing.accounts.models import Organization, User, UserInvitation
from comarketing.extensions import db
from comarketing.partners.models import Partnership
from tests import factories

pytestmark = pytest.mark.slow

SIGNUP = {"organization_name": "Crumb Bakery", "name": "Casey Crumb"}


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def count(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def answer(client, url: str, data: dict[str, str], typed: str) -> tuple[int, str, str]:
    """What the person at the keyboard sees after posting: status, where it leads, and the
    message on the page it leads to, with the address they typed blanked out. (The lists on
    that page grow with each invitation; they are compared row by row.)"""
    response = client.post(url, data=data)
    follow = client.get(response.headers.get("Location", url))
    alerts = re.findall(r'role="alert"[^>]*>(.*?)</div>', follow.get_data(as_text=True), re.S)
    return (
        response.status_code,
        response.headers.get("Location", ""),
        " ".join(" ".join(alerts).split()).replace(typed, "TYPED"),
    )


def mails_to(smtp_server, address: str) -> list[str]:
    return [m.body for m in smtp_server.received if address in m.recipients]


def sent_rows(html: str) -> list[str]:
    section = re.search(r'data-testid="sent-invitations">(.*?)</section>', html, re.DOTALL)
    assert section
    return re.findall(r"<li.*?</li>", section.group(1), re.DOTALL)


# ---------------------------------------------------------------------------------------------
# Partner invitations


def test_partner_invitation_answers_the_same_whoever_the_address_belongs_to(mail_app, smtp_server):
    inviter = signed_in(mail_app, "partner_manager@a.example")
    addresses = {
        "unknown": "boss@newco.example",
        "non-partner company": "analyst@c.example",
        "same company again (an invitation is open)": "admin@c.example",
        "existing partner": "analyst@b.example",
    }
    answers = {}
    for case, email in addresses.items():
        answers[case] = answer(inviter, "/partners", {"email": email}, email)
    assert len(set(answers.values())) == 1, answers
    assert answers["unknown"][:2] == (302, "/partners")
    assert "Invitation sent to TYPED." in answers["unknown"][2]

    # The sent list shows each typed address the same way; no company name, no hint.
    html = inviter.get("/partners").get_data(as_text=True)
    rows = sent_rows(html)
    assert len(rows) == 4
    normalised = set()
    for row in rows:
        typed = next(email for email in addresses.values() if email in row)
        normalised.add(re.sub(r"/\d+/", "/ID/", row.replace(typed, "TYPED")))
    assert len(normalised) == 1, normalised
    assert "Gamma" not in html and "not on Comarketing" not in html
    assert factories.CANARY not in html

    # The mail went to the right people: the unknown address gets a join link; C's
    # responders and the person are asked to answer; B's person only is told why, and B's
    # directory offers nothing new. Nothing was created twice.
    assert "/partners/join/" in mails_to(smtp_server, "boss@newco.example")[0]
    for responder in ("admin@c.example", "partner_manager@c.example"):
        assert any("Accept or decline" in body for body in mails_to(smtp_server, responder))
    assert "already their partner" in mails_to(smtp_server, "admin@c.example")[-1]
    (to_b,) = mails_to(smtp_server, "analyst@b.example")
    assert "already their partner" in to_b
    assert mails_to(smtp_server, "admin@b.example") == []
    b_page = signed_in(mail_app, "admin@b.example").get("/partners").get_data(as_text=True)
    assert 'data-testid="received-invitations"' not in b_page
    with mail_app.app_context():
        active = db.session.scalar(sa.select(sa.func.count()).where(Partnership.status == "active"))
        assert active == 2
    # Each mail names the inviter's address and its domain beside the company.
    assert all(
        "partner_manager@a.example, domain a.example" in body
        for m in smtp_server.received
        for body in [m.body]
    )


def test_after_a_decline_or_cancel_the_inviter_never_sees_the_other_company(mail_app):
    inviter = signed_in(mail_app, "partner_manager@a.example")
    inviter.post("/partners", data={"email": "admin@c.example"})
    with mail_app.app_context():
        first = db.session.scalar(sa.select(Partnership.id).order_by(Partnership.id.desc()))
    assert signed_in(mail_app, "admin@c.example").post(f"/partners/{first}/decline").status_code
    inviter.post("/partners", data={"email": "approver@c.example"})
    with mail_app.app_context():
        second = db.session.scalar(sa.select(Partnership.id).order_by(Partnership.id.desc()))
    assert inviter.post(f"/partners/{second}/cancel").status_code == 302

    for url in ("/partners", "/dashboard", "/settings/audit"):
        html = signed_in(mail_app, "admin@a.example").get(url).get_data(as_text=True)
        assert "Gamma" not in html and factories.CANARY not in html, url
        # The directory and the audit log (in words, issue 18) show the address the inviting
        # company typed itself, never the other company's name; the home page shows neither.
        assert "@c.example" not in html or url in ("/partners", "/settings/audit"), url
    html = inviter.get("/partners").get_data(as_text=True)
    assert re.search(r"admin@c\.example\s*·\s*declined", html)
    assert re.search(r"approver@c\.example\s*·\s*cancelled", html)


# ---------------------------------------------------------------------------------------------
# Sign-up


def test_sign_up_answers_alike_for_a_taken_address_and_mails_its_owner(mail_app, smtp_server):
    answers = {}
    for email in ("casey@crumb.example", "analyst@b.example"):
        client = mail_app.test_client()
        answers[email] = answer(client, "/signup", {**SIGNUP, "email": email}, email)
    assert answers["casey@crumb.example"] == answers["analyst@b.example"]
    assert answers["analyst@b.example"][:2] == (302, "/login")
    assert "Check your mail: we sent the next step to TYPED." in answers["analyst@b.example"][2]
    assert count(mail_app, Organization) == 3  # nothing created before the link is followed

    (to_new,) = mails_to(smtp_server, "casey@crumb.example")
    assert "/signup/confirm/" in to_new
    (to_owner,) = mails_to(smtp_server, "analyst@b.example")
    assert "You already have an account" in to_owner
    assert "/signup/confirm/" not in to_owner and "/password/forgot" in to_owner
    # Signing in with a password chosen "at sign-up" tells nothing either: there was none.
    with mail_app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "casey@crumb.example")) is None


# ---------------------------------------------------------------------------------------------
# Colleague invitations


def test_inviting_a_colleague_with_an_account_elsewhere_says_sent_and_tells_them(
    mail_app, smtp_server
):
    admin = signed_in(mail_app, "admin@a.example")
    answers = {}
    for email in ("newcomer@a.example", "analyst@c.example"):
        answers[email] = answer(
            admin, "/settings/users", {"email": email, "role": "analyst"}, email
        )
    assert answers["newcomer@a.example"] == answers["analyst@c.example"]
    assert answers["newcomer@a.example"][:2] == (302, "/settings/users")
    html = admin.get("/settings/users").get_data(as_text=True)
    rows = [
        re.sub(r"/\d+/", "/ID/", row.replace(email, "TYPED"))
        for email in answers
        for row in re.findall(r"<li[^>]*>.*?</li>", html, re.S)
        if email in row
    ]
    assert len(rows) == 2 and rows[0] == rows[1], rows
    assert count(mail_app, UserInvitation) == 2

    (to_newcomer,) = mails_to(smtp_server, "newcomer@a.example")
    assert "/join/" in to_newcomer
    (to_other,) = mails_to(smtp_server, "analyst@c.example")
    assert "already has an account with another company" in to_other
    assert "/join/" not in to_other and "admin@a.example" in to_other


# ---------------------------------------------------------------------------------------------
# Rate limits (the real limiter; Redis-backed in deployment like sign-in, see test_rate_limits)


def test_partner_invitations_are_limited_per_company_per_hour(make_app):
    app = make_app(PARTNER_INVITATION_LIMIT_PER_COMPANY="3 per hour")
    with app.app_context():
        factories.build_world()
    manager, admin = (signed_in(app, f"{r}@a.example") for r in ("partner_manager", "admin"))
    assert parse(app.config["PARTNER_INVITATION_LIMIT_PER_COMPANY"]).amount == 3
    # Errors do not count; successes do, whoever of the company sends them.
    assert manager.post("/partners", data={"email": "nope"}).status_code == 200
    for i, client in enumerate((manager, admin, manager)):
        assert client.post("/partners", data={"email": f"x{i}@new.example"}).status_code == 302
    refused = admin.post("/partners", data={"email": "x9@new.example"})
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    # Another company is not affected.
    other = signed_in(app, "partner_manager@b.example")
    assert other.post("/partners", data={"email": "y@new.example"}).status_code == 302


def test_sign_ups_are_limited_per_address_and_per_ip(make_app):
    app = make_app(SIGNUP_LIMIT_PER_ADDRESS="2 per hour", SIGNUP_LIMIT_PER_IP="4 per hour")
    client = app.test_client()

    def sign_up(email: str, ip: str = "192.0.2.1"):
        return client.post(
            "/signup", data={**SIGNUP, "email": email}, environ_overrides={"REMOTE_ADDR": ip}
        )

    assert sign_up("casey@crumb.example").status_code == 302
    assert sign_up("CASEY@Crumb.example", ip="192.0.2.2").status_code == 302
    # The third for the same address, from anywhere: refused.
    assert sign_up("casey@crumb.example", ip="192.0.2.3").status_code == 429
    assert sign_up("other1@crumb.example").status_code == 302
    assert sign_up("other2@crumb.example").status_code == 302
    assert sign_up("other3@crumb.example").status_code == 302  # the fourth from 192.0.2.1
    # The fifth from one IP address, whatever the email.
    assert sign_up("other4@crumb.example").status_code == 429


def test_colleague_invitations_are_limited_per_invited_address(make_app):
    app = make_app(USER_INVITATION_LIMIT_PER_ADDRESS="2 per hour")
    with app.app_context():
        factories.build_world()
    admin_a, admin_b = signed_in(app, "admin@a.example"), signed_in(app, "admin@b.example")

    def invite(client, email: str):
        return client.post("/settings/users", data={"email": email, "role": "analyst"})

    assert invite(admin_a, "pat@x.example").status_code == 302
    assert invite(admin_b, "pat@x.example").status_code == 302
    assert invite(admin_a, "PAT@x.example").status_code == 429
    assert invite(admin_a, "sam@x.example").status_code == 302
