"""Running confirmed file imports in the background, and their progress.

A confirmed import runs on a worker thread of the web process (one at a time per process), so
the page can show a progress bar instead of hanging. Progress lives outside the import's own
transaction — in Redis when REDIS_URL is set (every worker process sees it), else in this
process's memory — because the rows being written are invisible to other connections until
the single commit at the end.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from comarketing.extensions import db

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_memory: dict[int, dict[str, Any]] = {}
PROGRESS_TTL_SECONDS = 24 * 3600


def _redis() -> Any:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2)


def _key(import_id: int) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "comarketing")
    return f"{prefix}:metrics-import:{import_id}"


def set_progress(import_id: int, share: float, rows: int) -> None:
    state = {"progress": round(share, 4), "rows": rows}
    client = _redis()
    if client is not None:
        client.set(_key(import_id), json.dumps(state), ex=PROGRESS_TTL_SECONDS)
    else:
        _memory[import_id] = state


def get_progress(import_id: int) -> dict[str, Any] | None:
    client = _redis()
    if client is not None:
        import redis

        try:
            raw = client.get(_key(import_id))
        except redis.RedisError:
            # Redis down: the page shows the import as running, without its share done.
            log.warning("import progress: Redis unreachable")
            return None
        return json.loads(raw) if raw else None
    return _memory.get(import_id)


def _run(app: Flask, import_id: int) -> None:
    from comarketing.metrics import runs

    with app.app_context():
        try:
            set_progress(import_id, 0.0, 0)
            runs.run_import(
                import_id, progress=lambda share, rows: set_progress(import_id, share, rows)
            )
        except Exception:
            log.exception("metrics import %s failed", import_id)
        finally:
            db.session.remove()


def submit(import_id: int) -> None:
    """Start a confirmed import: inside this request when METRICS_IMPORT_INLINE is set
    (tests, CLI), else on the background worker."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["METRICS_IMPORT_INLINE"]:
        from comarketing.metrics import runs

        runs.run_import(import_id)
        return
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-import")
    _executor.submit(_run, app, import_id)
