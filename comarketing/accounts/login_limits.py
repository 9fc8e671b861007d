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
"""

from __future__ import annotations

import time

from flask import current_app
from limits import RateLimitItem, parse
from werkzeug.exceptions import TooManyRequests

from comarketing.extensions import limiter

_PAIR = "login-account-address"
_ACCOUNT = "login-account"


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
    strategy = limiter.limiter
    pair_stats = strategy.get_window_stats(pair, *pair_key)
    if pair_stats.remaining <= 0:
        raise _refusal(pair_stats.reset_time)
    failed_here = pair_stats.remaining < pair.amount
    if failed_here and not strategy.test(ceiling, *account_keys):
        raise _refusal(strategy.get_window_stats(ceiling, *account_keys).reset_time)


def record_failure(email: str, address: str) -> None:
    pair, ceiling = _items()
    pair_key, account_keys = _keys(email, address)
    limiter.limiter.hit(pair, *pair_key)
    limiter.limiter.hit(ceiling, *account_keys)


def _refusal(reset_time: float) -> TooManyRequests:
    return TooManyRequests(retry_after=max(1, int(reset_time - time.time()) + 1))
