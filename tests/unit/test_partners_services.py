"""Partners services without HTTP: invitations, the partnership lifecycle, directory, products.

In the world, A-B and B-C are active partners; A and C are not.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from comarketing.accounts import registration
from comarketing.accounts.models import Organization, User
from comarketing.audit import AuditEvent
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from comarketing.partners import invitations, services
from comarketing.partners.models import Partnership, Product
from comarketing.tokens import hash_token
from tests.factories import PartnershipFactory, ProductFactory

ORIGIN = Origin(ip="198.51.100.4", request_id="req-partners-1")
NEW_PASSWORD = "a long and unusual passphrase"


def actor(email: str) -> Actor:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return Actor(user, ORIGIN)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def outbox_recipients() -> list[str]:
    return sorted(db.session.scalars(sa.select(OutboxMessage.recipient)))


def join_token_from_outbox(email: str) -> str:
    body = db.session.scalar(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == email))
    assert body is not None
    match = re.search(r"http://localhost/partners/join/(\S+)", body)
    assert match, body
    return match.group(1)


# ---------------------------------------------------------------------------------------------
# Inviting


def test_inviting_a_platform_users_company_leaves_it_pending_for_that_company(world, ctx):
    partnership = invitations.invite_partner(
        actor("partner_manager@a.example"), email="Analyst@C.example", message="Cookies?"
    )

    assert partnership.status == "pending"
    assert partnership.inviter_organization_id == world.a.id
    assert partnership.invitee_organization_id == world.c.id
    assert partnership.join_token_hash is None
    # C's admin and partner manager (who may answer) and the contact person are told; the
    # approver is not.
    assert outbox_recipients() == [
        "admin@c.example",
        "analyst@c.example",
        "partner_manager@c.example",
    ]
    bodies = db.session.scalars(sa.select(OutboxMessage.body)).all()
    assert all("http://localhost/partners\n" in body and "Cookies?" in body for body in bodies)
    logged_in = {e.organization_id for e in db.session.scalars(sa.select(AuditEvent))}
    assert logged_in == {world.a.id, world.c.id}


def test_inviting_an_unknown_email_sends_a_join_link_and_has_no_invitee_yet(world, ctx):
    partnership = invitations.invite_partner(actor("admin@a.example"), email="Boss@NewCo.example")

    assert partnership.status == "pending"
    assert partnership.invitee_organization_id is None
    assert partnership.invitee_email == "boss@newco.example"
    assert outbox_recipients() == ["boss@newco.example"]
    token = join_token_from_outbox("boss@newco.example")
    assert partnership.join_token_hash == hash_token(token)
    assert token not in str(db.session.execute(sa.select(Partnership.__table__)).all())


def test_joining_as_a_new_company_creates_its_admin_and_keeps_the_invitation_pending(world, ctx):
    partnership = invitations.invite_partner(actor("admin@a.example"), email="boss@newco.example")
    token = join_token_from_outbox("boss@newco.example")
    _, inviter, inviter_email = invitations.join_invitation_details(token)
    assert (inviter.id, inviter_email) == (world.a.id, "admin@a.example")

    user = invitations.join_as_new_company(
        token, organization_name="NewCo", name="Bo Boss", password=NEW_PASSWORD, origin=ORIGIN
    )

    assert (user.email, user.role) == ("boss@newco.example", "admin")
    assert db.session.get(Organization, user.organization_id).name == "NewCo"
    partnership = db.session.get(Partnership, partnership.id)
    assert partnership.status == "pending"
    assert partnership.invitee_organization_id == user.organization_id
    assert partnership.join_token_hash is None
    # The link is single use.
    with pytest.raises(NotFound):
        invitations.join_invitation_details(token)
    with pytest.raises(NotFound):
        invitations.join_as_new_company(
            token, organization_name="Again", name="Again", password=NEW_PASSWORD, origin=ORIGIN
        )
    # The new company answers like any invitee.
    accepted = services.transition(Actor(user, ORIGIN), partnership.id, "accept")
    assert accepted.status == "active"


def test_join_link_of_a_cancelled_or_expired_invitation_is_not_found(world, ctx):
    invitations.invite_partner(actor("admin@a.example"), email="one@newco.example")
    invitations.invite_partner(actor("admin@a.example"), email="two@newco.example")
    cancelled = db.session.scalar(
        sa.select(Partnership).where(Partnership.invitee_email == "one@newco.example")
    )
    services.transition(actor("admin@a.example"), cancelled.id, "cancel")
    expired = db.session.scalar(
        sa.select(Partnership).where(Partnership.invitee_email == "two@newco.example")
    )
    expired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    for email in ["one@newco.example", "two@newco.example"]:
        with pytest.raises(NotFound):
            invitations.join_invitation_details(join_token_from_outbox(email))


def test_joining_with_an_email_meanwhile_taken_is_refused_and_nothing_is_created(world, ctx):
    invitations.invite_partner(actor("admin@a.example"), email="late@newco.example")
    token = join_token_from_outbox("late@newco.example")
    # Someone signs the address up by another route before the link is used.
    registration.sign_up(
        organization_name="Early",
        name="Early Bird",
        email="late@newco.example",
        password=NEW_PASSWORD,
        origin=ORIGIN,
    )
    organizations = count(Organization)

    with pytest.raises(ValidationFailed) as refused:
        invitations.join_as_new_company(
            token, organization_name="Late", name="Late", password=NEW_PASSWORD, origin=ORIGIN
        )
    assert refused.value.field == "email"
    db.session.rollback()
    assert count(Organization) == organizations


def test_inviting_ones_own_company_is_refused_on_the_email_field(world, ctx):
    before = count(Partnership)
    with pytest.raises(ValidationFailed, match="your own company") as refused:
        invitations.invite_partner(actor("partner_manager@a.example"), email="approver@a.example")
    assert refused.value.field == "email"
    db.session.rollback()
    assert count(Partnership) == before
    assert count(OutboxMessage) == 0


@pytest.mark.parametrize(
    ("inviter", "email"),
    [
        ("partner_manager@a.example", "admin@b.example"),
        ("partner_manager@b.example", "approver@a.example"),
    ],
    ids=["already-partners", "already-partners-other-side"],
)
def test_inviting_an_existing_partners_address_is_sent_and_offers_nothing_new(
    world, ctx, inviter, email
):
    """Accepted as sent; nothing reaches the partner's lists; only the person is told."""
    partnership = invitations.invite_partner(actor(inviter), email=email)

    assert partnership.status == "pending"
    assert partnership.invitee_email == email
    assert partnership.invitee_organization_id is None and partnership.join_token_hash is None
    assert outbox_recipients() == [email]
    assert "already their partner" in db.session.scalar(sa.select(OutboxMessage.body))
    other = actor(email)
    assert services.directory(other).received == []
    assert services.active_partner_ids(world.a.id) == {world.b.id}


def test_a_second_invitation_to_a_company_with_one_open_goes_to_no_list(world, ctx):
    first = invitations.invite_partner(
        actor("partner_manager@a.example"), email="analyst@c.example"
    )
    same_way = invitations.invite_partner(actor("admin@a.example"), email="admin@c.example")
    other_way = invitations.invite_partner(
        actor("partner_manager@c.example"), email="analyst@a.example"
    )

    assert first.invitee_organization_id == world.c.id
    assert same_way.invitee_organization_id is None
    assert other_way.invitee_organization_id is None
    assert [v.partnership.id for v in services.directory(actor("admin@c.example")).received] == [
        first.id
    ]
    assert services.directory(actor("admin@a.example")).received == []


def test_the_same_address_typed_again_gives_the_open_invitation_back(world, ctx):
    first = invitations.invite_partner(actor("admin@a.example"), email="boss@newco.example")
    again = invitations.invite_partner(
        actor("partner_manager@a.example"), email="BOSS@newco.example"
    )
    assert again.id == first.id
    assert count(Partnership) == 3
    assert outbox_recipients() == ["boss@newco.example"]


def test_an_expired_invitation_does_not_block_a_new_one(world, ctx):
    old = invitations.invite_partner(actor("admin@a.example"), email="analyst@c.example")
    old.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    new = invitations.invite_partner(actor("admin@a.example"), email="analyst@c.example")
    assert new.id != old.id
    assert new.status == "pending"


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_only_admins_and_partner_managers_invite(world, ctx, role):
    with pytest.raises(Forbidden):
        invitations.invite_partner(actor(f"{role}@a.example"), email="boss@newco.example")
    assert count(Partnership) == 2


# ---------------------------------------------------------------------------------------------
# The lifecycle: every (state, step) pair, from both sides

STATES = ["pending", "active", "declined", "cancelled", "ended"]
STEPS = ["accept", "decline", "cancel", "end"]
# (state, step) -> (new state, side that may take it). Everything else is InvalidTransition.
ALLOWED = {
    ("pending", "accept"): ("active", "invitee"),
    ("pending", "decline"): ("declined", "invitee"),
    ("pending", "cancel"): ("cancelled", "inviter"),
    ("active", "end"): ("ended", "either"),
}
SIDE_EMAIL = {"inviter": "partner_manager@a.example", "invitee": "partner_manager@c.example"}


def a_to_c(world, status: str) -> int:
    partnership = PartnershipFactory(
        inviter_organization_id=world.a.id,
        invitee_organization_id=world.c.id,
        invitee_email="partner_manager@c.example",
        status=status,
    )
    db.session.commit()
    return partnership.id


def status_of(partnership_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Partnership, partnership_id).status


ALLOWED_CASES = [
    pytest.param(state, step, side, id=f"{state}-{step}-by-{side}")
    for (state, step), (_, allowed_side) in ALLOWED.items()
    for side in (["inviter", "invitee"] if allowed_side == "either" else [allowed_side])
]
WRONG_SIDE_CASES = [
    pytest.param(state, step, "invitee" if side == "inviter" else "inviter", id=f"{state}-{step}")
    for (state, step), (_, side) in ALLOWED.items()
    if side != "either"
]
INVALID_CASES = [
    pytest.param(state, step, side, id=f"{state}-{step}-by-{side}")
    for state in STATES
    for step in STEPS
    if (state, step) not in ALLOWED
    for side in ["inviter", "invitee"]
]


def test_the_tables_cover_every_state_and_step():
    assert len(INVALID_CASES) == 2 * (len(STATES) * len(STEPS) - len(ALLOWED))
    assert {(s, t) for s, t in ALLOWED} | {(p.values[0], p.values[1]) for p in INVALID_CASES} == {
        (s, t) for s in STATES for t in STEPS
    }


@pytest.mark.parametrize(("state", "step", "side"), ALLOWED_CASES)
def test_allowed_step_by_the_allowed_side(world, ctx, state, step, side):
    partnership_id = a_to_c(world, state)
    me = actor(SIDE_EMAIL[side])

    result = services.transition(me, partnership_id, step)

    assert result.status == ALLOWED[(state, step)][0]
    assert status_of(partnership_id) == ALLOWED[(state, step)][0]
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.organization_id == me.organization_id)
    )
    assert event.action.startswith("partnership.")


@pytest.mark.parametrize(("state", "step", "side"), WRONG_SIDE_CASES)
def test_allowed_step_by_the_wrong_side_is_forbidden(world, ctx, state, step, side):
    partnership_id = a_to_c(world, state)
    with pytest.raises(Forbidden):
        services.transition(actor(SIDE_EMAIL[side]), partnership_id, step)
    db.session.rollback()
    assert status_of(partnership_id) == state


@pytest.mark.parametrize(("state", "step", "side"), INVALID_CASES)
def test_every_other_state_and_step_is_an_invalid_transition(world, ctx, state, step, side):
    partnership_id = a_to_c(world, state)
    with pytest.raises(InvalidTransition):
        services.transition(actor(SIDE_EMAIL[side]), partnership_id, step)
    db.session.rollback()
    assert status_of(partnership_id) == state


@pytest.mark.parametrize("step", ["accept", "decline"])
def test_an_expired_invitation_cannot_be_answered(world, ctx, step):
    partnership_id = a_to_c(world, "pending")
    db.session.get(Partnership, partnership_id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="expired"):
        services.transition(actor("partner_manager@c.example"), partnership_id, step)
    db.session.rollback()
    assert status_of(partnership_id) == "pending"


def test_accepting_records_who_answered_and_tells_the_inviter(world, ctx):
    partnership_id = a_to_c(world, "pending")
    responder = actor("admin@c.example")
    partnership = services.transition(responder, partnership_id, "accept")
    assert partnership.responded_by_id == responder.user_id
    assert partnership.responded_at is not None
    assert outbox_recipients() == ["admin@a.example", "partner_manager@a.example"]


def test_ending_records_which_side_ended_it(world, ctx):
    services.transition(actor("partner_manager@b.example"), world.partnership_ab, "end")
    partnership = db.session.get(Partnership, world.partnership_ab)
    assert partnership.ended_by_organization_id == world.b.id
    assert partnership.ended_at is not None


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_approvers_and_analysts_cannot_take_any_step(world, ctx, role):
    pending = a_to_c(world, "pending")
    for step, email in [("accept", f"{role}@c.example"), ("cancel", f"{role}@a.example")]:
        with pytest.raises(Forbidden):
            services.transition(actor(email), pending, step)
    with pytest.raises(Forbidden):
        services.transition(actor(f"{role}@a.example"), world.partnership_ab, "end")


def test_a_third_company_cannot_see_the_partnership(world, ctx):
    with pytest.raises(NotFound):
        services.transition(actor("admin@a.example"), world.partnership_bc, "end")
    with pytest.raises(NotFound):
        services.transition(actor("admin@a.example"), 999_999, "end")
    db.session.rollback()
    assert status_of(world.partnership_bc) == "active"


def test_an_unknown_step_is_not_found(world, ctx):
    with pytest.raises(NotFound):
        services.transition(actor("admin@a.example"), world.partnership_ab, "approve")


# ---------------------------------------------------------------------------------------------
# Who counts as a partner


def test_require_active_partners_accepts_active_partners_only(world, ctx):
    services.require_active_partners(world.a.id, [world.b.id])
    services.require_active_partners(world.b.id, [world.a.id, world.c.id])
    services.require_active_partners(world.a.id, [world.a.id, world.b.id])  # oneself is fine
    with pytest.raises(ValidationFailed) as refused:
        services.require_active_partners(world.a.id, [world.b.id, world.c.id])
    assert refused.value.field == "partners"
    with pytest.raises(ValidationFailed) as refused:
        services.require_active_partners(world.a.id, [world.c.id], field_name="parties")
    assert refused.value.field == "parties"


@pytest.mark.parametrize("status", ["pending", "declined", "cancelled", "ended"])
def test_require_active_partners_refuses_any_other_status(world, ctx, status):
    a_to_c(world, status)
    with pytest.raises(ValidationFailed):
        services.require_active_partners(world.a.id, [world.c.id])
    with pytest.raises(ValidationFailed):
        services.require_active_partners(world.c.id, [world.a.id])


def test_directory_shows_active_partners_non_archived_products_only(world, ctx):
    listing = services.directory(actor("analyst@a.example"))

    assert [v.partner.id for v in listing.active] == [world.b.id]
    assert [p.name for p in listing.active[0].products] == ["Beta Shortening Classic"]
    assert listing.received == listing.sent == listing.past == []
    shown = [v.partner.name for v in listing.active] + [
        p.name for v in listing.active for p in v.products
    ]
    assert not [text for text in shown if world.canary in text]


def test_directory_sorts_invitations_and_shows_no_products_of_non_partners(world, ctx):
    received = PartnershipFactory(
        inviter_organization_id=world.c.id,
        invitee_organization_id=world.a.id,
        invitee_email="admin@a.example",
        status="pending",
    )
    sent = PartnershipFactory(
        inviter_organization_id=world.a.id, invitee_email="x@newco.example", status="pending"
    )
    ended = PartnershipFactory(
        inviter_organization_id=world.a.id,
        invitee_organization_id=world.c.id,
        invitee_email="admin@c.example",
        status="ended",
    )
    db.session.commit()

    listing = services.directory(actor("admin@a.example"))

    assert [v.partnership.id for v in listing.received] == [received.id]
    assert listing.received[0].partner.id == world.c.id
    assert listing.received[0].products == []
    assert [v.partnership.id for v in listing.sent] == [sent.id]
    assert listing.sent[0].partner is None
    assert [v.partnership.id for v in listing.past] == [ended.id]
    assert listing.past[0].products == []


# ---------------------------------------------------------------------------------------------
# Products


def test_product_create_update_archive_restore(world, ctx):
    me = actor("partner_manager@a.example")
    product = services.create_product(
        me, name="  Rye   Flour ", category=" Flour ", description=" Dark rye. "
    )
    assert (product.name, product.category, product.description) == (
        "Rye Flour",
        "Flour",
        "Dark rye.",
    )
    assert product.organization_id == world.a.id

    services.update_product(me, product.id, name="Rye Flour 1 kg", category="Flour", description="")
    assert db.session.get(Product, product.id).name == "Rye Flour 1 kg"

    services.set_product_archived(me, product.id, archived=True)
    assert product.id not in {p.id for p in services.list_products(me)}
    assert product.id in {p.id for p in services.list_products(me, include_archived=True)}

    services.set_product_archived(me, product.id, archived=False)
    assert product.id in {p.id for p in services.list_products(me)}
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["product.created", "product.updated", "product.archived", "product.restored"]


def test_product_names_are_unique_case_insensitively_among_non_archived(world, ctx):
    me = actor("admin@a.example")
    first = services.create_product(me, name="Cake Flour")
    other = services.create_product(me, name="Pastry Flour")

    with pytest.raises(ValidationFailed) as on_create:
        services.create_product(me, name="  cake   FLOUR ")
    with pytest.raises(ValidationFailed) as on_update:
        services.update_product(me, other.id, name="CAKE flour", category="", description="")
    assert on_create.value.field == on_update.value.field == "name"
    db.session.rollback()

    # Archived names are free again, but the archived one cannot come back while taken.
    services.set_product_archived(me, first.id, archived=True)
    services.create_product(me, name="cake flour")
    with pytest.raises(ValidationFailed) as on_restore:
        services.set_product_archived(me, first.id, archived=False)
    assert on_restore.value.field == "name"
    # Another company may use the same name.
    assert services.create_product(actor("admin@b.example"), name="Cake Flour").id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Ok", "category": "c" * 81}, "category"),
        ({"name": "Ok", "description": "d" * 5001}, "description"),
    ],
    ids=["blank-name", "long-name", "long-category", "long-description"],
)
def test_product_validation_errors_name_the_field(world, ctx, fields, field):
    me = actor("admin@a.example")
    values = {"category": "", "description": "", **fields}
    with pytest.raises(ValidationFailed) as on_create:
        services.create_product(me, **values)
    with pytest.raises(ValidationFailed) as on_update:
        services.update_product(me, world.a.product_ids[0], **values)
    assert on_create.value.field == on_update.value.field == field


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_approvers_and_analysts_cannot_manage_products(world, ctx, role):
    me = actor(f"{role}@a.example")
    own = world.a.product_ids[0]
    with pytest.raises(Forbidden):
        services.create_product(me, name="Sneaky")
    with pytest.raises(Forbidden):
        services.update_product(me, own, name="Renamed", category="", description="")
    with pytest.raises(Forbidden):
        services.set_product_archived(me, own, archived=True)
    db.session.rollback()
    assert [p.id for p in services.list_products(me)] == [own]
    assert db.session.get(Product, own).name == "Alpha Flour Classic"


def test_another_organizations_product_is_not_found(world, ctx):
    me = actor("admin@a.example")
    partners_product = world.b.product_ids[0]  # even a partner's product is not ours to edit
    with pytest.raises(NotFound):
        services.get_own_product(me, partners_product)
    with pytest.raises(NotFound):
        services.update_product(me, partners_product, name="Mine", category="", description="")
    with pytest.raises(NotFound):
        services.set_product_archived(me, partners_product, archived=True)
    db.session.rollback()
    product = db.session.get(Product, partners_product)
    assert (product.name, product.archived_at) == ("Beta Shortening Classic", None)


def test_list_products_shows_only_own_products(world, ctx):
    ProductFactory(organization_id=world.b.id, name="Another B product")
    db.session.commit()
    names = [
        p.name for p in services.list_products(actor("analyst@b.example"), include_archived=True)
    ]
    assert set(names) == {
        "Beta Shortening Classic",
        "Another B product",
        f"Beta secret {world.canary}",
    }
    assert all(
        p.organization_id == world.b.id for p in services.list_products(actor("admin@b.example"))
    )


def test_active_partners_are_the_organizations_of_active_partner_ids_by_name(world, ctx):
    """One statement for the offers list's partner filter: the same companies as
    ``active_partner_ids`` (either side of an active partnership; a pending one is none)."""
    invitations.invite_partner(actor("partner_manager@a.example"), email="analyst@c.example")
    for company in (world.a, world.b, world.c):
        expected = sorted(
            db.session.scalars(
                sa.select(Organization.name).where(
                    Organization.id.in_(services.active_partner_ids(company.id))
                )
            )
        )
        assert [o.name for o in services.active_partners(company.id)] == expected
    assert world.c.id not in {o.id for o in services.active_partners(world.a.id)}
