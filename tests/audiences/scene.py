"""Audience records for the security scene (tests/security/conftest.py calls this): A's list
and a sketch for A's placement of the A-B campaign, B's sketch for its A-B placement, and C's
list and placement sketch, named with the canary (C's identifiers end in the canary too)."""

from __future__ import annotations

import io
from typing import Any

from comarketing.audiences import services as audiences
from comarketing.context import Actor, Origin
from comarketing.extensions import db
from tests import factories


def _actor(email: str) -> Actor:
    import sqlalchemy as sa

    from comarketing.accounts.models import User

    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return Actor(user, Origin())


def _file(prefix: str, count: int) -> io.BytesIO:
    return io.BytesIO("".join(f"{prefix}{i}@example.com\n" for i in range(count)).encode())


def build_audiences(world: factories.World, ids: dict[str, Any]) -> dict[str, Any]:
    canary = world.canary
    a_pm = _actor(world.a.email("partner_manager"))
    b_pm = _actor(world.b.email("partner_manager"))
    c_pm = _actor(world.c.email("partner_manager"))
    options = audiences.Options()
    a_list = audiences.create_list(
        a_pm, "Alpha customers", _file("alpha", 40), "alpha.txt", options
    )
    audiences.upload_for_placement(
        a_pm, ids["ab_placement_a"], _file("shared", 30), "a.txt", options
    )
    audiences.upload_for_placement(
        b_pm, ids["ab_placement_b"], _file("shared", 45), "b.txt", options
    )
    c_list = audiences.create_list(
        c_pm, f"Gamma buyers {canary}", _file("gamma", 7777), f"gamma {canary}.txt", options
    )
    audiences.upload_for_placement(
        c_pm, ids["c_solo_placement"], _file("gammasolo", 6543), f"solo {canary}.txt", options
    )
    return {"a_audience_list": a_list.list_id, "c_audience_list": c_list.list_id}
