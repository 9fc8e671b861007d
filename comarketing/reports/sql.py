"""SQL plumbing for the reports' queries: expressions every backend spells its own way, and
running several statements at once into plain rows and DataFrames."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from functools import cache, partial
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from comarketing.extensions import db
from comarketing.reports import grouping


class month_key(FunctionElement[Any]):
    """The month of a date column as the reports' statements send it: on SQLite its 'YYYY-MM'
    text, on PostgreSQL the days from 1970-01-01 to its first day (an integer: to_char costs
    four times date_trunc per row, and an integer is the cheapest value to send and read).
    :func:`month_texts` turns either into the text."""

    inherit_cache = True


class first_day_key(month_key):
    """:class:`month_key` of a column holding first days of months (the rollup's)."""

    inherit_cache = True


@compiles(month_key)
def _month_key_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite stores dates as 'YYYY-MM-DD' text: the first seven characters are the month, and
    # cutting them costs a third of what strftime's parsing does on every row read.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_key, "postgresql")
def _month_key_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    # date_trunc on a timestamp without time zone: a date would be cast to one with the
    # session's zone first (the same month either way, with more work per row).
    day = compiler.process(element.clauses, **kw)
    if not isinstance(element, first_day_key):
        day = f"CAST(date_trunc('month', CAST({day} AS TIMESTAMP)) AS DATE)"
    return f"({day} - DATE '1970-01-01')"


EPOCH = date(1970, 1, 1)


def month_key_value(month: date, postgresql: bool) -> int | str:
    """The :class:`month_key` of ``month`` (any day of it), to bind as a constant."""
    first = month.replace(day=1)
    return (first - EPOCH).days if postgresql else first.strftime("%Y-%m")


def month_texts(keys: np.ndarray) -> np.ndarray:
    """'YYYY-MM' of each :class:`month_key` (PostgreSQL's day numbers; SQLite's text as it
    is): :func:`month_texts_of` their months."""
    if keys.dtype != np.int64:
        return keys
    return month_texts_of(keys.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64))


def month_texts_of(months: np.ndarray) -> np.ndarray:
    """'YYYY-MM' of each month (counted from 1970-01), worked out once per month, with the
    months as their sort codes (``grouping.coded``: text of months from any statement groups
    together without hashing the text)."""
    distinct, of_row = np.unique(months, return_inverse=True)
    texts = np.datetime_as_string(distinct.astype("datetime64[M]"), unit="M").astype(object)
    return grouping.coded(texts[of_row], months.astype(np.int64))


class day_number(FunctionElement[Any]):
    """A date column as the reports' statements send it to be worked on in NumPy: on
    PostgreSQL the days from 1970-01-01 (an integer, the cheapest value to send and read); on
    SQLite its stored 'YYYY-MM-DD' text as it is (no function per row: NumPy reads it as a
    ``datetime64[D]``, and the row skips SQLAlchemy's date conversion, ``fetch``)."""

    inherit_cache = True


@compiles(day_number)
def _day_number_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(day_number, "postgresql")
def _day_number_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


class id_array(FunctionElement[Any]):
    """``ARRAY(subquery)`` (PostgreSQL): the ids of a subquery as one array."""

    inherit_cache = True


@compiles(id_array, "postgresql")
def _id_array(element: Any, compiler: Any, **kw: Any) -> str:
    return f"ARRAY{compiler.process(element.clauses, **kw)}"


class indexed_by(sa.sql.expression.TableClause):
    """``table`` read through ``index`` on SQLite (``table INDEXED BY index``): for a partial
    index the planner may not pick, as one without statistics while it is still empty
    (SQLite then takes it for a large one). Elsewhere the table as it is."""

    inherit_cache = False  # the index is not part of a cache key; each use is built once

    def __init__(self, table: sa.Table, index: str) -> None:
        super().__init__(table.name, *(sa.column(c.name, c.type) for c in table.c))
        self.index = index


@compiles(indexed_by)
def _indexed_by(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.visit_table(element, **kw))


@compiles(indexed_by, "sqlite")
def _indexed_by_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    name = compiler.visit_table(element, **kw)
    return f"{name} INDEXED BY {element.index}" if kw.get("asfrom") else str(name)


def among(column: Any, ids: sa.Select[int], postgresql: bool) -> sa.ColumnElement[bool]:
    """``column IN (ids)``; on PostgreSQL ``column = ANY(ARRAY(ids))``, which the planner
    turns into one index search for all the ids where the IN form joins them to a scan of the
    whole table."""
    if postgresql:
        return column == sa.any_(id_array(ids.scalar_subquery()))
    return column.in_(ids)


Rows = list[tuple[Any, ...]]
Query = tuple[Any, dict[str, Any]]  # a statement (sa.Select) and its bound values


def fetch(*queries: Query) -> list[Rows]:
    """The rows of each query (a statement and its bound values), as plain tuples: all of
    them, sent together and read at once (:func:`sent`)."""
    with sent(queries) as results:
        return [rows() for rows in results]


@contextlib.contextmanager
def sent(*waves: Sequence[Query]) -> Iterator[list[Callable[[], Rows]]]:
    """The queries of ``waves`` (each a sequence of queries) sent wave after wave; each
    query's rows (plain tuples) read by calling its result, in the order given.

    On SQLite each statement runs when its rows are read. On PostgreSQL in one pipeline
    (psycopg's pipeline mode), the rows skipping SQLAlchemy's Row objects (no column of these
    statements needs a result processor there): the first wave is sent at once; reading a
    result of a wave takes that wave's results in and sends the next wave, so the server runs
    it while the caller turns the rows read into arrays and works on them. (Sent all at once,
    the first result could only be read once the last was ready: psycopg takes in every
    result it can wait for. It makes rows only when they are read.) So a wave of statements
    the server takes long over goes after a wave the caller takes long over."""
    connection = db.session.connection()
    queries = [query for wave in waves for query in wave]
    if connection.dialect.name != "postgresql":
        yield [partial(_rows, connection, statement, values) for statement, values in queries]
        return
    yield from _pipelined(connection, [list(wave) for wave in waves if wave])


def _pipelined(
    connection: sa.Connection, waves: list[list[Query]]
) -> Iterator[list[Callable[[], Rows]]]:
    driver: Any = connection.connection.driver_connection
    cursors: list[list[Any]] = []
    taken: dict[tuple[int, int], Rows] = {}  # the rows read to take a wave's results in
    taken_in = 0  # how many waves have been taken in

    def send(number: int) -> None:
        wave = []
        for statement, values in waves[number]:
            compiled = _compiled(statement, connection.dialect)
            cursor = driver.cursor(binary=True)
            cursor.execute(str(compiled), compiled.construct_params(values))
            wave.append(cursor)
        cursors.append(wave)

    def read(number: int, index: int) -> Rows:
        # Every wave up to this one taken in, and the one after it sent. Reading the first
        # statement of a wave takes in the results of every statement sent so far: its wave's.
        nonlocal taken_in
        while taken_in <= number:
            taken[(taken_in, 0)] = cursors[taken_in][0].fetchall()
            taken_in += 1
            if taken_in < len(waves):
                send(taken_in)
        rows = taken.pop((number, index), None)
        return rows if rows is not None else cursors[number][index].fetchall()

    with driver.pipeline():
        if waves:
            send(0)
        yield [
            partial(read, number, index)
            for number, wave in enumerate(waves)
            for index in range(len(wave))
        ]


@cache
def _compiled(statement: sa.Select[Any], dialect: sa.Dialect) -> sa.Compiled:
    """``statement`` compiled once (the statements are built once per shape of filters)."""
    return statement.compile(dialect=dialect)


def _rows(connection: sa.Connection, statement: sa.Select[Any], values: dict[str, Any]) -> Rows:
    """One statement's rows on SQLite: from the driver's cursor (tuples already, without
    SQLAlchemy's Row objects: a tenth of the dashboard's time there) when no column needs
    converting, as dates do (SQLite keeps them as text); else through SQLAlchemy. Both run
    through the connection, so its events (and the tests' statement counts) see them."""
    compiled: Any = _compiled(statement, connection.dialect)  # a SQLCompiler
    order = _plain_positions(compiled, connection.dialect)
    if order is None:
        return [tuple(row) for row in connection.execute(statement, values).all()]
    params = compiled.construct_params(values)
    binders = compiled._bind_processors
    ordered = [binders[name](params[name]) if name in binders else params[name] for name in order]
    result = connection.exec_driver_sql(str(compiled), tuple(ordered))
    cursor: Any = result.cursor
    try:
        rows: Rows = cursor.fetchall()
    finally:
        result.close()
    return rows


@cache
def _plain_positions(compiled: sa.Compiled, dialect: sa.Dialect) -> tuple[str, ...] | None:
    """The bound parameters' names in their order, if the statement has positional
    parameters and no result column with a result processor (else None)."""
    positions = getattr(compiled, "positiontup", None)
    columns = getattr(compiled, "_result_columns", None)
    if positions is None or columns is None:
        return None
    if any(column.type._cached_result_processor(dialect, None) for column in columns):
        return None
    return tuple(positions)


def frame_of(rows: Rows, columns: list[str]) -> pd.DataFrame:
    """``rows`` as a DataFrame, built column by column: from a list of rows, pandas first
    builds one array of Python objects and then infers every column's type from it, which
    costs several times the query itself."""
    if not rows:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame(arrays_of(rows, columns), copy=False)


def arrays_of(rows: Rows, columns: list[str]) -> dict[str, np.ndarray]:
    """The columns of ``rows`` (at least one) as arrays, as :func:`frame_of` types them."""
    data: dict[str, np.ndarray] = {}
    for name, column_values in zip(columns, zip(*rows, strict=True), strict=True):
        # A column holds one SQL type: whole numbers (ids, counts, sums) become 64-bit
        # integers, exactly; text, dates, and numbers some rows lack (None) stay as they came.
        column = None
        if type(column_values[0]) is int:
            with contextlib.suppress(TypeError, OverflowError):
                column = np.array(column_values, dtype=np.int64)
        data[name] = np.array(column_values, dtype=object) if column is None else column
    return data


def sum64(column: Any) -> sa.ColumnElement[int]:
    """SUM as a 64-bit integer: PostgreSQL sums BIGINT into NUMERIC, which the driver hands over
    as one Decimal per value, several times slower to read and convert than integers."""
    return sa.cast(sa.func.sum(column), sa.BigInteger)
