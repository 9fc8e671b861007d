"""Bearer-token authentication for the API.

Tokens are read from the ``Authorization: Bearer`` header only — never from the query string
(it ends up in logs and browser history) and never from the session cookie (a page on another
site could otherwise make the browser call the API with the user's session). A request that
carries only a session cookie gets 401.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from apiflask import HTTPError, HTTPTokenAuth
from flask import Response, g, request
from flask.typing import ResponseReturnValue

from comarketing.accounts.models import User
from comarketing.api import services
from comarketing.api.errors import WWW_AUTHENTICATE, error_response
from comarketing.api.models import TokenScope
from comarketing.context import Actor, Origin

P = ParamSpec("P")
R = TypeVar("R")

security_log = logging.getLogger("comarketing.security")

auth = HTTPTokenAuth(
    scheme="Bearer",
    description=(
        "A personal access token (Settings → API tokens, or `flask tokens create`), sent as "
        "`Authorization: Bearer cmk_…`. Read tokens may only read; write tokens may also write."
    ),
)


@dataclass(frozen=True)
class Caller:
    user: User
    scope: str


@auth.verify_token
def _verify(token: str) -> Caller | None:
    found = services.authenticate(token or "")
    return Caller(*found) if found else None


@auth.error_processor
def _auth_error(error: HTTPError) -> Response:
    security_log.warning(
        "security event=api_auth_failed status=%s ip=%s path=%s request_id=%s",
        error.status_code,
        request.remote_addr,
        request.path,
        g.get("request_id"),
    )
    return error_response(error.status_code, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def current_caller() -> Caller:
    caller = auth.current_user
    assert isinstance(caller, Caller), "current_caller() outside an authenticated API view"
    return caller


def current_actor() -> Actor:
    """The token's user, acting from this request, for the services."""
    return Actor(
        user=current_caller().user,
        origin=Origin(ip=request.remote_addr, request_id=g.get("request_id")),
    )


def require_write(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    """For write endpoints, under ``auth_required``: a read-only token answers 403."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
        if current_caller().scope != TokenScope.WRITE.value:
            security_log.warning(
                "security event=authorization_denied status=403 user=%s ip=%s path=%s "
                "request_id=%s reason=read_token",
                current_caller().user.email,
                request.remote_addr,
                request.path,
                g.get("request_id"),
            )
            return error_response(403, "This token may only read; create a write token.")
        return view(*args, **kwargs)

    return wrapper
