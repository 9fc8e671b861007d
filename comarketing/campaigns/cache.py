"""Computed figures and rendered pages kept between requests, never stale: the report pages,
the home page, the calendar, the campaign, placement, offer and collateral pages, the API's
ledger and days. Here, beside the data version it keys them by, so every package that shows
what the version covers may keep what it computed.

An entry's key holds the company, its **data version** (``campaigns.data_version``: raised in
the same transaction as every write to its campaigns, milestones, results, ledger, claims,
audiences, offers, materials or invitations), what was computed and its arguments (period,
filters). A write changes the version, so the next page computes afresh and the old entries
are never read again (Redis lets them expire; the in-process store forgets the least
recently used). One company's figures are only ever read under its own id: the key starts
with the company of the person asking. What the clock changes too (what is overdue) is kept
with the first instant it changes (:class:`Until`) and computed afresh from then on.

Where (``REPORT_CACHE``): Redis at ``REDIS_URL`` (shared by the workers), else this process's
memory, or "off". Entries are pickled and signed with an HMAC of the app's secret key: an entry
that does not verify (written by anything else with access to Redis) is ignored, never
unpickled. Redis unreachable: the figures are computed as if nothing were cached (logged once
a minute), so an outage slows pages down but breaks none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from flask import current_app, g
from markupsafe import Markup

from comarketing.campaigns import data_version

T = TypeVar("T")
log = logging.getLogger("comarketing")
# Without Redis, what one process keeps: the least recently read go first past this size (a
# report's figures are 100+ KB, a page's block a few KB to a few hundred).
MEMORY_BYTES = 64 * 1024 * 1024
_READ = "report_cache_read"
# This process's start: rendered HTML (and the API's written answers) is kept per process, so
# a release (a template or code change) renders afresh.
PROCESS = secrets.token_hex(8)
_REDIS_ERROR_EVERY = 60.0
# The version of a company nothing was ever written for: the same in every database (a
# rebuilt one, the next test's), so nothing is kept under it.
NEVER_WRITTEN = 0


class _Memory:
    """A least-recently-used store for one process, bounded in bytes (threads share it)."""

    def __init__(self, size: int = MEMORY_BYTES) -> None:
        self.size = size
        self.used = 0
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def set(self, key: str, value: bytes, _seconds: int) -> None:
        with self.lock:
            self.used += len(value) - len(self.entries.pop(key, b""))
            self.entries[key] = value
            while self.used > self.size and len(self.entries) > 1:
                _, dropped = self.entries.popitem(last=False)
                self.used -= len(dropped)


class _Redis:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.failed_at = 0.0

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self.failed_at > _REDIS_ERROR_EVERY:
            log.warning("report cache: Redis unavailable, computing figures afresh (%s)", exc)
        self.failed_at = now

    def get(self, key: str) -> bytes | None:
        import redis

        try:
            found = self.client.get(key)
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return found if isinstance(found, bytes) else None

    def set(self, key: str, value: bytes, seconds: int) -> None:
        import redis

        try:
            self.client.set(key, value, ex=seconds)
        except redis.RedisError as exc:
            self._failed(exc)


_STORES: dict[tuple[str, str], Any] = {}
_STORES_LOCK = threading.Lock()


def _store() -> Any:
    """The app's store, made once per process and setting."""
    config = current_app.config
    kind = config.get("REPORT_CACHE") or ("redis" if config.get("REDIS_URL") else "memory")
    if kind == "off":
        return None
    where = (kind, str(config.get("REDIS_URL") or "") if kind == "redis" else current_app.name)
    with _STORES_LOCK:
        if where not in _STORES:
            _STORES[where] = _Redis(where[1]) if kind == "redis" else _Memory()
        return _STORES[where]


def _signature(payload: bytes) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, payload, hashlib.sha256).digest()


def _key(organization_id: int, version: int, name: str, arguments: Hashable) -> str:
    argument_hash = hashlib.sha256(repr(arguments).encode()).hexdigest()[:32]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "comarketing"
    return f"{prefix}:report-cache:{organization_id}:{version}:{name}:{argument_hash}"


def figures(
    organization_id: int,
    name: str,
    arguments: Hashable,
    compute: Callable[[], T],
    still_good: Callable[[T], bool] | None = None,
) -> T:
    """``compute()``'s result for the company at its current data version: from the cache when
    it holds it, else computed and kept. ``arguments`` (period, filters ...) must be everything
    the result depends on besides the company and its data; callers authorize first.
    ``still_good``: for figures the clock changes too (what is overdue), whether a kept value
    still holds now; one that does not is computed afresh and kept in its place."""
    store = _store()
    if store is None:
        return compute()
    version = data_version.current(organization_id)
    if version == NEVER_WRITTEN:
        value = compute()
    else:
        key = _key(organization_id, version, name, arguments)
        value = _kept(store, key, compute, still_good)
    # What the page's fragments are kept under (``fragments``): these figures, at this version.
    # Recorded once computed, so figures computed from others (read inside ``compute``) are
    # the ones recorded, whether or not this read found them kept.
    g.setdefault(_READ, {})[organization_id] = (version, name, arguments)
    return value


@dataclass(frozen=True)
class Until(Generic[T]):
    """A value, and the first instant from which the clock alone changes it (a review falls
    due, an invitation expires); None: never."""

    value: T
    changes_at: datetime | None


def first_from(now: datetime, *instants: datetime | None) -> datetime | None:
    """The first of these instants from ``now`` on: when what was read at ``now`` changes by
    the clock alone (what falls due at that instant is overdue right after it)."""
    return min((at for at in instants if at is not None and at >= now), default=None)


def instant(at: datetime | None) -> str | None:
    """An instant as a key's part: its ISO text (a ``repr`` names the value's class, which a
    driver or a clock library may choose differently for the same instant)."""
    return None if at is None else at.isoformat()


def until(
    organization_id: int,
    name: str,
    arguments: Hashable,
    compute: Callable[[], Until[T]],
    now: datetime,
) -> Until[T]:
    """``figures`` for what the clock changes too: kept until its ``changes_at``, then
    computed afresh and kept in its place."""
    return figures(
        organization_id,
        name,
        arguments,
        compute,
        still_good=lambda kept: kept.changes_at is None or now < kept.changes_at,
    )


def _kept(
    store: Any, key: str, compute: Callable[[], T], still_good: Callable[[T], bool] | None = None
) -> T:
    found = store.get(key)
    if found is not None and len(found) > 32:
        signature, payload = found[:32], found[32:]
        if hmac.compare_digest(signature, _signature(payload)):
            value: T = pickle.loads(payload)  # noqa: S301 - signed with our secret key
            if still_good is None or still_good(value):
                return value
    value = compute()
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    store.set(key, _signature(payload) + payload, int(current_app.config["REPORT_CACHE_SECONDS"]))
    return value


def fragments(
    organization_id: int, scope: Hashable, secrets: Sequence[str] = ()
) -> Callable[..., Markup]:
    """A template's ``cached`` (``{% call cached("name") %}...{% endcall %}``): the block's HTML,
    rendered once and kept like the figures it shows.

    Kept under the figures the page read last this request (their version, name and arguments:
    a block is never kept under other figures than those it was rendered from; with none read,
    the company's current version), ``scope`` (what else the block shows: the query string of
    its links ...), the block's name and this process's start (a release renders afresh).
    A report's tables are most of its page's time, the same for everyone of the company until
    its data changes.

    ``secrets`` are this request's own values a block may hold (its forms' CSRF and one-time
    submission tokens, each at least 16 random characters), given in the same order on every
    request: kept with a mark in their place, each put back as this request's on the way out.
    """
    store = _store()
    if store is None:
        return lambda name, caller: caller()
    read = g.get(_READ, {}).get(organization_id)
    version, basis = (read[0], read[1:]) if read else (data_version.current(organization_id), None)
    if version == NEVER_WRITTEN:
        return lambda name, caller: caller()
    marks = [(secret, f"\x00kept-secret-{n}\x00") for n, secret in enumerate(secrets)]
    if any(len(secret) < 16 for secret, _ in marks):
        raise ValueError("a secret to put back must be at least 16 characters")

    def render(caller: Callable[[], Markup]) -> Callable[[], str]:
        def kept_text() -> str:
            text = str(caller())
            for secret, mark in marks:
                text = text.replace(secret, mark)
            return text

        return kept_text

    def cached(name: str, caller: Callable[[], Markup]) -> Markup:
        key = _key(organization_id, version, f"fragment:{name}", (basis, scope, PROCESS))
        # Kept as the text the template rendered (escaped there), signed like any entry.
        text = _kept(store, key, render(caller))
        for secret, mark in marks:
            text = text.replace(mark, secret)
        return Markup(text)  # noqa: S704 - the template's own escaped output, kept as it was

    return cached


def unkept(name: str, caller: Callable[[], Markup]) -> Markup:
    """A template's ``cached`` that keeps nothing: for a page showing what a request typed."""
    return caller()


class Later(Generic[T]):
    """A value computed the first time it is read: what only the blocks a page does not find
    kept (``fragments``) show, so a page whose blocks are all kept never reads it. Whoever
    makes one checks access first: a kept block is never a reason to skip that.

    A template may also use it as the value itself: its attributes, items, iteration, length
    and truth are the value's (read then)."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute = compute

    @cached_property
    def value(self) -> T:
        return self._compute()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_compute", "value"):
            raise AttributeError(name)
        return getattr(self.value, name)

    def __getitem__(self, key: Any) -> Any:
        return self.value[key]  # type: ignore[index]

    def __iter__(self) -> Any:
        return iter(self.value)  # type: ignore[call-overload]

    def __len__(self) -> int:
        return len(self.value)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.value)
