"""A TCP proxy the fault drills control, between the app and a real server (issue 19).

Three states:

- ``open``: bytes flow both ways.
- ``refuse``: the listening socket is closed (new connections are refused) and every open
  connection is reset, as when the server dies or a firewall rejects.
- ``drop``: a silent partition. Connections stay open and new ones are accepted, but nothing is
  forwarded either way. What arrives is held, in order, with any end-of-stream, and delivered
  when the cut ends — as TCP retransmission would once a real partition heals. That is the
  harsh case for a write: a ``COMMIT`` sent into the partition reaches the server afterwards.

:meth:`cut_when` starts a ``drop`` the moment the client sends given bytes (e.g. ``COMMIT``),
to cut a transaction exactly between its last statement and its commit.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Pipe:
    """One proxied connection: the client's socket, the server's, and what a cut holds."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.held = {"up": bytearray(), "down": bytearray()}
        self.ended = {"up": False, "down": False}

    def target(self, direction: str) -> socket.socket:
        return self.server if direction == "up" else self.client

    def reset(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                # Linger 0: close() sends RST, as a crashed peer's kernel would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.close()


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.state = "open"
        self.cut_at: float | None = None  # monotonic time the current cut began
        self._trigger: bytes | None = None
        self._lock = threading.RLock()
        self._pipes: list[_Pipe] = []
        self._listener: socket.socket | None = None
        self._listen()

    # -- control -------------------------------------------------------------------------------

    def refuse(self) -> None:
        with self._lock:
            self.state, self.cut_at = "refuse", time.monotonic()
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
                self._listener.close()
                self._listener = None
            for pipe in self._pipes:
                pipe.reset()
            self._pipes.clear()

    def drop(self) -> None:
        with self._lock:
            self.state, self.cut_at = "drop", time.monotonic()

    def cut_when(self, marker: bytes) -> None:
        """Drop everything from the first client packet that contains ``marker`` on."""
        with self._lock:
            self._trigger = marker

    def restore(self) -> None:
        with self._lock:
            self._trigger = None
            if self.state == "drop":
                for pipe in self._pipes:
                    for direction in ("up", "down"):
                        self._deliver(pipe, direction)
            self.state, self.cut_at = "open", None
            if self._listener is None:
                self._listen()

    def close(self) -> None:
        self.refuse()

    # -- plumbing ------------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            pipe = _Pipe(client, server)
            with self._lock:
                if self.state == "refuse":
                    pipe.reset()
                    continue
                self._pipes.append(pipe)
            for direction, source in (("up", client), ("down", server)):
                threading.Thread(
                    target=self._pump, args=(pipe, direction, source), daemon=True
                ).start()

    def _pump(self, pipe: _Pipe, direction: str, source: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            with self._lock:
                if (
                    direction == "up"
                    and self._trigger is not None
                    and data
                    and self._trigger in data
                ):
                    self._trigger = None
                    self.state, self.cut_at = "drop", time.monotonic()
                if self.state == "refuse":
                    return
                pipe.held[direction] += data
                if not data:
                    pipe.ended[direction] = True
                if self.state == "open":
                    self._deliver(pipe, direction)
            if not data:
                return

    @staticmethod
    def _deliver(pipe: _Pipe, direction: str) -> None:
        target = pipe.target(direction)
        try:
            if pipe.held[direction]:
                target.sendall(bytes(pipe.held[direction]))
            if pipe.ended[direction]:
                target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        pipe.held[direction].clear()
        pipe.ended[direction] = False
