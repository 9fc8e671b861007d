"""The scene's webhook records (issue 20): an endpoint of A, of B and of C, made through the
service at the end of the scene (so no delivery is queued for the scene's own events), and
one event id of each."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.events import Event
from comarketing.extensions import db
from comarketing.webhooks import endpoints
from tests import factories
from tests.security.conftest import actor_for


def build_webhooks(world: factories.World) -> dict[str, object]:
    out: dict[str, object] = {}
    addresses = ((world.a, "192.0.2.10"), (world.b, "192.0.2.20"), (world.c, "192.0.2.30"))
    for company, address in addresses:
        key = company.key.lower()
        endpoint, _ = endpoints.create_endpoint(
            actor_for(company.email("admin")),
            url=f"https://{address}/hooks",
            description=f"{company.name} CRM",
            event_types=["campaign.created", "offer.sent"],
        )
        out[f"{key}_webhook"] = endpoint.id
        out[f"{key}_event"] = db.session.scalar(
            sa.select(Event.public_id)
            .where(Event.organization_id == company.id)
            .order_by(Event.id.desc())
            .limit(1)
        )
    return out
