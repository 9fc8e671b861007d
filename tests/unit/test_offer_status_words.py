"""The offer's status in words: a pure function of the stored status, the parties and their
answers on the current revision."""

from __future__ import annotations

from comarketing.offers.approvals import PartyApproval
from comarketing.offers.models import OfferDecision
from comarketing.offers.status_words import status_words

GOLD, MILL, COCOA = 1, 2, 3
PARTIES = {GOLD: "Goldcrest", MILL: "Millstone", COCOA: "Cocoa Chip"}


def said(org: int, decision: str) -> PartyApproval:
    return PartyApproval(org, False, explicit=OfferDecision(organization_id=org, decision=decision))


def by_proposing(org: int, four_eyes: bool = False) -> PartyApproval:
    return PartyApproval(
        org, four_eyes, implicit=OfferDecision(organization_id=org, decision="approved")
    )


def waiting(org: int) -> PartyApproval:
    return PartyApproval(org, False)


def text(status: str, *states: PartyApproval, campaign: int | None = None) -> str:
    parties = {s.organization_id: PARTIES[s.organization_id] for s in states}
    return status_words(status, parties, {s.organization_id: s for s in states}, campaign).text


def test_a_change_request_says_who_asked_whatever_the_stored_status():
    words = status_words(
        "sent",
        {GOLD: "Goldcrest", MILL: "Millstone"},
        {GOLD: said(GOLD, "changes_requested"), MILL: by_proposing(MILL)},
    )
    assert (words.status, words.text, words.tone) == (
        "sent",
        "changes requested by Goldcrest",
        "warning",
    )
    assert (
        text(
            "sent", said(GOLD, "changes_requested"), said(COCOA, "changes_requested"), waiting(MILL)
        )
        == "changes requested by Cocoa Chip and Goldcrest"
    )


def test_a_sent_offer_names_whose_approver_it_waits_for():
    assert text("sent", said(GOLD, "approved"), waiting(MILL)) == (
        "waiting for Millstone's approver"
    )
    assert text("sent", by_proposing(GOLD), waiting(MILL), waiting(COCOA)) == (
        "waiting for Cocoa Chip's and Millstone's approvers"
    )
    assert text("sent", by_proposing(GOLD, four_eyes=True), waiting(MILL)) == (
        "waiting for a second approver at Goldcrest (four eyes) and Millstone's approver"
    )


def test_closed_offers_say_how_they_ended():
    assert text("approved", said(GOLD, "approved"), said(MILL, "approved"), campaign=17) == (
        "approved — campaign #17"
    )
    assert text("rejected", said(GOLD, "rejected"), waiting(MILL)) == "rejected by Goldcrest"
    assert text("draft", waiting(GOLD)) == "draft — not sent yet"
    assert text("withdrawn", waiting(GOLD)) == "withdrawn"
    assert text("expired", waiting(GOLD)) == "expired"
