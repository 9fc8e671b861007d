"""Fixtures for the API tests: tokens for users of the world, and a client that sends one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from comarketing.accounts.models import User
from comarketing.api import services as api_tokens
from comarketing.context import Actor, Origin
from comarketing.extensions import db
from tests import factories


def actor_for(email: str) -> Actor:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return Actor(user, Origin(ip="192.0.2.1", request_id="test-request"))


@dataclass
class ApiClient:
    """A test client that sends ``Authorization: Bearer <token>`` on every request."""

    client: FlaskClient
    token: str

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open(path, "POST", **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open(path, "PATCH", **kwargs)


MakeToken = Callable[..., str]


@pytest.fixture
def make_token(app: Flask, world: factories.World) -> MakeToken:
    """``make_token(email, scope="read", days=30, name=...)`` -> the plaintext token."""
    counter = iter(range(1, 1_000_000))

    def make(email: str, scope: str = "read", days: int = 30, name: str | None = None) -> str:
        with app.app_context():
            _, plaintext = api_tokens.create_token(
                actor_for(email), name=name or f"token {next(counter)}", scope=scope, days=days
            )
            db.session.remove()
        return plaintext

    return make


@pytest.fixture
def api_as(app: Flask, make_token: MakeToken) -> Callable[..., ApiClient]:
    """``api_as(email, scope="read")`` -> an ApiClient with a fresh token of that user."""

    def build(email: str, scope: str = "read") -> ApiClient:
        return ApiClient(app.test_client(), make_token(email, scope))

    return build


def error_of(response: TestResponse) -> dict[str, Any]:
    """The ``error`` object of a JSON error response, checking the one shape on the way."""
    assert response.mimetype == "application/json", (response.status, response.data[:200])
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "message", "field", "errors"}, error
    assert error["status"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["errors"], list)
    return dict(error)
