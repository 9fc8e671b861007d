"""A database for one benchmark run: SQLite in a folder, or a throwaway PostgreSQL one."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


@contextlib.contextmanager
def database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh SQLite file in ``folder``, or a throwaway database on the PostgreSQL server of
    ``server_url`` (created here, dropped afterwards, as tests/conftest.py does)."""
    if not server_url:
        yield f"sqlite:///{folder / 'bench.sqlite'}"
        return
    server_url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", server_url)
    name = f"comarketing_bench_{uuid.uuid4().hex[:12]}"
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
