"""How many wrong passwords a sign-in may cost, per account, without letting a stranger lock
the account's owner out.

Three counts of failed sign-ins, in the rate-limit storage (Redis in production, so every
worker process sees them):

- per address (``LOGIN_LIMIT_PER_IP``, the route's decorator): one address guessing many
  accounts;
- per account and address (``LOGIN_LIMIT_PER_ACCOUNT_ADDRESS``): one address guessing one
  account; its owner signing in from elsewhere is not affected;
- per account (``LOGIN_LIMIT_PER_ACCOUNT``, a much higher ceiling): many addresses guessing one
  account. Past it, only addresses that have not failed on that account lately may try, once
  each: the owner at their usual address still signs in, and a guesser spends an address per
  guess.

Only failures count: a correct password costs nothing.

When the storage does not answer (Redis stopped), these counts go on in this process's memory,
like the route limits (Flask-Limiter's in-memory fallback): each worker process then admits the
configured attempts on its own, until Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter
from werkzeug.exceptions import TooManyRequests

from comarketing.extensions import limiter

log = logging.getLogger(__name__)

_PAIR = "login-account-address"
_ACCOUNT = "login-account"
_fallbacks: dict[type[RateLimiter], RateLimiter] = {}


def _counted(call: Callable[[RateLimiter], Any]) -> Any:
    """``call`` on the shared storage; on this process's memory when that does not answer."""
    strategy = limiter.limiter
    try:
        return call(strategy)
    except Exception:  # the storage's own errors (redis' differ from memcached's): not ours
        log.warning("sign-in limits: rate-limit storage unreachable; counting in memory")
        kind = type(strategy)
        if kind not in _fallbacks:
            _fallbacks[kind] = kind(MemoryStorage())
        return call(_fallbacks[kind])


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _keys(email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # The app's prefix first, as Flask-Limiter's own keys have it: apps sharing a Redis
    # (and parallel test runs) count apart.
    prefix = str(current_app.config["RATELIMIT_KEY_PREFIX"])
    account = account_key(email)
    return (prefix, _PAIR, account, address), (prefix, _ACCOUNT, account)


def _items() -> tuple[RateLimitItem, RateLimitItem]:
    config = current_app.config
    return parse(config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"]), parse(
        config["LOGIN_LIMIT_PER_ACCOUNT"]
    )


def check(email: str, address: str) -> None:
    """Raise 429 (with Retry-After) when this address may not try this account now."""
    pair, ceiling = _items()
    pair_key, account_keys = _keys(email, address)
    pair_stats = _counted(lambda strategy: strategy.get_window_stats(pair, *pair_key))
    if pair_stats.remaining <= 0:
        raise _refusal(pair_stats.reset_time)
    failed_here = pair_stats.remaining < pair.amount
    if failed_here and not _counted(lambda strategy: strategy.test(ceiling, *account_keys)):
        reset = _counted(lambda strategy: strategy.get_window_stats(ceiling, *account_keys))
        raise _refusal(reset.reset_time)


def record_failure(email: str, address: str) -> None:
    pair, ceiling = _items()
    pair_key, account_keys = _keys(email, address)
    _counted(lambda strategy: strategy.hit(pair, *pair_key))
    _counted(lambda strategy: strategy.hit(ceiling, *account_keys))


def _refusal(reset_time: float) -> TooManyRequests:
    return TooManyRequests(retry_after=max(1, int(reset_time - time.time()) + 1))
