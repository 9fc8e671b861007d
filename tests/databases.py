"""A throwaway PostgreSQL database, for the test suite and the benchmarks (no pytest here)."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


@contextlib.contextmanager
def throwaway_postgresql(server_url: str, prefix: str = "comarketing_test") -> Iterator[str]:
    """Create a database named ``<prefix>_<random>`` on the server of ``server_url``, yield its
    URL, and drop it afterwards (connections still open included)."""
    server_url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database of ``backend`` (SQLite in ``folder``, or a throwaway one on the
    server of TEST_DATABASE_URL), for tests that run migrations on rows of their own."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'before.sqlite'}"
        return
    with throwaway_postgresql(os.environ["TEST_DATABASE_URL"], prefix="comarketing_mig") as url:
        yield url
