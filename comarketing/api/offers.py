"""Joint offers over the API: list and read them, draft, send, counter-propose, decide,
withdraw, discard, clone, and their discussion. The same services and rules as the offer pages
(``offers.proposals``, ``offers.reviews``, ``offers.discussion``, ``offers.offer_page``): an
offer is loaded through its parties, so another company's offer — or a partner's unsent draft —
answers 404 like a missing one; a step the offer's state does not allow answers 409.
"""

from __future__ import annotations

from typing import Any

from comarketing.api import offer_answers as a
from comarketing.api import offer_out, schemas
from comarketing.api import offer_schemas as s
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.offers import discussion, lists, offer_page, proposals, reviews
from comarketing.offers.terms import expiry_at

WRITE_ERRORS = sorted({*ERRORS, 415})

# Where a new offer's id leads next (OpenAPI links: clients and Schemathesis follow them).
OFFER_LINKS = {
    "getOffer": {"operationId": "getOffer", "parameters": {"offer_id": "$response.body#/id"}},
    "sendOffer": {"operationId": "sendOffer", "parameters": {"offer_id": "$response.body#/id"}},
    "listOfferComments": {
        "operationId": "listOfferComments",
        "parameters": {"offer_id": "$response.body#/id"},
    },
}


def _detail(offer_id: int) -> dict[str, Any]:
    return offer_out.detail(offer_page.offer_view(current_actor(), offer_id))


# ---------------------------------------------------------------------------------------------
# Reading


@bp.get("/offers")
@bp.auth_required(auth)
@bp.input(s.OfferListQuery, location="query", arg_name="query")
@bp.output(a.OfferPage)
@bp.doc(operation_id="listOffers", responses=ERRORS)
def list_offers(query: dict[str, Any]) -> dict[str, Any]:
    """List offers

    Offers your company is a party to (a partner's draft only once sent), latest change first;
    filter by `status`, by a `partner` taking part, or to those `waiting_for_me` (sent, and the
    current revision waits for your company's answer: the inbox).
    """
    page = lists.offers_page(
        current_actor(),
        status=query["status"],
        partner_id=query["partner"],
        waiting_for_me=query["waiting_for_me"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return offer_out.offer_page(page, query["per_page"])


@bp.get("/offers/<int:offer_id>")
@bp.auth_required(auth)
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="getOffer", responses=ERRORS)
def get_offer(offer_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get an offer

    The offer page as data: every revision's terms (shares in money too), what changed since
    the revision before, each party's approval and who gave it in what role, the review due
    date, and the timeline of events and comments. `version` detects changes by others.
    """
    return _detail(offer_id)


# ---------------------------------------------------------------------------------------------
# Drafts


@bp.post("/offers")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferDraftIn, location="json", arg_name="body", example=s.DRAFT_EXAMPLE)
@bp.output(a.OfferDetail, status_code=201, links=OFFER_LINKS)
@bp.doc(operation_id="createOfferDraft", responses=WRITE_ERRORS)
def create_draft(body: dict[str, Any]) -> Any:
    """Draft an offer

    A draft with your active partners (`partner_ids`) on these terms; only your company sees
    it until it is sent. `parties` gives every party's terms once (yours too): shares in basis
    points adding up to 10000, each party's own current products. Partner managers and admins.
    """
    actor = current_actor()
    expires = body["expires_on"]
    with s.api_fields():
        offer = proposals.create_draft(
            actor,
            partner_ids=body["partner_ids"],
            terms=s.terms_input(body),
            expires_at=expiry_at(expires) if expires else None,
        )
    return _detail(offer.id), 201


@bp.put("/offers/<int:offer_id>")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferDraftUpdateIn, location="json", arg_name="body")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="updateOfferDraft", responses=WRITE_ERRORS)
def update_draft(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Change a draft

    Replaces the draft's partners and terms (as when drafting). Your own drafts only; a sent
    offer changes by counter-proposal (`revise`), so 409 here. Give `version` to be told (409)
    if someone changed it since you read it.
    """
    expires = body["expires_on"]
    with s.api_fields():
        proposals.update_draft(
            current_actor(),
            offer_id,
            partner_ids=body["partner_ids"],
            terms=s.terms_input(body),
            expires_at=expiry_at(expires) if expires else None,
            expected_version=body["version"],
        )
    return _detail(offer_id)


@bp.post("/offers/<int:offer_id>/send")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferSendIn, location="json", arg_name="body")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="sendOffer", responses=WRITE_ERRORS)
def send_offer(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Send a draft

    Every party is told and the review of revision 1 starts (due after the longest review
    window of the deciding companies). An approver or admin who sends approves for their
    company by proposing (four eyes aside). Every partner must still be an active partner.
    """
    with s.api_fields():
        proposals.send(current_actor(), offer_id, expected_version=body["version"])
    return _detail(offer_id)


@bp.post("/offers/<int:offer_id>/discard")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="discardOfferDraft", responses=ERRORS)
def discard_draft(offer_id: int, path: dict[str, int]) -> Any:
    """Discard a draft

    The draft closes as withdrawn, unseen by the partners. Your own drafts only.
    """
    proposals.discard_draft(current_actor(), offer_id)
    return _detail(offer_id)


@bp.post("/offers/<int:offer_id>/clone")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.output(a.OfferDetail, status_code=201, links=OFFER_LINKS)
@bp.doc(operation_id="cloneOffer", responses=ERRORS)
def clone_offer(offer_id: int, path: dict[str, int]) -> Any:
    """Clone a closed offer

    A new draft of yours on the last terms of a rejected, withdrawn or expired offer, with
    those of its parties that are still your active partners (409 if none is).
    """
    offer = proposals.clone(current_actor(), offer_id)
    return _detail(offer.id), 201


# ---------------------------------------------------------------------------------------------
# Counter-proposals, decisions, withdrawing


@bp.post("/offers/<int:offer_id>/revise")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferReviseIn, location="json", arg_name="body")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="reviseOffer", responses=WRITE_ERRORS)
def revise_offer(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Counter-propose

    Any party's partner managers and admins propose changed terms: the next revision, sent to
    every party at once; earlier decisions stay with their revision. Terms identical to the
    current ones are refused (422). Keep each placement's `key` to keep its identity in the
    diff. A party that is not your partner can name only the products it named in this offer.
    """
    with s.api_fields():
        proposals.revise(
            current_actor(), offer_id, terms=s.terms_input(body), expected_version=body["version"]
        )
    return _detail(offer_id)


@bp.post("/offers/<int:offer_id>/decide")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferDecideIn, location="json", arg_name="body")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="decideOffer", responses=WRITE_ERRORS)
def decide_offer(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Decide on the current revision

    Your company's answer (`approved`, `changes_requested` with a `comment`, or `rejected`
    with a `comment`) on `revision_number` — 409 if another revision replaced it or your
    company already answered. Approvers and admins; not the one who proposed the revision.
    The last approval closes the offer and creates the joint campaign (`campaign_id`).
    """
    reviews.decide(
        current_actor(),
        offer_id,
        revision_number=body["revision_number"],
        decision=body["decision"],
        comment=body["comment"],
    )
    return _detail(offer_id)


@bp.post("/offers/<int:offer_id>/withdraw")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferWithdrawIn, location="json", arg_name="body")
@bp.output(a.OfferDetail)
@bp.doc(operation_id="withdrawOffer", responses=WRITE_ERRORS)
def withdraw_offer(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Withdraw a sent offer

    The proposing company only (403 for the other parties); the partners are told, with the
    `reason` if given.
    """
    proposals.withdraw(current_actor(), offer_id, reason=body["reason"])
    return _detail(offer_id)


# ---------------------------------------------------------------------------------------------
# Discussion (the answer to a new comment is defined before the list that nests it, so the
# OpenAPI document names one ``OfferComment`` schema)


@bp.post("/offers/<int:offer_id>/comments")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(s.OfferCommentIn, location="json", arg_name="body")
@bp.output(a.OfferComment, status_code=201)
@bp.doc(operation_id="addOfferComment", responses=WRITE_ERRORS)
def add_comment(offer_id: int, path: dict[str, int], body: dict[str, str]) -> Any:
    """Comment on an offer

    Every party's people hear of it once the offer is sent. Partner managers, approvers and
    admins; not on a rejected, withdrawn or expired offer (409).
    """
    actor = current_actor()
    created = discussion.add_comment(actor, offer_id, body["body"])
    return offer_out.comment(
        discussion.CommentRow(created, actor.user.organization.name, actor.user.name)
    ), 201


@bp.get("/offers/<int:offer_id>/comments")
@bp.auth_required(auth)
@bp.input(s.OfferPath, location="path", arg_name="path")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(a.OfferCommentPage)
@bp.doc(operation_id="listOfferComments", responses=ERRORS)
def list_comments(offer_id: int, path: dict[str, int], query: dict[str, int]) -> Any:
    """List an offer's comments

    The discussion, oldest first. Comments on a draft are the proposer's own.
    """
    page = discussion.comments_page(
        current_actor(), offer_id, page=query["page"], per_page=query["per_page"]
    )
    return offer_out.comment_page(page, query["per_page"])
