"""Shared setup for the results tests: A and B run a joint campaign (2027-03-01..04-30)
with one placement each; A also has a solo campaign."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests import factories

PM = "partner_manager"


@dataclass(frozen=True)
class Scene:
    world: factories.World
    campaign_id: int
    a_placement: int
    b_placement: int


@pytest.fixture
def scene(app: Flask, world: factories.World) -> Scene:
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    return Scene(world, joint.id, joint.a_placement, joint.b_placement)


def upload(client: FlaskClient, content: bytes, name: str = "results.csv") -> Any:
    return client.post(
        "/metrics/imports",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def import_id_from(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def run_imports_at_once(app: Flask, import_ids: list[int]) -> list[object]:
    """Run confirmed imports in threads released together; each one's status, or the
    exception it raised (kept for the assertion message)."""
    from comarketing.metrics import runs

    barrier = threading.Barrier(len(import_ids))
    outcomes: list[object] = [None] * len(import_ids)

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = runs.run_import(import_ids[index]).status
            except Exception as exc:
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(import_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
