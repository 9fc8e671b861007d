"""The campaigns behind each bar and point of the dashboard's charts, so a click on one (or a
link in the list under the chart, for keyboard and screen-reader users) leads to them.

Pure functions over the board's frames (the placement-month cells and the campaigns' partners):
no query of their own. Each point lists the ids of the campaigns that have cells in it — in that
chart's currency, kind (joint / solo) and channel, month or partner — and ``campaigns`` maps
every id named to its name and page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

# At most this many campaigns are listed per point; the count says how many there are in all.
MAX_PER_POINT = 12


def with_campaigns(
    chart_data: dict[str, Any],
    cells: pd.DataFrame,
    campaigns: pd.DataFrame,
    campaign_partners: pd.DataFrame,
    url: Callable[[int], str],
) -> dict[str, Any]:
    """``chart_data`` (reports.services.chart_data) with the campaigns behind every point:
    ``channels``/``months`` gain ``campaigns`` {kind: [point ids]}, ``partners`` gains
    ``campaigns`` [point ids] and ``partner_ids``; the top level gains ``campaigns``
    {id: {name, url}}."""
    named: set[int] = set()
    for chart in chart_data["currencies"]:
        mine = _cells_of(cells, chart["currency"])
        for key, column in (("channels", "channel"), ("months", "month")):
            series = chart[key]
            series["campaigns"] = {
                kind: [_ids(mine, kind, column, label, named) for label in series["labels"]]
                for kind in ("joint", "solo")
            }
        partners = chart["partners"]
        joint = set(mine.loc[mine["kind"] == "joint", "campaign_id"].tolist())
        behind = []
        for partner_id in partners.get("partner_ids", []):
            ids = sorted(
                int(c)
                for c in campaign_partners.loc[
                    campaign_partners["partner_id"] == partner_id, "campaign_id"
                ]
                if int(c) in joint
            )
            named.update(ids[:MAX_PER_POINT])
            behind.append({"ids": ids[:MAX_PER_POINT], "total": len(ids)})
        partners["campaigns"] = behind
    names = dict(zip(campaigns["campaign_id"].tolist(), campaigns["name"].tolist(), strict=True))
    chart_data["campaigns"] = {
        str(cid): {"name": names.get(cid, f"Campaign #{cid}"), "url": url(cid)}
        for cid in sorted(named)
    }
    return chart_data


def _cells_of(cells: pd.DataFrame, currency: str) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame(columns=["campaign_id", "kind", "channel", "month"])
    return cells.loc[cells["currency"] == currency, ["campaign_id", "kind", "channel", "month"]]


def _ids(
    cells: pd.DataFrame, kind: str, column: str, label: Any, named: set[int]
) -> dict[str, Any]:
    here = cells[(cells["kind"] == kind) & (cells[column] == label)]
    ids = sorted({int(c) for c in here["campaign_id"].tolist()})
    named.update(ids[:MAX_PER_POINT])
    return {"ids": ids[:MAX_PER_POINT], "total": len(ids)}
