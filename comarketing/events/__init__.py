"""Events (issue 20): what happened, told to each company that is a party to it.

A service calls :func:`raise_` in its own transaction, naming the companies that may hear of
the action and the payload's fields; one row per company is written with the action, so a
rolled-back action tells nobody and a committed one is never lost. The rows are what the
changes feed (``GET /api/v1/events``) reads, and each company's webhook endpoints subscribed to
the type get a delivery job queued in the same transaction (:mod:`comarketing.webhooks` sends
it). Every type and its fields are listed in :mod:`comarketing.events.catalogue`; a payload
that does not match its entry is a programming error, refused at once.
"""

from comarketing.events import payloads
from comarketing.events.catalogue import TYPES
from comarketing.events.models import Event
from comarketing.events.raising import campaign_parties, envelope, raise_, raise_each

__all__ = ["TYPES", "Event", "campaign_parties", "envelope", "payloads", "raise_", "raise_each"]
