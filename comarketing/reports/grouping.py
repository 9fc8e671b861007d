"""Group sums for the reports' small frames, in NumPy.

A report groups a few thousand rows of a few dozen integer columns several times per page.
pandas' groupby gets there through a dozen steps per column block, each costing more than the
sums themselves at this size; here the keys are numbered once, the rows sorted once by group,
and every column summed in one pass. Sums are exact 64-bit integers, as pandas gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Groups:
    """The groups of some rows by key columns, in the keys' sorted order (as
    ``DataFrame.groupby(keys)`` orders them, missing keys last)."""

    keys: pd.DataFrame  # one row per group: its key values, with the columns' own types
    code: np.ndarray  # per row, the number of its group
    order: np.ndarray  # the rows, group by group (stable within a group)
    starts: np.ndarray  # where each group begins in ``order``

    @property
    def size(self) -> np.ndarray:
        """Rows per group."""
        return np.diff(np.append(self.starts, len(self.order)))

    def sums(self, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        """Per group (rows) the sums of ``columns`` (columns), as 64-bit integers."""
        if not columns:
            return np.zeros((len(self.starts), 0), dtype="int64")
        values = frame[columns].to_numpy(dtype="int64")[self.order]
        return np.add.reduceat(values, self.starts, axis=0)

    def distinct(self, values: np.ndarray) -> np.ndarray:
        """Per group, how many different ``values`` (integers, one per row) it holds."""
        pairs = np.unique(np.stack([self.code, values.astype("int64")], axis=1), axis=0)
        return np.bincount(pairs[:, 0], minlength=len(self.starts))


def groups_of(frame: pd.DataFrame, by: list[str]) -> Groups:
    """The groups of ``frame``'s rows (at least one) by the columns ``by``."""
    code = np.zeros(len(frame), dtype="int64")
    for name in by:
        # Sorted numbering per column, missing values last (-1 from factorize: moved after).
        numbers, uniques = pd.factorize(frame[name], sort=True)
        numbers = np.where(numbers < 0, len(uniques), numbers)
        if len(code) and int(code.max()) >= 2**62 // (len(uniques) + 1):
            code = np.unique(code, return_inverse=True)[1].reshape(-1)  # renumbered, in order
        code = code * (len(uniques) + 1) + numbers
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    # Renumber the groups 0..n-1 in key order.
    dense = np.cumsum(np.concatenate(([0], (ordered[1:] != ordered[:-1]).astype("int64"))))
    code = np.empty(len(frame), dtype="int64")
    code[order] = dense
    keys = frame[by].iloc[order[starts]].reset_index(drop=True)
    return Groups(keys=keys, code=code, order=order, starts=starts)
