"""Rows for a placement's whole flight, cleaned without a database (issue 16): the pure
functions of ``metrics.flight_rows`` through ``cleaning.clean_chunk``."""

from __future__ import annotations

from datetime import date

import pandas as pd

from comarketing.metrics import flight_rows
from comarketing.metrics.cells import Options, PlacementInfo
from comarketing.metrics.cleaning import clean_chunk

HEADERS = ["Reporting starts", "Reporting ends", "Campaign name", "Reach", "Impressions"]
PLACEMENTS = {
    7: PlacementInfo(7, 1, "Search", date(2026, 3, 1), date(2026, 3, 31), "EUR", 2),
    8: PlacementInfo(8, 1, "Social", date(2026, 3, 1), date(2026, 4, 15), "EUR", 2),
}


def _clean(*lines: str):
    options = Options(
        mapping={"day": 0, "placement": 2, "reach": 3, "impressions": 4},
        headers=HEADERS,
        placements=PLACEMENTS,
        period_end=1,
        latest_day=date(2026, 4, 30),
    )
    frame = pd.DataFrame([line.split(",") for line in lines], dtype=str)
    return clean_chunk(frame, pd.Series(range(2, 2 + len(lines))), options)


def test_a_row_for_the_whole_flight_gives_its_reach_and_no_day():
    cleaned = _clean(
        "2026-03-01,2026-03-31,#7,48210,131884",
        "2026-03-01,2026-03-01,#7,2463,3387",  # a day of the same placement, its first
        "2026-03-02,2026-03-02,#8,9418,14736",
    )
    assert cleaned.errors == []
    assert cleaned.flights.to_dict("records") == [{"row": 2, "placement_id": 7, "reach": 48210}]
    assert [(r["row"], str(r["day"]), r["reach"]) for r in cleaned.frame.to_dict("records")] == [
        (3, "2026-03-01", 2463),
        (4, "2026-03-02", 9418),
    ]


def test_a_range_other_than_the_flight_is_refused_naming_both():
    cleaned = _clean("2026-03-01,2026-03-31,#8,91466,278337", "2026-03-05,2026-03-31,#7,1,2")
    assert cleaned.flights.empty and cleaned.frame.empty
    assert [(e["row"], e["value"], e["reason"]) for e in cleaned.errors] == [
        (
            2,
            "2026-03-01 to 2026-03-31",
            "covers 2026-03-01 to 2026-03-31, the placement runs 2026-03-01 to 2026-04-15: "
            "flight reach is only taken for the whole flight",
        ),
        (
            3,
            "2026-03-05 to 2026-03-31",
            "covers 2026-03-05 to 2026-03-31, the placement runs 2026-03-01 to 2026-03-31: "
            "flight reach is only taken for the whole flight",
        ),
    ]


def test_an_end_that_is_no_date_or_still_to_come_is_refused():
    cleaned = _clean("2026-03-01,soon,#7,5,9", "2026-03-01,2026-04-15,#8,5,9")
    assert [(e["row"], e["column"], e["reason"]) for e in cleaned.errors] == [
        (2, "Reporting ends", "is not a date")
    ]
    assert _clean("2026-03-01,2026-04-15,#8,5,9").errors == []  # ended before the latest day
    # The same flight ending after the latest day that has begun: not its flight reach yet.
    late = dict(PLACEMENTS)
    late[8] = PlacementInfo(8, 1, "Social", date(2026, 3, 1), date(2026, 5, 31), "EUR", 2)
    options = Options(
        mapping={"day": 0, "placement": 2, "reach": 3, "impressions": 4},
        headers=HEADERS,
        placements=late,
        period_end=1,
        latest_day=date(2026, 4, 30),
    )
    frame = pd.DataFrame([["2026-03-01", "2026-05-31", "#8", "5", "9"]], dtype=str)
    refused = clean_chunk(frame, pd.Series([2]), options)
    assert [e["reason"] for e in refused.errors] == [
        "is still to come: the reach of a flight that has not ended is not its flight reach"
    ]


def test_the_flights_of_a_file_are_gathered_across_chunks_once_each():
    options = Options(mapping={"day": 0}, headers=HEADERS, placements=PLACEMENTS)
    gathered = flight_rows.FlightReaches()
    first = pd.DataFrame({"row": [2], "placement_id": [7], "reach": [48210]})
    again = pd.DataFrame({"row": [9], "placement_id": [7], "reach": [1]})
    assert gathered.add(first, options) == []
    assert gathered.add(again, options) == [
        {
            "row": 9,
            "column": "Reporting starts",
            "value": "",
            "reason": "repeats the flight of a placement given in row 2",
        }
    ]
    assert gathered.reach == {7: 48210}
    assert flight_rows.summary(gathered.reach, PLACEMENTS).startswith(
        "Flight reach for 1 placement: Search 48,210 people (2026-03-01 to 2026-03-31). "
    )
