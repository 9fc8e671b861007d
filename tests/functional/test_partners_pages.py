"""Partner directory, invitations, the join-as-new-company flow and products, through pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from comarketing.partners.models import Partnership, Product
from tests.factories import (
    TEST_PASSWORD,
    OrganizationFactory,
    PartnershipFactory,
    ProductFactory,
    UserFactory,
)

NEW_PASSWORD = "a long and unusual passphrase"


def count(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</section>', html, re.DOTALL)
    return match.group(1) if match else ""


def partnership_with(app, email: str) -> Partnership:
    with app.app_context():
        found = db.session.scalar(sa.select(Partnership).where(Partnership.invitee_email == email))
        assert found is not None
        db.session.expunge_all()
        return found


def pending_a_to_c(app, world) -> int:
    with app.app_context():
        partnership = PartnershipFactory(
            inviter_organization_id=world.a.id,
            invitee_organization_id=world.c.id,
            invitee_email="partner_manager@c.example",
            status="pending",
        )
        db.session.commit()
        return partnership.id


# ---------------------------------------------------------------------------------------------
# Directory and invitations


def test_directory_shows_active_partners_with_their_current_products(app, world):
    html = page(signed_in(app, "analyst@a.example").get("/partners"))
    active = section(html, "active-partners")
    assert "Beta Shortening" in active
    assert "Beta Shortening Classic" in active
    # Not B's archived product, nothing of C (not A's partner), and no invite form for analysts.
    assert world.canary not in html
    assert 'name="message"' not in html


def test_invite_form_sends_an_invitation_the_other_side_accepts(app, world):
    inviter = signed_in(app, "partner_manager@a.example")

    response = inviter.post(
        "/partners", data={"email": "analyst@c.example", "message": "Cookies together?"}
    )

    assert response.status_code == 302
    html = page(inviter.get("/partners"))
    assert "Invitation sent to analyst@c.example." in html
    # The inviter sees the address typed, not the company behind it, until it accepts.
    sent = section(html, "sent-invitations")
    assert "analyst@c.example" in sent and "Gamma Chips" not in sent
    partnership = partnership_with(app, "analyst@c.example")
    assert partnership.status == "pending"

    invitee = signed_in(app, "partner_manager@c.example")
    received = section(page(invitee.get("/partners")), "received-invitations")
    assert "Alpha Flour" in received
    # ... and the invitee sees who sent it: the address and its domain.
    assert "partner_manager@a.example" in received and "<strong>a.example</strong>" in received
    assert "Cookies together?" in received
    assert f'action="/partners/{partnership.id}/accept"' in received
    assert f'action="/partners/{partnership.id}/decline"' in received

    assert invitee.post(f"/partners/{partnership.id}/accept").status_code == 302
    assert partnership_with(app, "analyst@c.example").status == "active"
    assert "Partnership active." in page(invitee.get("/partners"))
    assert "Gamma Chips" in section(page(inviter.get("/partners")), "active-partners")


def test_decline_button_declines_and_moves_it_to_the_past(app, world):
    partnership_id = pending_a_to_c(app, world)
    invitee = signed_in(app, "admin@c.example")

    assert invitee.post(f"/partners/{partnership_id}/decline").status_code == 302

    html = page(invitee.get("/partners"))
    assert "Partnership declined." in html
    assert section(html, "received-invitations") == ""
    assert re.search(r"Alpha Flour ·\s+declined", html)


def test_the_inviter_cannot_accept_their_own_invitation(app, world):
    partnership_id = pending_a_to_c(app, world)
    inviter = signed_in(app, "partner_manager@a.example")
    assert inviter.post(f"/partners/{partnership_id}/accept").status_code == 403
    with app.app_context():
        assert db.session.get(Partnership, partnership_id).status == "pending"


def test_a_step_not_allowed_now_is_explained_not_taken(app, world):
    partnership_id = pending_a_to_c(app, world)
    inviter = signed_in(app, "partner_manager@a.example")
    response = inviter.post(f"/partners/{partnership_id}/end", follow_redirects=True)
    assert "it cannot be ended now" in page(response)
    with app.app_context():
        assert db.session.get(Partnership, partnership_id).status == "pending"


def test_end_partnership_button(app, world):
    client = signed_in(app, "admin@b.example")
    assert client.post(f"/partners/{world.partnership_ab}/end").status_code == 302
    with app.app_context():
        assert db.session.get(Partnership, world.partnership_ab).status == "ended"
    assert "Alpha Flour" not in section(page(client.get("/partners")), "active-partners")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("approver@a.example", "your own company"),
        ("not-an-email", None),
    ],
    ids=["own-company", "bad-email"],
)
def test_invite_errors_are_shown_on_the_email_field(app, world, email, message):
    client = signed_in(app, "partner_manager@a.example")
    response = client.post("/partners", data={"email": email, "message": ""})
    assert response.status_code == 200
    html = page(response)
    assert re.findall(r'data-field-error="([a-z_]+)"', html) == ["email"]
    if message:
        assert message in html
    assert count(app, Partnership) == 2
    assert count(app, OutboxMessage) == 0


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_approvers_and_analysts_cannot_invite_or_answer(app, world, role):
    partnership_id = pending_a_to_c(app, world)
    assert (
        signed_in(app, f"{role}@a.example")
        .post("/partners", data={"email": "boss@newco.example"})
        .status_code
        == 403
    )
    assert (
        signed_in(app, f"{role}@c.example").post(f"/partners/{partnership_id}/accept").status_code
        == 403
    )
    assert count(app, Partnership) == 3


def test_a_third_company_gets_404_for_someone_elses_partnership(app, world):
    client = signed_in(app, "admin@a.example")
    assert client.post(f"/partners/{world.partnership_bc}/end").status_code == 404


# ---------------------------------------------------------------------------------------------
# A company not on the platform yet


def test_join_as_new_company_through_the_pages(app, world):
    inviter = signed_in(app, "partner_manager@a.example")
    assert inviter.post("/partners", data={"email": "boss@newco.example"}).status_code == 302
    assert "boss@newco.example" in section(page(inviter.get("/partners")), "sent-invitations")
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient == "boss@newco.example")
        )
    link = re.search(r"http://localhost(/partners/join/(\S+))", body)
    path, token = link.group(1), link.group(2)

    newcomer = app.test_client()
    opened = newcomer.get(path)
    # The token moves into the session and out of the address bar.
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/partners/join"
    assert token not in opened.headers["Location"]
    with newcomer.session_transaction() as session:
        assert token in session.values()
    form = page(newcomer.get("/partners/join"))
    assert "Alpha Flour invites your company" in form
    assert "boss@newco.example" in form
    assert "partner_manager@a.example" in form and "<strong>a.example</strong>" in form

    created = newcomer.post(
        "/partners/join",
        data={"organization_name": "NewCo", "name": "Bo Boss", "password": NEW_PASSWORD},
    )

    assert created.status_code == 302
    assert created.headers["Location"] == "/partners"
    html = page(newcomer.get("/partners"))
    assert "Alpha Flour is waiting for your answer" in html
    partnership = partnership_with(app, "boss@newco.example")
    with app.app_context():
        boss = db.session.scalar(sa.select(User).where(User.email == "boss@newco.example"))
        assert boss.role == "admin"
        assert boss.organization.name == "NewCo"
        assert partnership.invitee_organization_id == boss.organization_id
    assert partnership.status == "pending"
    assert f'action="/partners/{partnership.id}/accept"' in section(html, "received-invitations")

    assert newcomer.post(f"/partners/{partnership.id}/accept").status_code == 302
    assert partnership_with(app, "boss@newco.example").status == "active"
    # The link was single use.
    again = app.test_client()
    assert again.get(path).status_code == 302
    assert again.get("/partners/join").status_code == 404


def test_join_form_errors_are_shown_next_to_the_field_and_nothing_is_written(app, world):
    inviter = signed_in(app, "partner_manager@a.example")
    inviter.post("/partners", data={"email": "boss@newco.example"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    path = re.search(r"http://localhost(/partners/join/\S+)", body).group(1)
    newcomer = app.test_client()
    newcomer.get(path)
    before = (count(app, Organization), count(app, User))

    response = newcomer.post(
        "/partners/join",
        data={"organization_name": "NewCo", "name": "Bo Boss", "password": "password123"},
    )

    assert response.status_code == 200
    assert re.findall(r'data-field-error="([a-z_]+)"', page(response)) == ["password"]
    assert (count(app, Organization), count(app, User)) == before


def test_a_signed_in_user_opening_a_join_link_is_told_to_sign_out_first(app, world):
    inviter = signed_in(app, "partner_manager@a.example")
    inviter.post("/partners", data={"email": "boss@newco.example"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    path = re.search(r"http://localhost(/partners/join/\S+)", body).group(1)

    someone = signed_in(app, "admin@b.example")
    someone.get(path)
    html = page(someone.get("/partners/join"))
    assert "You are signed in" in html
    assert someone.post("/partners/join", data={"organization_name": "X"}).status_code == 200
    assert count(app, Organization) == 3


def test_an_unknown_join_link_is_404(client):
    client.get("/partners/join/not-a-real-token")
    assert client.get("/partners/join").status_code == 404


# ---------------------------------------------------------------------------------------------
# Products


def product_names(client, archived: bool = False) -> str:
    html = page(client.get("/products?archived=1" if archived else "/products"))
    match = re.search(r'data-testid="products-table">(.*?)</table>', html, re.DOTALL)
    assert match
    return match.group(1)


def own_product_id(app, name: str) -> int:
    with app.app_context():
        product_id = db.session.scalar(sa.select(Product.id).where(Product.name == name))
        assert product_id is not None
        return product_id


def test_products_pages_add_edit_archive_and_restore(app, world):
    client = signed_in(app, "partner_manager@a.example")
    assert "Alpha Flour Classic" in product_names(client)
    assert 'href="/products/new"' in page(client.get("/products"))

    created = client.post(
        "/products/new", data={"name": "Rye Flour", "category": "Flour", "description": "Dark."}
    )
    assert created.status_code == 302
    assert "Rye Flour" in product_names(client)
    rye = own_product_id(app, "Rye Flour")

    assert 'value="Rye Flour"' in page(client.get(f"/products/{rye}/edit"))
    edited = client.post(
        f"/products/{rye}/edit", data={"name": "Rye Flour 1 kg", "category": "Flour"}
    )
    assert edited.status_code == 302
    assert "Rye Flour 1 kg" in product_names(client)

    assert client.post(f"/products/{rye}/archive").status_code == 302
    assert "Rye Flour 1 kg" not in product_names(client)
    archived_list = product_names(client, archived=True)
    assert "Rye Flour 1 kg <span" in archived_list
    assert f'action="/products/{rye}/restore"' in archived_list

    assert client.post(f"/products/{rye}/restore").status_code == 302
    assert "Rye Flour 1 kg" in product_names(client)


def test_product_form_errors_are_shown_next_to_the_field_and_nothing_is_written(app, world):
    client = signed_in(app, "admin@a.example")
    before = count(app, Product)

    duplicate = client.post("/products/new", data={"name": "alpha flour CLASSIC"})
    too_long = client.post("/products/new", data={"name": "Ok", "category": "c" * 81})

    assert re.findall(r'data-field-error="([a-z_]+)"', page(duplicate)) == ["name"]
    assert "You already have a product with this name." in page(duplicate)
    assert re.findall(r'data-field-error="([a-z_]+)"', page(too_long)) == ["category"]
    assert count(app, Product) == before


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_approvers_and_analysts_see_products_but_cannot_manage_them(app, world, role):
    client = signed_in(app, f"{role}@a.example")
    own = world.a.product_ids[0]
    html = page(client.get("/products"))
    assert "Alpha Flour Classic" in html
    assert 'href="/products/new"' not in html
    assert f"/products/{own}/archive" not in html
    assert client.get("/products/new").status_code == 403
    assert client.post("/products/new", data={"name": "Sneaky"}).status_code == 403
    assert client.get(f"/products/{own}/edit").status_code == 403
    assert client.post(f"/products/{own}/archive").status_code == 403
    assert count(app, Product) == 4  # three companies' products and B's archived one


def test_another_organizations_product_is_404(app, world):
    client = signed_in(app, "admin@a.example")
    partners_product = world.b.product_ids[0]
    assert client.get(f"/products/{partners_product}/edit").status_code == 404
    assert client.post(f"/products/{partners_product}/edit", data={"name": "X"}).status_code == 404
    assert client.post(f"/products/{partners_product}/archive").status_code == 404
    with app.app_context():
        product = db.session.get(Product, partners_product)
        assert (product.name, product.archived_at) == ("Beta Shortening Classic", None)


# ---------------------------------------------------------------------------------------------
# A bounded number of queries, whatever the number of partners


def add_partners(app, organization_id: int, how_many: int, start: int) -> None:
    """Active partners with two products each, plus as many invitations waiting for us."""
    with app.app_context():
        for n in range(start, start + how_many):
            partner = OrganizationFactory(name=f"Partner {n:02d}")
            suitor = OrganizationFactory(name=f"Suitor {n:02d}")
            ProductFactory(organization_id=partner.id, name=f"Partner {n:02d} Flour")
            ProductFactory(organization_id=partner.id, name=f"Partner {n:02d} Sugar")
            PartnershipFactory(
                inviter_organization_id=organization_id, invitee_organization_id=partner.id
            )
            PartnershipFactory(
                inviter_organization_id=suitor.id,
                invitee_organization_id=organization_id,
                status="pending",
            )
        db.session.commit()


def queries_for(client, query_counter, path: str) -> tuple[int, str]:
    with query_counter() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements), page(response)


def test_dashboard_and_directory_queries_do_not_grow_with_partners(app, query_counter):
    with app.app_context():
        home = OrganizationFactory(name="Home Co")
        UserFactory(organization=home, email="pm@home.example", role="partner_manager")
        db.session.commit()
        home_id = home.id
    client = signed_in(app, "pm@home.example")

    add_partners(app, home_id, 2, start=0)
    # What is kept between requests (campaigns/cache.py) is computed once here after each
    # change of partners (invitations raise the data version), so both counts below count
    # the same kind of load.
    client.get("/dashboard")
    few_dashboard, html = queries_for(client, query_counter, "/dashboard")
    assert html.count("invites Home Co") == 2
    few_directory, html = queries_for(client, query_counter, "/partners")
    assert html.count(" Sugar") == 2

    add_partners(app, home_id, 10, start=2)
    client.get("/dashboard")
    many_dashboard, html = queries_for(client, query_counter, "/dashboard")
    assert html.count("invites Home Co") == 12
    many_directory, html = queries_for(client, query_counter, "/partners")
    assert html.count(" Sugar") == 12
    assert html.count("Suitor ") == 12

    assert many_dashboard == few_dashboard
    assert many_directory == few_directory
    # A fixed number of queries whatever the data: the home page (issue 18) reads one or two
    # per kind of waiting item and per part (tests/functional/test_home_page.py counts them).
    assert few_dashboard <= 30
    assert few_directory <= 6
