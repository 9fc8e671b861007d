"""The reports' spend cells worked out in NumPy (``reports.spend_cells.spendframe_of``) against
``budgets.spend.portion``, claim by claim and month by month: claims of any length and amount
(smaller than their days, too), periods cutting them anywhere, on SQLite's rows (the channel
in the row, dates as text) and PostgreSQL's (day numbers, the channels apart). Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from comarketing.budgets.spend import portion
from comarketing.reports.scope import Scope, month_end, next_month
from comarketing.reports.spend_cells import spendframe_of
from comarketing.reports.sql import EPOCH

FIRST = date(2027, 1, 1)
claims = st.lists(
    st.tuples(
        st.integers(1, 3),  # placement (campaign = placement + 100, channel by placement)
        st.integers(0, 400),  # first service day, from FIRST
        st.integers(0, 120),  # more days
        st.integers(1, 5_000_000),  # amount
    ),
    max_size=12,
)


def expected(rows: list[tuple[int, int, int, int]], start: date, end: date) -> dict:
    cells: dict[tuple[int, str], int] = defaultdict(int)
    for placement, offset, more, amount in rows:
        first, last = FIRST + timedelta(offset), FIRST + timedelta(offset + more)
        if first > end or last < start:
            continue
        day = max(first, start)
        while day <= min(last, end):
            share = portion(amount, first, last, day, min(month_end(day), last, end))
            cells[(placement, day.strftime("%Y-%m"))] += share
            day = next_month(day)
    return dict(cells)


def got(frame) -> dict:
    return {
        (int(p), str(m)): int(v)
        for p, m, v in zip(
            frame["placement_id"], frame["month"], frame["campaign_spend_minor"], strict=True
        )
    }


@settings(max_examples=300, deadline=None)
@given(claims, st.integers(0, 450), st.integers(0, 200))
def test_each_cell_is_the_claims_portions_of_its_month(rows, offset, length):
    start = FIRST + timedelta(offset)
    end = start + timedelta(length)
    scope = Scope(1, start, end)
    inside = [
        r
        for r in rows
        if FIRST + timedelta(r[1]) <= end and FIRST + timedelta(r[1] + r[2]) >= start
    ]
    channel = {1: "email", 2: "social", 3: "search"}
    sqlite_rows = [
        (
            p + 100,
            p,
            channel[p],
            (FIRST + timedelta(o)).isoformat(),
            (FIRST + timedelta(o + m)).isoformat(),
            a,
        )
        for p, o, m, a in inside
    ]
    day = (FIRST - EPOCH).days
    postgresql_rows = [(p + 100, p, day + o, day + o + m, a) for p, o, m, a in inside]
    want = expected(rows, start, end)
    sqlite = spendframe_of(scope, sqlite_rows)
    assert got(sqlite) == want
    postgresql = spendframe_of(scope, postgresql_rows, list(channel.items()))
    assert got(postgresql) == want
    for frame in (sqlite, postgresql):
        assert all(
            channel[int(p)] == c
            for p, c in zip(frame["placement_id"], frame["channel"], strict=True)
        )
        assert all(
            int(c) == int(p) + 100
            for p, c in zip(frame["placement_id"], frame["campaign_id"], strict=True)
        )
    # The channel filter on PostgreSQL: placements of other channels are left out.
    only_email = spendframe_of(scope, postgresql_rows, [(1, "email")])
    assert got(only_email) == {key: value for key, value in want.items() if key[0] == 1}
