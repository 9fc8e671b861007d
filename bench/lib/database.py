"""A database for one benchmark run: SQLite in a folder, or a throwaway PostgreSQL one."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

# The project root, for the test suite's throwaway-database helper (benches run as scripts).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.databases import throwaway_postgresql


@contextlib.contextmanager
def database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh SQLite file in ``folder``, or a throwaway database on the PostgreSQL server of
    ``server_url`` (created here, dropped afterwards, as for the test suite)."""
    if not server_url:
        yield f"sqlite:///{folder / 'bench.sqlite'}"
        return
    with throwaway_postgresql(server_url, prefix="comarketing_bench") as url:
        yield url
