"""Report queries on a second database (``REPORTS_DATABASE_URL``, e.g. a streaming replica).

The report entry points (the dashboard's figures, a campaign's report, the home page's pacing
tile) run inside :func:`reports_database`; while it is open, the session sends its statements
to the ``reports`` bind when one is configured. Everything else, and every flush even inside
it, goes to the primary: writes never reach the replica. Without ``REPORTS_DATABASE_URL`` this
changes nothing.

A replica may lag the primary by a moment: a figure just entered can show on the report a
moment later. Pages that write and then show what they wrote do not read through here.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

BIND = "reports"
_reading: ContextVar[bool] = ContextVar("reading_reports", default=False)

P = ParamSpec("P")
R = TypeVar("R")


class ReplicaAwareSession(Session):
    """Flask-SQLAlchemy's session, sending reads to the reports bind inside a report."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: sa.Engine | sa.Connection | None = None,
        **kwargs: Any,
    ) -> sa.Engine | sa.Connection:
        if bind is None and _reading.get() and not self._flushing:
            engine = self._db.engines.get(BIND)
            if engine is not None:
                return engine
        return super().get_bind(mapper, clause, bind, **kwargs)


@contextlib.contextmanager
def reports_database() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_reports(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function``'s queries on the reports database (when one is configured)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reports_database():
            return function(*args, **kwargs)

    return wrapper
