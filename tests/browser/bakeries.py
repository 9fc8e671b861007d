"""The journeys' two partner companies: Millstone (flour) and Goldcrest (shortening)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from comarketing.accounts.models import Organization, Role
from comarketing.extensions import db
from tests import factories

FLOUR, SHORTENING = "Millstone Flour Co.", "Goldcrest Shortening"


def partnered_bakeries(
    people: Iterable[tuple[str, str, str, Role]], **shortening_settings: Any
) -> tuple[Organization, Organization]:
    """Both companies, partners, with ``people`` as (``"flour"`` or ``"shortening"``, email,
    name, role); committed. Call inside an app context."""
    flour = factories.OrganizationFactory(name=FLOUR, slug="millstone")
    shortening = factories.OrganizationFactory(
        name=SHORTENING, slug="goldcrest", **shortening_settings
    )
    companies = {"flour": flour, "shortening": shortening}
    for side, email, name, role in people:
        factories.UserFactory(organization=companies[side], email=email, name=name, role=role.value)
    factories.PartnershipFactory(
        inviter_organization_id=flour.id, invitee_organization_id=shortening.id
    )
    db.session.commit()
    return flour, shortening
