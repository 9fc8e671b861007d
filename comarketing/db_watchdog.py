"""A database that stops answering ends the request in seconds, not at gunicorn's timeout.

A network partition between the app and PostgreSQL looks like silence: whatever sits between
them (a proxy, a load balancer, the kernel's buffers) still accepts what we send, so TCP
keepalives and ``tcp_user_timeout`` never fire, and a request waits on its socket until gunicorn
kills the worker. The server's own timeouts (``statement_timeout`` ...) cannot help: their error
cannot reach us either.

Every wait for the server goes through psycopg's ``Connection.wait`` (queries, fetches,
pipelines, commits, rollbacks, the pool's pre-ping); :class:`WatchedConnection` notes when each
began. One thread per process and engine looks four times a second. When a wait has lasted
``DB_ANSWER_TIMEOUT`` seconds it asks whether the server is there at all: a new connection and
``SELECT 1`` within ``DB_PROBE_TIMEOUT`` seconds. A slow query on a live server is left alone
(``statement_timeout`` bounds it on the server). A server that does not answer is marked
unreachable and every socket of this process's connections to it is shut down: each waiting call
fails at once ("server closed the connection"), SQLAlchemy invalidates the connection, and the
app answers its 503. While unreachable, new connections fail at once (no connect timeout to sit
out per request) and the thread probes every second; the first answer marks it reachable again,
with no restart of anything.

Shutting a socket down (not closing it) is safe from another thread: the file descriptor stays
the connection's own until psycopg closes it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import threading
import time
import weakref
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask

log = logging.getLogger("comarketing.db")

# How often the thread looks at the waits, and probes while the server is unreachable.
LOOK_EVERY_SECONDS = 0.25
PROBE_EVERY_SECONDS = 1.0
# A thread with nothing to watch for this long ends (a process serving nothing, an app of a
# test that is done); the next wait starts another.
IDLE_EXIT_SECONDS = 10.0


class Unreachable(psycopg.OperationalError):
    """Raised instead of connecting while the last probe found no server (a DBAPI error, so
    SQLAlchemy wraps it in ``OperationalError`` and the app answers 503)."""


class WatchedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits for the server its watchdog can see (and end)."""

    watchdog: Watchdog | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        watchdog = self.watchdog
        if watchdog is None:
            return super().wait(gen, interval, timeout)
        key = watchdog.began(self)
        try:
            return super().wait(gen, interval, timeout)
        finally:
            watchdog.ended(key)


class Watchdog:
    """The waits of one engine's connections in this process, and the thread watching them."""

    def __init__(self, answer_timeout: float, probe_timeout: float) -> None:
        self.answer_timeout = answer_timeout
        self.probe_timeout = probe_timeout
        self.unreachable = False
        self._connect_args: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._counter = itertools.count()
        self._connection_class: type[WatchedConnection] = type(
            "WatchedConnection", (WatchedConnection,), {"watchdog": self}
        )
        self._reset()

    def _reset(self) -> None:
        # Also after a fork: the parent's thread and lock do not come along.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._waits: dict[int, tuple[WatchedConnection, float]] = {}
        self._connections: weakref.WeakSet[WatchedConnection] = weakref.WeakSet()
        self._thread: threading.Thread | None = None

    # -- called by the connections ---------------------------------------------------------

    def connect(self, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> WatchedConnection:
        self._own_process()
        self._connect_args = (cargs, cparams)
        if self.unreachable:
            raise Unreachable("the database did not answer the last probe")
        connection = self._connection_class.connect(*cargs, **cparams)
        with self._lock:
            self._connections.add(connection)
        self._start()
        return connection

    def began(self, connection: WatchedConnection) -> int:
        self._own_process()
        key = next(self._counter)
        with self._lock:
            self._waits[key] = (connection, time.monotonic())
            self._connections.add(connection)
            running = self._thread is not None and self._thread.is_alive()
        if not running:
            self._start()
        return key

    def ended(self, key: int) -> None:
        with self._lock:
            self._waits.pop(key, None)

    # -- the thread --------------------------------------------------------------------------

    def _own_process(self) -> None:
        if self._pid != os.getpid():
            self._reset()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="database watchdog", daemon=True
                )
                self._thread.start()

    def _watch(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(PROBE_EVERY_SECONDS if self.unreachable else LOOK_EVERY_SECONDS)
            try:
                self._look()
            except Exception:  # the thread must outlive any surprise
                log.exception("database watchdog")
            with self._lock:
                if self._waits or self.unreachable:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                    # Nothing to watch for a while: end; the next wait starts a new thread
                    # (under the same lock, so none is left unwatched).
                    self._thread = None
                    return

    def _look(self) -> None:
        if self.unreachable:
            if self.probe():
                self.unreachable = False
                log.warning("database answers again")
            else:
                self._cut_all()
            return
        now = time.monotonic()
        with self._lock:
            overdue = any(now - began >= self.answer_timeout for _, began in self._waits.values())
        if overdue and not self.probe():
            self.unreachable = True
            log.error(
                "database unreachable: no answer within %.1f s, nor to a probe within %.1f s; "
                "cutting this process's connections",
                self.answer_timeout,
                self.probe_timeout,
            )
            self._cut_all()

    def probe(self) -> bool:
        """Whether the server accepts a new connection and answers ``SELECT 1`` in time."""
        if self._connect_args is None:
            return True
        cargs, cparams = self._connect_args
        answered: list[bool] = []

        def ask() -> None:
            try:
                # Watched too: a probe that hangs is cut with the others.
                connection = self._connection_class.connect(*cargs, **cparams)
                with self._lock:
                    self._connections.add(connection)
                with connection:
                    connection.execute("SELECT 1")
                answered.append(True)
            except Exception:
                answered.append(False)

        asker = threading.Thread(target=ask, name="database probe", daemon=True)
        asker.start()
        asker.join(self.probe_timeout)
        return bool(answered and answered[0])

    def _cut_all(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shut_down(connection)


def _shut_down(connection: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(Exception):
        if connection.closed:
            return
        duplicate = socket.socket(fileno=os.dup(connection.pgconn.socket))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()


def install_app(app: Flask) -> None:
    """Watch every PostgreSQL engine of ``app`` (the primary and the reports bind)."""
    from comarketing.extensions import db

    config = app.config
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                install(engine, config["DB_ANSWER_TIMEOUT"], float(config["DB_PROBE_TIMEOUT"]))


def install(engine: sa.Engine, answer_timeout: float | None, probe_timeout: float) -> Watchdog:
    """Watch ``engine``'s PostgreSQL connections (its dialect must be psycopg)."""
    watchdog = Watchdog(float(answer_timeout or 0), probe_timeout)

    @sa.event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        if not answer_timeout:
            return None  # not watched: the dialect connects as usual
        return watchdog.connect(tuple(cargs), dict(cparams))

    return watchdog
