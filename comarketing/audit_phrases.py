"""What each audit action says, as one sentence with placeholders (see
:mod:`comarketing.audit_words`, which fills them). A new action needs a line here; until it has
one, the log shows it in a generic sentence."""

from __future__ import annotations

# Placeholders: {actor}; {target} (the record, named and quoted as fits its kind) and
# {target_s} (its possessive); {campaign}, {placement}, {party} (named from the ids in the
# details); {partner} (the other company of a partnership); {amount} (in the campaign's
# currency); {old}/{new}/{role} (roles and statuses in words); any other key of the details.
PHRASES: dict[str, str] = {
    "auth.signed_in": "{actor} signed in",
    "auth.signed_out": "{actor} signed out",
    "auth.sign_in_failed": "A sign-in as {actor} failed ({reason})",
    "auth.sign_up_attempted": "Someone tried to sign up a new company with {actor}'s address",
    "auth.password_changed": "{actor} changed their password",
    "auth.reset_requested": "{actor} asked for a password reset link",
    "auth.reset_requested_unknown": "Someone asked to reset the password of {actor}, "
    "which has no account",
    "auth.password_reset": "{actor} reset their password with a link",
    "user.invited": "{actor} invited {email} to join as {role}",
    "user.joined": "{actor} joined as {role}",
    "user.invitation_revoked": "{actor} revoked the invitation of {target}",
    "user.role_changed": "{actor} changed {target_s} role from {old} to {new}",
    "user.deactivated": "{actor} deactivated {target}",
    "user.reactivated": "{actor} reactivated {target}",
    "user.created_by_operator": "{actor} created the account of {target} as {role}",
    "organization.created": "{actor} created the company {name}",
    "organization.review_days_changed": "{actor} set the offer review window to {days} "
    "business days",
    "organization.claim_days_changed": "{actor} set the claim confirmation window to {days} "
    "business days",
    "organization.audience_minimum_changed": "{actor} set the minimum audience count to {count}",
    "organization.four_eyes_changed": "{actor} turned four-eyes approval {on_off}",
    "api_token.created": "{actor} created the API token “{name}” ({scope})",
    "api_token.revoked": "{actor} revoked the API token “{name}”",
    "calendar_feed.created": "{actor} created a calendar feed link",
    "calendar_feed.revoked": "{actor} revoked their calendar feed link",
    "partnership.invited": "{actor} invited {partner} to become a partner",
    "partnership.invitation_claimed": "{actor} accepted {partner}'s partner invitation",
    "partnership.accepted": "{actor} accepted the partnership with {partner}",
    "partnership.declined": "{actor} declined the partnership with {partner}",
    "partnership.cancelled": "{actor} cancelled the partner invitation to {partner}",
    "partnership.ended": "{actor} ended the partnership with {partner}",
    "product.created": "{actor} added the product {target}",
    "product.updated": "{actor} edited the product {target}",
    "product.archived": "{actor} archived the product {target}",
    "product.restored": "{actor} restored the product {target}",
    "offer.created": "{actor} started the offer draft {target}",
    "offer.draft_edited": "{actor} edited the offer draft {target}",
    "offer.sent": "{actor} sent the offer {target} (revision {revision})",
    "offer.revised": "{actor} revised the offer {target} (revision {revision})",
    "offer.withdrawn": "{actor} withdrew the offer {target}",
    "offer.discarded": "{actor} discarded the offer draft {target}",
    "offer.cloned": "{actor} copied an offer into the new draft {target}",
    "offer.commented": "{actor} commented on the offer {target}",
    "offer.expired": "The offer {target} expired before every party decided",
    "offer.approved": "{actor} approved revision {revision} of the offer {target}",
    "offer.changes_requested": "{actor} requested changes to revision {revision} of the "
    "offer {target}",
    "offer.rejected": "{actor} rejected revision {revision} of the offer {target}",
    "offer.approved_by_all": "Every party approved the offer {target}: it became {campaign}",
    "campaign.created": "{actor} created the campaign {target}",
    "campaign.updated": "{actor} edited the campaign {target}",
    "campaign.status_changed": "{actor} changed the campaign {target} from {old} to {new}",
    "campaign.universe_set": "{actor} set the audience universe of the campaign {target}",
    "placement.created": "{actor} added the placement {target} to {campaign}",
    "placement.updated": "{actor} edited the placement {target} of {campaign}",
    "placement.flight_reach": "{actor} set the flight reach of the placement {target} "
    "of {campaign}",
    "placement.name_added": "{actor} remembered the platform name {target} for a placement "
    "of {campaign}",
    "placement.name_removed": "{actor} removed a platform name from a placement of {campaign}",
    "milestone.created": "{actor} added the milestone {target} to {campaign}",
    "milestone.done": "{actor} marked the milestone {target} of {campaign} done",
    "collateral.requested": "{actor} asked for the material {target}",
    "collateral.request_taken": "{actor} took on the material request {target}",
    "collateral.request_delivered": "{actor} delivered the material request {target}",
    "collateral.asset_created": "{actor} uploaded the material {target}",
    "collateral.version_added": "{actor} uploaded version {version} of the material {target}",
    "collateral.approved": "{actor} approved version {version} of the material {target}",
    "collateral.changes_requested": "{actor} requested changes to version {version} of the "
    "material {target}",
    "metrics.upload": "{actor} uploaded the results file {target}",
    "metrics.import": "{actor} imported the results file {target} ({rows} rows read)",
    "metrics.upsert": "{actor} entered results of the placement {placement}",
    "metrics.delete": "{actor} deleted {days} days of results of the placement {placement}",
    "audience.placement_uploaded": "{actor} uploaded an audience file for the placement {target}",
    "audience.list_created": "{actor} uploaded the audience list {target}",
    "audience.list_replaced": "{actor} replaced the audience list {target}",
    "audience.list_deleted": "{actor} deleted the audience list “{name}”",
    "ledger.commitment": "{actor} recorded {party}'s commitment of {amount} to {campaign}",
    "ledger.expense": "{actor} recorded an expense of {amount} paid by {party} in {campaign}",
    "ledger.expense.override": "{actor} recorded an expense of {amount} paid by {party} in "
    "{campaign}, past the commitments (override: {override_reason})",
    "ledger.reversal": "{actor} reversed a ledger entry of {campaign}",
    "claim.confirmed": "{actor} confirmed an expense claim in {campaign}",
    "claim.disputed": "{actor} disputed an expense claim in {campaign}",
    "claim.auto_confirmed": "An expense claim in {campaign} was confirmed automatically when "
    "its confirmation window closed",
    "payment.recorded": "{actor} recorded a payment of {amount} in {campaign}",
    "payment.confirmed": "{actor} confirmed receiving a payment in {campaign}",
    "payment.rejected": "{actor} rejected a payment in {campaign}",
}

# How a record of each kind is named in a sentence; kinds not listed are named by their number.
KIND_WORDS = {
    "users": "",
    "organizations": "",
    "partnerships": "the partnership with",
    "campaigns": "campaign",
    "placements": "placement",
    "offers": "offer",
    "products": "product",
    "milestones": "milestone",
    "collateral_assets": "material",
    "collateral_requests": "material request",
    "metric_imports": "results file",
    "audience_lists": "audience list",
}
