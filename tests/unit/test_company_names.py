"""Names (issue 17): company names unique after NFKC + case folding + removal of invisible
characters; no control, bidi-override or zero-width character in any name or title field;
migration 0020 backfills the folded names and parts existing look-alikes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from comarketing import create_app
from comarketing.accounts import registration
from comarketing.accounts.models import Organization, User
from comarketing.accounts.names import fold_name, invisible_character
from comarketing.accounts.validation import clean_name
from comarketing.campaigns import lifecycle
from comarketing.context import Actor, Origin
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.partners import services as partners
from tests.conftest import base_config
from tests.databases import empty_database

PASSWORD = "a long and unusual passphrase"
# Each looks like "Acme Foods" on a page.
LOOK_ALIKES = [
    "acme foods",
    "ACME FOODS",
    "Acme\u00a0Foods",  # no-break space
    "Acme  Foods ",
    "\uff21cme Foods",  # fullwidth A
    "Ac\u200bme Foods",  # zero-width space
    "Acme\u2060 Foods",  # word joiner
    "\u202aAcme Foods",  # left-to-right embedding
]
REFUSED = {
    "right-to-left override": "Acme \u202eSDOOF",
    "zero-width space": "Ac\u200bme",
    "zero-width joiner": "Ac\u200dme",
    "byte order mark": "\ufeffAcme",
    "right-to-left isolate": "Acme \u2067x\u2069",
    "soft hyphen": "Ac\u00adme",
    "control character": "Acme\x07",
    "private use": "Acme \ue000",
}


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_fold_to_one_name(name):
    assert fold_name(name) == fold_name("Acme Foods") == "acme foods"


def test_folding_keeps_different_names_apart():
    assert fold_name("Straße") == fold_name("STRASSE")  # case folding, not lower()
    assert fold_name("Acme Food") != fold_name("Acme Foods")
    assert fold_name("Café") == fold_name("Cafe\u0301")  # composed and decomposed é


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_invisible_and_control_characters_are_refused_with_a_field_error(value):
    assert invisible_character(value)
    with pytest.raises(ValidationFailed, match="invisible or control character") as refused:
        clean_name(value, field="organization_name", label="Company name")
    assert refused.value.field == "organization_name"
    assert "U+" in refused.value.message  # names the character, so it can be found


def test_ordinary_unicode_names_are_kept():
    for name in ("Ōkami Soba", "Łódź Bakery", "مخبز", "パン屋", "Crème & Co."):
        assert clean_name(name, field="name", label="Name") == name


def test_a_look_alike_company_cannot_sign_up(ctx):
    registration.sign_up(
        organization_name="Acme Foods",
        name="Ann Acme",
        email="ann@acme.example",
        password=PASSWORD,
        origin=Origin(),
    )
    for name in LOOK_ALIKES:
        if invisible_character(" ".join(name.split())):
            continue  # refused earlier, as an invisible character
        with pytest.raises(ValidationFailed, match="looks the same") as refused:
            registration.create_organization_with_admin(
                organization_name=name, name="Eve", email="eve@x.example", password=PASSWORD
            )
        assert refused.value.field == "organization_name"
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1


def test_the_unique_constraint_holds_without_the_check(ctx):
    db.session.add(Organization(name="Acme Foods", slug="acme-1"))
    db.session.commit()
    db.session.add(Organization(name="ACME\u00a0foods", slug="acme-2"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_name_and_title_fields_of_other_records_refuse_bidi_overrides(world, ctx):
    def actor(email: str) -> Actor:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return Actor(user, Origin())

    with pytest.raises(ValidationFailed) as product:
        partners.create_product(actor("admin@a.example"), name="Flour \u202eruolf")
    assert product.value.field == "name"
    data = lifecycle.CampaignInput(
        "Spring\u200b", "", date(2030, 3, 1), date(2030, 4, 30), "EUR", 1000
    )
    with pytest.raises(ValidationFailed) as campaign:
        lifecycle.create_solo_campaign(actor("partner_manager@a.example"), data)
    assert campaign.value.field == "name"


# ---------------------------------------------------------------------------------------------
# Migration 0020 on existing rows


def test_migration_0020_backfills_folded_names_and_parts_existing_look_alikes(backend, tmp_path):
    with empty_database(backend, tmp_path) as url:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(revision="0018_flight_reach")
            with db.engine.begin() as conn:
                for org_id, name, slug in (
                    (1, "Acme Foods", "acme-foods"),
                    (2, "ACME\u00a0foods", "acme-foods-2"),
                    (3, "Beta", "beta"),
                ):
                    conn.execute(
                        sa.text(
                            "INSERT INTO organizations (id, name, slug, created_at) "
                            "VALUES (:id, :name, :slug, '2026-01-01 00:00:00')"
                        ),
                        {"id": org_id, "name": name, "slug": slug},
                    )

            upgrade()

            rows = db.session.execute(
                sa.select(Organization.id, Organization.name, Organization.name_folded).order_by(
                    Organization.id
                )
            ).all()
            assert rows == [
                (1, "Acme Foods", "acme foods"),  # the oldest keeps its name
                (2, "ACME\u00a0foods (acme-foods-2)", "acme foods (acme-foods-2)"),
                (3, "Beta", "beta"),
            ]
            db.session.remove()
            downgrade(revision="0018_flight_reach")
            upgrade()
            db.engine.dispose()
