"""Absolute links for mail, built from PUBLIC_URL rather than the request's Host header
(a forged Host must never end up in a password-reset link)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path.rstrip("/") or "/", url_scheme=public.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
