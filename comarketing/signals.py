"""Domain events that a package to the right may react to without being imported by the
package that announces them (offers never imports collateral, yet its drafts follow the offer).

Sits below every domain package and imports none of them. Each signal is sent inside the
sender's transaction, before its commit; receivers only change the session (they never commit),
so the event and its consequences are committed — or rolled back — together.

The sender is the acting :class:`comarketing.context.Actor`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: An offer went from draft to sent. Keywords: ``offer_id`` (int), ``sent_at`` (aware datetime).
offer_sent = _signals.signal("offer-sent")

#: Approval by every party turned an offer into a joint campaign. Keywords: ``offer_id`` (int),
#: ``campaign_id`` (int).
joint_campaign_created = _signals.signal("joint-campaign-created")
