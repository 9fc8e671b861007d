"""The dashboard's NumPy groupings (reports/grouping.py) give pandas' groups, in pandas' order,
with exact integer sums; the bootstrap's kept draws are the draws (reports/bootstrap.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from comarketing.reports import bootstrap, grouping


def _frame(seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "currency": rng.choice(np.array(["EUR", "USD", "GBP"], dtype=object), rows),
            "month": rng.choice(np.array(["2026-02", "2026-01", None], dtype=object), rows),
            "campaign_id": rng.integers(1, 30, rows),
            # Beyond 2**53: sums a float would round stay exact.
            "amount": rng.integers(0, 2**60 // rows, rows),
            "count": rng.integers(0, 3, rows),
        }
    )


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_groups_and_sums_are_pandas_groupby_exactly(seed, sort):
    frame = _frame(seed)
    by = ["currency", "month", "campaign_id"]
    expected = frame.groupby(by, sort=sort, dropna=False)[["amount", "count"]].sum().reset_index()
    columns = grouping.columns_of(frame)
    groups = grouping.groups(columns, by, sort=sort)
    got = grouping.to_frame(
        {
            **grouping.keys(columns, groups, by),
            **grouping.sums(columns, groups, ["amount", "count"]),
        }
    )
    pd.testing.assert_frame_equal(got, expected)
    assert [int(v) for v in got["amount"]] == [
        sum(int(v) for v in part["amount"])
        for _, part in frame.groupby(by, sort=sort, dropna=False)
    ]


def test_distinct_counts_as_nunique():
    frame = _frame(4)
    columns = grouping.columns_of(frame)
    groups = grouping.groups(columns, ["currency"])
    expected = frame.groupby("currency")["campaign_id"].nunique().to_numpy()
    assert grouping.distinct(columns["campaign_id"], groups).tolist() == expected.tolist()


def test_many_wide_keys_are_renumbered_rather_than_overflowing():
    rows = 3000
    columns = {f"k{i}": np.arange(rows)[::-1].copy() for i in range(7)}  # 3000**7 > 2**63
    groups = grouping.groups(columns, list(columns))
    assert groups.count == rows
    assert columns["k0"][groups.first].tolist() == list(range(rows))  # sorted by the keys


def test_the_kept_draws_are_the_counts_of_the_drawn_campaigns():
    counts = bootstrap.resample_counts(17, [bootstrap.SEED, 0])
    index = bootstrap.resample_index(17, [bootstrap.SEED, 0])
    expected = np.stack([np.bincount(row, minlength=17) for row in index])
    assert np.array_equal(counts, expected)
    assert bootstrap.resample_counts(17, [bootstrap.SEED, 0]) is counts  # kept
    assert not counts.flags.writeable
    values = np.arange(17 * 3, dtype="int64").reshape(17, 3)
    assert np.array_equal(bootstrap.resampled_sums(counts, values), expected @ values)


@pytest.mark.parametrize("low, high", [(0, 50), (-(2**40), 2**40), (2**62, 2**62 + 9)])
def test_whole_number_keys_of_any_range_group_as_pandas(low, high):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"id": rng.integers(low, high, 500), "month": rng.integers(0, 3, 500), "n": 1}
    )
    expected = frame.groupby(["id", "month"])["n"].sum().reset_index()
    columns = grouping.columns_of(frame)
    groups = grouping.groups(columns, ["id", "month"])
    got = grouping.to_frame(
        {**grouping.keys(columns, groups, ["id", "month"]), **grouping.sums(columns, groups, ["n"])}
    )
    pd.testing.assert_frame_equal(got, expected)


def test_a_text_columns_codes_ride_along_with_the_rows_taken_from_it():
    columns = grouping.columns_of(_frame(6))
    groups = grouping.groups(columns, ["currency", "month"])
    currency = grouping.keys(columns, groups, ["currency"])["currency"]
    codes = grouping.known_codes(currency)
    assert codes is not None
    # Equal for equal text and ordered as the text sorts (None last).
    assert len({(c, v) for c, v in zip(codes.tolist(), currency.tolist(), strict=True)}) == len(
        set(currency.tolist())
    )
    picked = grouping.take(currency, np.array([2, 0]))
    assert grouping.known_codes(picked).tolist() == [codes[2], codes[0]]


def test_known_codes_are_what_a_grouping_reads():
    values = np.array(["b", "a", "b", "c"], dtype=object)
    # Codes ordering "c" first: a grouping follows them rather than the alphabet.
    grouping.coded(values, np.array([1, 2, 1, 0]))
    groups = grouping.groups({"k": values}, ["k"])
    assert grouping.keys({"k": values}, groups, ["k"])["k"].tolist() == ["c", "b", "a"]


def test_the_codes_of_an_array_no_longer_used_are_forgotten():
    values = np.array(["x", "y"], dtype=object)
    key = id(values)
    grouping.coded(values, np.array([0, 1]))
    assert key in grouping._CODES
    del values
    assert key not in grouping._CODES


def test_parts_joined_keep_their_codes_only_when_every_part_has_them():
    from comarketing.reports.sql import month_texts_of

    # Months from two statements, coded as months: joined, they group without hashing.
    first, second = month_texts_of(np.array([672, 671])), month_texts_of(np.array([671, 673]))
    joined = grouping.concatenate([first, second])
    assert joined.tolist() == ["2026-01", "2025-12", "2025-12", "2026-02"]
    assert grouping.known_codes(joined).tolist() == [672, 671, 671, 673]
    groups = grouping.groups({"month": joined}, ["month"])
    assert groups.of_row.tolist() == [1, 0, 0, 2]
    plain = grouping.concatenate([first, np.array(["2025-12"], dtype=object)])
    assert grouping.known_codes(plain) is None
