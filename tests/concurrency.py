"""Calls released together from threads, each with its own app context and session: what
PostgreSQL's row locks are tested with."""

from __future__ import annotations

import threading
from collections.abc import Callable

from comarketing.extensions import db


def at_once(app, calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each gets its own session."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[index] = calls[index]()
            except Exception as exc:
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
