from datetime import date

from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.accounts.models import User
from comarketing.offers import services
from comarketing.offers.services import PartyTermsInput, PlacementInput, TermsInput
import sqlalchemy as sa


def actor(email):
    return Actor(db.session.scalar(sa.select(User).where(User.email == email)))


def test_three_party_flow(ctx, world):
    pm = actor(world.b.email("partner_manager"))
    terms = TermsInput(
        title="Cookie season", value_proposition="v", audience="bakers",
        start_date=date(2027, 1, 1), end_date=date(2027, 2, 1), currency="EUR",
        total_budget_minor=100_000,
        parties=[PartyTermsInput(world.a.id, [], 3334, 5000), PartyTermsInput(world.b.id, [], 3333, 2500),
                 PartyTermsInput(world.c.id, [], 3333, 2500)],
        placements=[PlacementInput("email", world.a.id, "Newsletter", 20_000)],
    )
    offer = services.create_draft(pm, partner_ids=[world.a.id, world.c.id], terms=terms)
    services.send(pm, offer.id)
    services.decide(actor(world.a.email("approver")), offer.id, revision_number=1,
                    decision="changes_requested", comment="more budget")
    terms.total_budget_minor = 150_000
    services.revise(pm, offer.id, terms=terms)
    services.decide(actor(world.a.email("approver")), offer.id, revision_number=2, decision="approved")
    services.decide(actor(world.c.email("approver")), offer.id, revision_number=2, decision="approved")
    view = services.offer_view(actor(world.a.email("analyst")), offer.id)
    assert view.offer.status == "approved"
    assert view.campaign_id
    print([ (c.field, c.before, c.after) for c in view.revisions[1].changes])
