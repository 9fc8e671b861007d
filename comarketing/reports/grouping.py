"""Exact integer sums by group in NumPy, for the report's small frames (issue 16's speed).

A pandas step (``groupby(...).sum()``, a merge, even reading one column of a wide frame) costs
a fixed few microseconds to a millisecond whatever the size, and the dashboard works on a few
thousand rows of some eighty columns a dozen times per page. So its steps work on
:data:`Columns` (a plain dict of NumPy arrays, one per column, all of one length) and build a
DataFrame only for what they hand back. A grouping is worked out once (:func:`groups`: each
row's group, numbered in the order pandas gives them) and any number of integer columns are
summed over it in one ``np.add.reduceat`` (:func:`sums`): int64 throughout, so sums stay
exact, and the same groups in the same order as ``frame.groupby(by, sort=..., dropna=False)``.
Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Columns = dict[str, np.ndarray]


def columns_of(frame: pd.DataFrame) -> Columns:
    """``frame``'s columns as arrays (text as arrays of Python objects)."""
    return {str(name): frame[name].to_numpy() for name in frame.columns}


def to_frame(columns: Columns, names: Iterable[str] | None = None) -> pd.DataFrame:
    """A DataFrame of ``columns`` (``names`` of them, in that order), typed as pandas types
    arrays (text columns become pandas' text)."""
    chosen = columns if names is None else {name: columns[name] for name in names}
    return pd.DataFrame(chosen)


def length(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def integer_columns(frame: pd.DataFrame, names: Sequence[str]) -> bool:
    """Whether every one of ``names`` holds int64 (the only columns :func:`sums` adds)."""
    return all(frame[name].dtype == "int64" for name in names)


@dataclass(frozen=True)
class Groups:
    """``of_row``: each row's group (0 .. count - 1); ``first``: each group's first row;
    ``order``: the rows by group (stable), ``starts``: where each group begins in it."""

    of_row: np.ndarray
    first: np.ndarray
    order: np.ndarray
    starts: np.ndarray

    @property
    def count(self) -> int:
        return len(self.first)


def codes_of(columns: Columns, by: Sequence[str]) -> np.ndarray:
    """One int64 per row, equal for equal keys and ordered as the keys are sorted (each key
    column factorized in sorted order, missing values last, as pandas groups them)."""
    code = np.zeros(length(columns), dtype="int64")
    size = 1  # how many codes there can be so far
    for name in by:
        column_codes, uniques = pd.factorize(columns[name], sort=True, use_na_sentinel=False)
        if size * len(uniques) >= 2**62:  # renumber densely first (the order stays)
            code = pd.factorize(code, sort=True)[0].astype("int64")
            size = int(code.max()) + 1 if len(code) else 1
        code = code * len(uniques) + column_codes
        size *= max(len(uniques), 1)
    return code


def groups(columns: Columns, by: Sequence[str], sort: bool = True) -> Groups:
    """The groups of the rows by ``by``: sorted by their keys (``sort``) or in the order of
    their first row, as ``frame.groupby(by, sort=sort, dropna=False)``."""
    code = codes_of(columns, by)
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    begins = np.ones(len(code), dtype=bool)
    begins[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(begins)
    of_row = np.empty(len(code), dtype="int64")
    of_row[order] = np.cumsum(begins) - 1
    first = order[starts]  # a stable sort keeps each group's rows in their order
    if not sort:  # renumber the groups in the order of their first rows
        by_first = np.argsort(first, kind="stable")
        renumber = np.empty_like(by_first)
        renumber[by_first] = np.arange(len(by_first))
        of_row, first = renumber[of_row], first[by_first]
        order = np.argsort(of_row, kind="stable")
        starts = np.searchsorted(of_row[order], np.arange(len(first)))
    return Groups(of_row=of_row, first=first, order=order, starts=starts)


def sums(columns: Columns, grouped: Groups, names: Sequence[str]) -> Columns:
    """Per group, the exact sums of the integer columns ``names``."""
    if not grouped.count:
        return {name: np.zeros(0, dtype="int64") for name in names}
    values = np.column_stack([columns[name] for name in names]).astype("int64", copy=False)
    summed = np.ascontiguousarray(np.add.reduceat(values[grouped.order], grouped.starts).T)
    return dict(zip(names, summed, strict=True))


def distinct(values: np.ndarray, grouped: Groups) -> np.ndarray:
    """Per group, how many different ``values`` (one per row, none missing) it holds."""
    if not grouped.count:
        return np.zeros(0, dtype="int64")
    value_codes, uniques = pd.factorize(values)
    pairs = np.unique(grouped.of_row * len(uniques) + value_codes)
    return np.bincount(pairs // len(uniques), minlength=grouped.count)


def keys(columns: Columns, grouped: Groups, by: Sequence[str]) -> Columns:
    """Each group's keys (from its first row)."""
    return {name: columns[name][grouped.first] for name in by}
