"""Which function runs each kind of job. Domain packages register theirs with :func:`handler`;
the application factory imports them all at start (``JOB_HANDLER_MODULES``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
FailureHook = Callable[[dict[str, Any], str], None]
_HANDLERS: dict[str, Handler] = {}
_FAILURE_HOOKS: dict[str, FailureHook] = {}


def handler(kind: str, *, on_failure: FailureHook | None = None) -> Callable[[Handler], Handler]:
    """Register ``function(payload) -> result`` for jobs of ``kind``. The function must be
    idempotent: it checks its own records first, so a second run after a crash does nothing
    twice. ``on_failure(payload, error)`` is called (in its own transaction) once the job has
    failed for good, so the domain's own record can say so."""

    def register(function: Handler) -> Handler:
        if _HANDLERS.get(kind, function) is not function:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _HANDLERS[kind] = function
        if on_failure is not None:
            _FAILURE_HOOKS[kind] = on_failure
        return function

    return register


def lookup(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no handler is registered for job kind {kind!r}") from None


def failure_hook(kind: str) -> FailureHook | None:
    return _FAILURE_HOOKS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)
