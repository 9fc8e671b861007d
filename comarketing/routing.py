"""URL converters."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: ids above a 32-bit integer are no record of ours, so they
    answer 404 before the database sees them (SQLite would overflow and answer 500)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)
