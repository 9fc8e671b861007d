"""Which function runs each kind of job. Domain packages register theirs with :func:`handler`;
the application factory imports them all at start (``JOB_HANDLER_MODULES``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``function(payload) -> result`` for jobs of ``kind``. The function must be
    idempotent: it checks its own records first, so a second run after a crash does nothing
    twice."""

    def register(function: Handler) -> Handler:
        if _HANDLERS.get(kind, function) is not function:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _HANDLERS[kind] = function
        return function

    return register


def lookup(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no handler is registered for job kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_HANDLERS)
