"""Storing a checked chunk's daily rows at the database driver's speed, inside the caller's
transaction: the same rows and values the plain upsert statement stores, faster.

* the rows go in (placement, day) order, the primary key's: each placement's days land next
  to each other in the table's B-tree instead of one page per placement and row (a date-major
  file of a few hundred placements thrashed SQLite's page cache: twice the time);
* SQLite: one ``executemany`` of the upsert on the driver (a prepared statement, values
  converted once per distinct value);
* PostgreSQL: the rows are copied (binary ``COPY``) into a temporary staging table that lives
  until the transaction ends (``ON COMMIT DROP``: nothing to clean up, whatever happens), then
  one ``INSERT … SELECT … ON CONFLICT … DO UPDATE`` moves them into ``daily_metrics``.

Small writes (the results grid, the API) keep the plain statement: below ``BULK_MIN_ROWS``
the staging table costs more than it saves. tests/metrics/test_bulk_write.py checks that both
ways store identical rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from comarketing.db import upsert_insert
from comarketing.extensions import db
from comarketing.metrics.models import VALUE_FIELDS, DailyMetric

# Fewer rows than this go through the plain upsert statement (see the docstring).
BULK_MIN_ROWS = 1_000
STAGING = "import_staging"
SQLITE_CACHE_KIB = 64 * 1024  # SQLite's page cache while a file's rows are written
# The chunk's columns, in the staging table's order.
COLUMNS = ("placement_id", "day", "campaign_id", *VALUE_FIELDS, "currency")
_STAGING_TYPES = ["int8", "date", "int8", *(["int8"] * len(VALUE_FIELDS)), "text"]
# What a replaced day takes from the new row (the primary key stays).
UPDATED = (*VALUE_FIELDS, "campaign_id", "currency", "import_id", "updated_at")


@contextlib.contextmanager
def large_transaction() -> Iterator[None]:
    """Around a file import's rows. SQLite: a page cache of SQLITE_CACHE_KIB for this
    connection while they are written, the previous size restored before the commit. The
    default 2 MiB cannot hold the B-tree pages a few hundred placements' days land on, so
    every chunk wrote and re-read pages it would touch again (twice the time at a million
    rows). Only memory changes (bounded: flat in the file's size); journal and
    synchronous settings, hence durability, stay as they are. PostgreSQL: nothing."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB:d}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000):d}")


def in_key_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by (placement_id, day), the table's primary key."""
    return frame.sort_values(["placement_id", "day"], kind="stable")


def upsert_statement() -> Any:
    """The plain upsert of daily rows (one statement, executed for many rows)."""
    # The Core table, not the mapped class: an ORM bulk insert builds a command per row.
    statement: Any = upsert_insert(db.session, DailyMetric.__table__)
    return statement.on_conflict_do_update(
        index_elements=["placement_id", "day"],
        set_={name: statement.excluded[name] for name in UPDATED},
    )


def driver_values(column: pd.Series) -> list[Any]:
    """The column as Python values for a driver: ints and dates (tolist() converts numpy
    scalars), None for a figure not reported (pandas' NA)."""
    values = column.tolist()
    if column.hasnans:
        return [None if pd.isna(v) else v for v in values]
    return values


def execute_many(statement: Any, frame: pd.DataFrame, **constants: Any) -> None:
    """One executemany of the frame's rows (plus ``constants`` on every row) straight on the
    driver, each value converted by its column's type once per distinct value: SQLAlchemy's
    per-row parameter handling cost several times the database's own work on a large file."""
    connection = db.session.connection()
    dialect = connection.dialect
    table = statement.table
    names = [*frame.columns, *constants]
    compiled = statement.compile(dialect=dialect, column_keys=names)

    def converted(name: str, values: list[Any]) -> list[Any]:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            return values
        # Each distinct value converted once (a chunk has a few hundred days), then looked up
        # in C: a Python-level step per row cost more than the conversions themselves.
        done = {v: process(v) for v in set(values)}
        return list(map(done.__getitem__, values))

    columns = [converted(n, driver_values(frame[n])) for n in frame.columns]
    columns += [converted(n, [value]) * len(frame) for n, value in constants.items()]
    if compiled.positional:
        order = [names.index(n) for n in compiled.positiontup]
        params: list[Any] = list(zip(*(columns[i] for i in order), strict=True))
    else:
        keys = [compiled.escaped_bind_names.get(n, n) for n in names]
        params = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    connection.exec_driver_sql(compiled.string, params)


def upsert_days(frame: pd.DataFrame, *, import_id: int, updated_at: datetime) -> None:
    """Insert or replace the frame's daily rows (columns: COLUMNS) as written by
    ``import_id`` at ``updated_at``."""
    if frame.empty:
        return
    rows = in_key_order(frame[list(COLUMNS)])
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if not postgres or len(rows) < BULK_MIN_ROWS:
        execute_many(upsert_statement(), rows, import_id=import_id, updated_at=updated_at)
        return
    _copy_upsert(rows, import_id=import_id, updated_at=updated_at)


# The statements, built once from the constant names above (no value is ever spliced in).
_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (placement_id bigint, day date, "
    f"campaign_id bigint, {', '.join(f'{name} bigint' for name in VALUE_FIELDS)}, "
    "currency text) ON COMMIT DROP"
)
_COPY_STAGING = f"COPY {STAGING} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_MOVE_STAGED = (
    f"INSERT INTO daily_metrics ({', '.join(COLUMNS)}, import_id, updated_at) "  # noqa: S608
    f"SELECT {', '.join(COLUMNS)}, :import_id, :updated_at FROM {STAGING} "
    "ORDER BY placement_id, day ON CONFLICT (placement_id, day) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in UPDATED)
)


def _copy_upsert(rows: pd.DataFrame, *, import_id: int, updated_at: datetime) -> None:
    """PostgreSQL: COPY into the transaction's staging table, then one upsert from it."""
    connection = db.session.connection()
    driver: Any = connection.connection.driver_connection  # psycopg's connection
    with driver.cursor() as cursor:
        cursor.execute(_CREATE_STAGING)
        with cursor.copy(_COPY_STAGING) as copy:
            copy.set_types(_STAGING_TYPES)
            for row in zip(*(driver_values(rows[name]) for name in COLUMNS), strict=True):
                copy.write_row(row)
    connection.execute(
        sa.text(_MOVE_STAGED).bindparams(
            sa.bindparam("import_id", import_id, type_=sa.Integer),
            sa.bindparam("updated_at", updated_at, type_=DailyMetric.__table__.c.updated_at.type),
        )
    )
    connection.exec_driver_sql(f"TRUNCATE {STAGING}")
