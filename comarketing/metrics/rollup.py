"""The monthly rollup of daily metrics, kept in the same transaction as every write.

Reports read one row per placement and month instead of up to 31 daily rows; the rollup is
changed by the difference each write makes (new minus old), so it always equals the sum of the
daily rows it stands for (a property test checks it after any sequence of writes). A figure not
reported (NULL) adds nothing to its sum; each figure's ``<stem>_days`` counts the days of the
month that reported it, moved by differences too (NULL -> value +1, value -> NULL -1).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from comarketing.campaigns import data_version
from comarketing.db import upsert_insert
from comarketing.extensions import db
from comarketing.metrics import bulk
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, MetricRollup

SUMMED = ("days", *VALUE_FIELDS, *DAYS_FIELDS.values())


def _upsert_increment() -> Any:
    # The Core table, not the mapped class: an ORM bulk insert builds a command per row.
    table: Any = MetricRollup.__table__
    statement: Any = upsert_insert(db.session, table)
    return statement.on_conflict_do_update(
        index_elements=["placement_id", "month"],
        set_={name: table.c[name] + statement.excluded[name] for name in SUMMED},
    )


def apply(changes: pd.DataFrame) -> None:
    """Add the differences of written days to their months.

    ``changes``: placement_id, campaign_id, day, days (+1 new day, 0 replaced, -1 deleted),
    the difference of every figure (new minus old, NULL counted as 0) and of every figure's
    reported-days count (DAYS_FIELDS: +1 newly reported, -1 no longer reported).
    """
    if changes.empty:
        return
    data_version.touch_campaigns(changes["campaign_id"].unique().tolist())
    frame = changes.copy()
    # Each distinct day's month once (a chunk holds a few hundred days at most), as a number
    # (year * 100 + month): grouping on three integer keys, not on date objects.
    frame["month"] = frame["day"].map({d: d.year * 100 + d.month for d in frame["day"].unique()})
    grouped = frame.groupby(["placement_id", "campaign_id", "month"], as_index=False)[
        list(SUMMED)
    ].sum()
    grouped["month"] = grouped["month"].map(
        {key: date(key // 100, key % 100, 1) for key in grouped["month"].unique().tolist()}
    )
    names = ["placement_id", "campaign_id", "month", *SUMMED]
    bulk.execute_many(_upsert_increment(), grouped[names])
