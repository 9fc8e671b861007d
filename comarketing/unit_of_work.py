"""One transaction per public service function."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from comarketing.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def transactional(function: Callable[P, R]) -> Callable[P, R]:
    """Roll back whatever the function changed if it raises, so a refused request leaves no
    half-made change in the session for the next one to flush by accident."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return wrapper
