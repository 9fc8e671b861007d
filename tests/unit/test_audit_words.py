"""The audit log in words (comarketing/audit_words.py): each action as a sentence naming the
people and records involved, read in a fixed number of queries, with a generic sentence for an
action that has no phrase."""

from __future__ import annotations

import re

import pytest

from comarketing import audit
from comarketing.accounts import members
from comarketing.audit_phrases import PHRASES
from comarketing.audit_words import sentence
from comarketing.extensions import db
from comarketing.partners.models import Partnership
from tests.campaign_helpers import ADMIN, PM, add_placement, commit, joint_campaign, spend
from tests.conftest import count_queries
from tests.offer_helpers import actor


def sentences(email: str, per_page: int = 50) -> list[str]:
    lines, _ = members.audit_log_in_words(actor(email), page=1, per_page=per_page)
    return [line.sentence for line in lines]


def test_a_role_change_names_who_changed_whose_role_from_what_to_what(world, ctx):
    analyst_id = world.a.user_ids["analyst"]

    members.change_role(actor(world.a.email(ADMIN)), analyst_id, "approver")

    assert sentences(world.a.email(ADMIN))[0] == (
        "Admin A changed Analyst A's role from analyst to approver"
    )


def test_money_events_name_the_campaign_the_party_and_the_amount_in_its_currency(world, ctx):
    campaign = joint_campaign(world, name="Cookie week")
    spend(world.b.email(PM), campaign.id, campaign.b_placement, 12_345)
    commit(world.a.email(PM), campaign.id, 5_000)

    said = sentences(world.a.email(ADMIN))

    assert (
        "Partner Manager B recorded an expense of €123.45 paid by Beta Shortening in the "
        "campaign “Cookie week”"
    ) in said
    assert (
        "Partner Manager A recorded Alpha Flour's commitment of €50.00 to the campaign "
        "“Cookie week”"
    ) in said


def test_a_partnership_is_named_from_the_side_of_whoever_acted_in_each_log(world, ctx):
    partnership = db.session.get(Partnership, world.partnership_ab)
    audit.record(
        "partnership.ended",
        actor=actor(world.a.email(PM)),
        organization_ids=[world.a.id, world.b.id],
        target=partnership,
    )
    db.session.commit()

    assert sentences(world.a.email(ADMIN))[0] == (
        "Partner Manager A ended the partnership with Beta Shortening"
    )
    assert sentences(world.b.email(ADMIN))[0] == (
        "Partner Manager A ended the partnership with Beta Shortening"
    )


def test_an_action_without_a_phrase_reads_as_a_generic_sentence(world, ctx):
    audit.record("widget.frobbed_twice", actor=actor(world.a.email(PM)))
    audit.record("product.updated", actor=actor(world.a.email(PM)))  # its record is missing
    db.session.commit()

    newest, older = sentences(world.a.email(ADMIN))[:2]

    assert older == "Partner Manager A — widget: frobbed twice"
    assert newest == "Partner Manager A — product: updated"


def test_system_and_operator_events_and_failed_sign_ins_say_who_in_words(world, ctx):
    org = [world.a.id]
    audit.record("auth.sign_in_failed", organization_ids=org, actor_email="x@a.example",
                 reason="bad_credentials")  # fmt: skip
    audit.record("user.deactivated", organization_ids=org, actor_email="operator")
    db.session.commit()

    operator, failed = sentences(world.a.email(ADMIN))[:2]

    assert failed == "A sign-in as x@a.example failed (wrong email or password)"
    assert operator.startswith("An operator")


def test_a_page_of_events_is_named_in_one_query_whatever_its_length(app, world, ctx):
    campaign = joint_campaign(world, name="Cookie week")
    admin = actor(world.a.email(ADMIN))

    def queries() -> int:
        db.session.expire_all()
        with count_queries(app) as statements:
            members.audit_log_in_words(admin, page=1, per_page=200)
        return len(statements)

    members.change_role(admin, world.a.user_ids["analyst"], "approver")
    few = queries()
    for n in range(6):
        add_placement(world.a.email(PM), campaign.id, world.a.id, name=f"Banner {n}")
        spend(world.a.email(PM), campaign.id, campaign.a_placement, 1_000 + n)
        members.change_role(admin, world.a.user_ids["analyst"], ["analyst", "approver"][n % 2])
    many = queries()

    assert len(sentences(world.a.email(ADMIN), per_page=200)) > 15
    # The user (session) and the page of events, then one query for every name.
    assert many == few == 3


@pytest.mark.parametrize("action", sorted(PHRASES))
def test_every_phrase_fills_from_its_documented_placeholders(action):
    names = set(re.findall(r"{(\w+)}", PHRASES[action]))
    filled = PHRASES[action].format_map({name: f"<{name}>" for name in names})
    assert "{" not in filled and filled.strip() == filled


def test_sentence_of_an_event_without_any_name_known_still_reads(world, ctx):
    event = audit.AuditEvent(action="placement.created", actor_email=None, details={})
    assert sentence(event, {}) == "Someone — placement: created"


def test_an_invitation_names_the_invited_company_only_once_it_accepted(world, ctx):
    """Issue 17: inviting an address tells nothing about the company it belongs to."""
    from comarketing.partners import invitations, services

    invitation = invitations.invite_partner(actor(world.a.email(PM)), email=world.c.email(ADMIN))
    pending = sentences(world.a.email(ADMIN))[0]

    services.transition(actor(world.c.email(PM)), invitation.id, "accept")

    assert pending == f"Partner Manager A invited {world.c.email(ADMIN)} to become a partner"
    assert world.canary not in pending
    assert sentences(world.a.email(ADMIN))[:2] == [
        f"Partner Manager {world.c.key} {world.canary} accepted the partnership with Alpha Flour",
        f"Partner Manager A invited {world.c.name} to become a partner",
    ]
