"""The offers API's answers (the schemas of ``offer_answers``), filled from what the offer
services read (``offers.lists``, ``offers.offer_page``, ``offers.discussion``): the same facts as
the offer pages, as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from comarketing.api import schemas
from comarketing.offers.approvals import PartyApproval
from comarketing.offers.discussion import CommentPage, CommentRow
from comarketing.offers.lists import OfferPage, OfferRow
from comarketing.offers.offer_page import OfferView, RevisionView
from comarketing.offers.plan import share_amounts


def _ref(organization_id: int, names: dict[int, str]) -> dict[str, Any]:
    return {"id": organization_id, "name": names.get(organization_id, "")}


def _refs(names: dict[int, str]) -> list[dict[str, Any]]:
    return [_ref(oid, names) for oid, _ in sorted(names.items(), key=lambda kv: kv[1])]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def summary(row: OfferRow) -> dict[str, Any]:
    offer, names = row.offer, row.party_names
    return {
        "id": offer.id,
        "title": row.title,
        "status": offer.status,
        "status_text": row.words.text,
        "proposer": _ref(offer.proposer_organization_id, names),
        "parties": _refs(names),
        "current_revision": offer.current_revision_number,
        "review_due_at": row.review_due_at,
        "overdue": row.overdue,
        "awaiting_me": row.awaiting_me,
        "campaign_id": row.campaign_id,
        "updated_at": offer.updated_at,
    }


def offer_page(page: OfferPage, per_page: int) -> dict[str, Any]:
    return {
        "items": [summary(row) for row in page.rows],
        "page": page.page,
        "per_page": per_page,
        "total": page.total,
        "has_more": page.has_more,
    }


def _terms(rv: RevisionView, names: dict[int, str], products: dict[int, str]) -> dict[str, Any]:
    r = rv.revision
    currency = r.currency
    budget, revenue = share_amounts(r)
    return {
        "title": r.title,
        "value_proposition": r.value_proposition,
        "audience": r.audience,
        "start_date": r.start_date,
        "end_date": r.end_date,
        "currency": currency,
        "total_budget": schemas.money(r.total_budget_minor, currency),
        "targets": {
            "reach": r.target_reach,
            "leads": r.target_leads,
            "revenue": schemas.money(r.target_revenue_minor, currency),
        },
        "parties": [
            {
                "organization": _ref(t["organization_id"], names),
                "products": [
                    {"id": p, "name": products.get(p, "")} for p in sorted(t["product_ids"])
                ],
                "budget_share_bp": t["budget_share_bp"],
                "revenue_share_bp": t["revenue_share_bp"],
                "budget_commitment": schemas.money(budget[t["organization_id"]], currency),
                "revenue_target_share": None
                if revenue is None
                else schemas.money(revenue[t["organization_id"]], currency),
            }
            for t in sorted(r.party_terms, key=lambda t: names.get(t["organization_id"], ""))
        ],
        "placements": [
            {
                "key": p.get("key"),
                "name": p["name"],
                "channel": p["channel"],
                "owner": _ref(p["owner_organization_id"], names),
                "start_date": _day(p.get("start_date")),
                "end_date": _day(p.get("end_date")),
                "planned_cost": schemas.money(p["planned_cost_minor"], currency),
            }
            for p in r.placements
        ],
        "planned_total": schemas.money(rv.plan.planned_minor, currency),
    }


def _approval(state: PartyApproval, names: dict[int, str], people: dict[int, str]) -> Any:
    return {
        "organization": _ref(state.organization_id, names),
        "outcome": state.outcome,
        "waiting_for_second": state.waiting_for_second,
        "decisions": [
            {
                "decision": d.decision,
                "implicit": d.implicit,
                "by": people.get(d.user_id or 0),
                "role": d.decider_role,
                "comment": d.comment,
                "at": d.created_at,
            }
            for d in state.records
        ],
    }


def _revision(rv: RevisionView, view: OfferView, names: dict[int, str]) -> dict[str, Any]:
    r = rv.revision
    return {
        "number": r.number,
        "author_organization": _ref(r.author_organization_id, names),
        "author": view.people.get(r.author_id or 0),
        "change_note": r.change_note,
        "created_at": r.created_at,
        "sent_at": r.sent_at,
        "review_due_at": r.review_due_at,
        "four_eyes": bool(r.four_eyes),
        "terms": _terms(rv, names, view.products),
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after, "kind": c.kind}
            for c in rv.changes
        ],
        "approvals": [
            _approval(rv.decisions[oid], names, view.people)
            for oid, _ in sorted(names.items(), key=lambda kv: kv[1])
            if oid in rv.decisions
        ],
    }


def detail(view: OfferView) -> dict[str, Any]:
    offer = view.offer
    names = {oid: org.name for oid, org in view.parties.items()}
    current = view.current.revision
    return {
        "id": offer.id,
        "title": view.title,
        "status": offer.status,
        "status_text": view.words.text,
        "proposer": _ref(offer.proposer_organization_id, names),
        "parties": _refs(names),
        "current_revision": offer.current_revision_number,
        "review_due_at": current.review_due_at,
        "overdue": view.overdue,
        "awaiting_me": view.awaiting_me,
        "campaign_id": view.campaign_id,
        "updated_at": offer.updated_at,
        "version": offer.version,
        "created_at": offer.created_at,
        "sent_at": offer.sent_at,
        "closed_at": offer.closed_at,
        "expires_at": offer.expires_at,
        "cloned_from_id": offer.cloned_from_id,
        "can_decide": view.can_decide,
        "awaiting": [{"id": org.id, "name": org.name} for org in view.awaiting],
        "revisions": [_revision(rv, view, names) for rv in view.revisions],
        "timeline": [
            {
                "at": item.at,
                "kind": item.kind,
                "organization": item.organization,
                "author": item.author,
                "text": item.text,
            }
            for item in view.timeline
        ],
    }


def comment(row: CommentRow) -> dict[str, Any]:
    c = row.comment
    return {
        "id": c.id,
        "offer_id": c.offer_id,
        "organization": {"id": c.organization_id, "name": row.organization},
        "author": row.author or None,
        "body": c.body,
        "created_at": c.created_at,
    }


def comment_page(page: CommentPage, per_page: int) -> dict[str, Any]:
    return {
        "items": [comment(row) for row in page.rows],
        "page": page.page,
        "per_page": per_page,
        "total": page.total,
        "has_more": page.has_more,
    }
