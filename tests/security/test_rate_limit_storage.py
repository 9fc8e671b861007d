"""Production needs shared rate-limit storage (SECURITY.md 54): memory kept per worker process
lets N workers admit N times the configured failures."""

from __future__ import annotations

import logging
from typing import Any

import pytest

PRODUCTION = {"ENV_NAME": "production", "TESTING": False, "SECRET_KEY": "x" * 48}


def test_production_refuses_to_start_without_redis(make_app: Any) -> None:
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        make_app(**PRODUCTION, REDIS_URL=None, RATELIMIT_STORAGE_URI=None)


def test_production_uses_redis_when_it_is_set(make_app: Any) -> None:
    url = "redis://127.0.0.1:6379/0"
    app = make_app(**PRODUCTION, REDIS_URL=url, RATELIMIT_STORAGE_URI=None)
    assert app.config["RATELIMIT_STORAGE_URI"] == url


def test_memory_storage_chosen_explicitly_starts_with_a_warning_every_time(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="comarketing")
    for _ in range(2):
        app = make_app(**PRODUCTION, REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://")
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    warnings = [r for r in caplog.records if "RATELIMIT_STORAGE_URI is memory://" in r.message]
    assert len(warnings) == 2
    assert all(r.levelno == logging.WARNING for r in warnings)


@pytest.mark.parametrize("env_name", ["development", "testing"])
def test_outside_production_memory_is_the_quiet_default(
    make_app: Any, caplog: pytest.LogCaptureFixture, env_name: str
) -> None:
    caplog.set_level(logging.WARNING, logger="comarketing")
    app = make_app(ENV_NAME=env_name, REDIS_URL=None, RATELIMIT_STORAGE_URI=None)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert not [r for r in caplog.records if "RATELIMIT_STORAGE_URI" in r.message]
