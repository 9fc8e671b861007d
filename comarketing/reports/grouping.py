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

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

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


# Sort codes known for arrays (by ``id``, while the array lives): a text column's codes are
# worked out once, by the first grouping by it or where it is made (``coded``), and ride along
# when rows are picked from it (``take``, ``keys``): a dashboard groups the same few text
# columns (currency, kind, channel, month) a dozen times, and hashing every row's text was the
# costliest step of each grouping.
_CODES: dict[int, tuple[weakref.ref[np.ndarray], np.ndarray]] = {}


def coded(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values``, remembered with ``codes``: one whole number per row, equal for equal values
    and ordered as the values sort (missing values last)."""
    key = id(values)
    _CODES[key] = (weakref.ref(values, partial(_forget, key)), codes)
    return values


def _forget(key: int, _: object) -> None:
    _CODES.pop(key, None)


def known_codes(values: np.ndarray) -> np.ndarray | None:
    entry = _CODES.get(id(values))
    return entry[1] if entry is not None and entry[0]() is values else None


def take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, with its codes when ``values``' are known."""
    picked = values[rows]
    codes = known_codes(values)
    return picked if codes is None else coded(picked, codes[rows])


def concatenate(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The parts one after the other, with their codes when every part's are known (the
    caller vouches that they number the same values alike: months, say)."""
    joined = np.concatenate(parts)
    codes = [known_codes(part) for part in parts]
    if any(c is None for c in codes):
        return joined
    return coded(joined, np.concatenate([c for c in codes if c is not None]))


def _column_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of one column (as :func:`codes_of`'s) and a bound above them."""
    known = known_codes(values)
    if known is not None:
        values = known
    if values.dtype.kind in "iu" and len(values):
        # Whole numbers (ids, months): their offsets from the smallest are codes already, in
        # their order, without hashing (``codes_of`` renumbers when the keys' product grows).
        low, high = int(values.min()), int(values.max())
        if high - low < 2**32:
            return values.astype("int64") - low, high - low + 1
    if known is not None:  # no rows, or codes too far apart
        return pd.factorize(known, sort=True)[0].astype("int64"), len(known)
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    codes = codes.astype("int64", copy=False)
    if values.dtype == object:
        coded(values, codes)
    return codes, len(uniques)


def codes_of(columns: Columns, by: Sequence[str]) -> np.ndarray:
    """One int64 per row, equal for equal keys and ordered as the keys are sorted (each key
    column factorized in sorted order, missing values last, as pandas groups them)."""
    code = np.zeros(length(columns), dtype="int64")
    size = 1  # how many codes there can be so far
    for name in by:
        column_codes, count = _column_codes(columns[name])
        if size * count >= 2**62:  # renumber densely first (the order stays)
            code = pd.factorize(code, sort=True)[0].astype("int64")
            size = int(code.max()) + 1 if len(code) else 1
        code = code * count + column_codes
        size *= max(count, 1)
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
    value_codes, count = _column_codes(values)
    pairs = np.unique(grouped.of_row * count + value_codes)
    return np.bincount(pairs // count, minlength=grouped.count)


def keys(columns: Columns, grouped: Groups, by: Sequence[str]) -> Columns:
    """Each group's keys (from its first row)."""
    return {name: take(columns[name], grouped.first) for name in by}
