"""The app's log lines: one line per record whatever the message holds, with the request id
(``security.assign_request_id`` sets it first thing in every request).

``LOG_FORMAT=json`` writes one JSON object a line (python-json-logger) for log collectors;
otherwise plain text lines. Times are UTC, whatever the server's zone.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, has_request_context
from pythonjsonlogger.json import JsonFormatter


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class SingleLineFormatter(logging.Formatter):
    """Escape CR/LF so user-supplied text cannot forge extra log lines."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


class JsonLineFormatter(JsonFormatter):
    """``{"time": …, "level": …, "logger": …, "message": …, "request_id": …}`` per line; a
    traceback goes into ``exc_info`` of the same object (JSON escapes its line breaks)."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )


OURS = (SingleLineFormatter, JsonLineFormatter)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format.lower() == "json":
        return JsonLineFormatter()
    return SingleLineFormatter(
        "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s] %(message)s"
    )


def configure(app: Flask) -> None:
    """One handler on the ``comarketing`` logger in the configured format. A later app in the
    same process (tests create many) replaces it instead of adding a second."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(str(app.config.get("LOG_FORMAT") or "text")))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("comarketing")
    logger.handlers = [h for h in logger.handlers if not isinstance(h.formatter, OURS)]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = True
