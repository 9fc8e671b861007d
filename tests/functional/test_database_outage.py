"""When PostgreSQL goes away, pages answer 503 quickly, and recover by themselves when it is back.

A small TCP proxy stands between the app and the real server, so the test can cut and restore
the connection without touching the shared PostgreSQL instance.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from tests.conftest import login

pytestmark = pytest.mark.pg_only


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut every open one, like a database that died."""
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would not.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass


@pytest.fixture
def proxied_app(make_app, app):
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = make_app(
        SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
    )
    yield proxied, proxy
    proxy.stop()


def _timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_outage_answers_503_fast_and_recovers_without_restart(proxied_app, world):
    app, proxy = proxied_app
    client = app.test_client()
    login(client, world.a.email("analyst"))
    assert client.get("/healthz").status_code == 200
    assert client.get("/dashboard").status_code == 200

    proxy.stop()
    for path in ("/healthz", "/dashboard", "/partners"):
        response, seconds = _timed_get(client, path)
        assert response.status_code == 503, path
        assert seconds < 5, f"{path} took {seconds:.1f}s to fail"
        body = response.get_data(as_text=True)
        assert "cannot reach its database" in body
        assert "Traceback" not in body and "psycopg" not in body
        assert response.headers["Retry-After"]
        assert "no-store" in response.headers["Cache-Control"]

    proxy.start()
    # pool_pre_ping notices the dead pooled connections and opens fresh ones.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 200
