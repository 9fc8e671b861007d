"""Which placement a row is for: the placement cell matched to the placements the file may write."""

from __future__ import annotations

import pandas as pd

from comarketing.metrics.cells import Errors, Options, strip


def resolve_placements(raw: pd.Series, options: Options, errors: Errors) -> pd.Series:
    """Placement cell -> placement id, by name (case-insensitive) or by id ("12" or "#12")."""
    by_name: dict[str, int | None] = {}
    for info in options.placements.values():
        key = info.name.strip().lower()
        by_name[key] = None if key in by_name else info.id  # None: two share the name
    text = strip(raw)
    keys = text.str.lower()
    ids = keys.map(by_name)
    ambiguous = keys.isin([k for k, v in by_name.items() if v is None])
    numeric = keys.str.extract(r"^#?([0-9]{1,12})$")[0]
    by_id = numeric.dropna().astype("int64")
    by_id = by_id[by_id.isin(list(options.placements))]
    ids = ids.where(~ambiguous)
    ids = ids.fillna(by_id)
    errors.add(text == "", "placement", text, "the placement is missing")
    errors.add(
        ambiguous & ids.isna(),
        "placement",
        text,
        "several of your placements have this name; use the placement's number instead",
    )
    errors.add(
        (text != "") & ~ambiguous & ids.isna(),
        "placement",
        text,
        "is not one of your placements in a campaign you run",
    )
    return ids
