"""Which placement a row is for: the placement cell matched among the placements the file may
write (those of the campaign it was uploaded for).

A cell matches, in this order: a platform name remembered for a placement, a placement's own
name, a placement number ("12" or "#12"). Names are compared folded (NFKC, case, runs of spaces
of any kind), and each distinct cell is looked up once, so a million rows cost a few lookups.
Also what the preview shows about the names: which ones matched what, which did not, and --
where a name differs from the one it matched only by Unicode form or spaces -- where.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from comarketing.campaigns.platform_names import fold_name
from comarketing.metrics.cells import Errors, Options, strip

UNMATCHED = "is not one of your placements in this campaign, nor a name remembered for one"
AMBIGUOUS = "several of your placements have this name; use the placement's number instead"
MAX_LISTED_NAMES = 200

VIA_REMEMBERED = "remembered name"
VIA_NAME = "placement name"
VIA_NUMBER = "placement number"


@dataclass(frozen=True)
class Match:
    placement_id: int | None
    via: str = ""  # VIA_*; empty when unmatched
    target: str = ""  # the name it matched, as stored
    ambiguous: bool = False


class Matcher:
    """Lookups built once from the options: remembered names, then names, then numbers."""

    def __init__(self, options: Options) -> None:
        self.placements = options.placements
        self.remembered = options.names
        by_name: dict[str, int | None] = {}
        for info in options.placements.values():
            key = fold_name(info.name)
            by_name[key] = None if key in by_name else info.id  # None: two share the name
        self.by_name = by_name

    def match(self, text: str) -> Match:
        key = fold_name(text)
        if key in self.remembered:
            placement_id, name = self.remembered[key]
            if placement_id in self.placements:
                return Match(placement_id, VIA_REMEMBERED, name)
        if key in self.by_name:
            found = self.by_name[key]
            if found is not None:
                return Match(found, VIA_NAME, self.placements[found].name)
        number = key[1:] if key.startswith("#") else key
        if number.isascii() and number.isdigit() and 0 < len(number) <= 12:
            as_int = int(number)
            if as_int in self.placements:
                return Match(as_int, VIA_NUMBER, f"#{as_int}")
        return Match(None, ambiguous=key in self.by_name)


def resolve_placements(raw: pd.Series, options: Options, errors: Errors) -> pd.Series:
    """Placement cell -> placement id (float, NaN when unmatched); refusals go to ``errors``."""
    text = strip(raw)
    matcher = Matcher(options)
    # Each distinct cell matched once, then spread over the rows by its code.
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    found = [matcher.match(value) if value != "" else Match(None) for value in distinct]
    ids = pd.Series(
        np.array([np.nan if m.placement_id is None else m.placement_id for m in found])[codes],
        index=text.index,
        dtype="float64",
    )
    ambiguous = pd.Series(
        np.array([m.ambiguous for m in found], dtype=bool)[codes], index=text.index
    )
    errors.add(text == "", "placement", text, "the placement is missing")
    errors.add(ambiguous & ids.isna(), "placement", text, AMBIGUOUS)
    errors.add((text != "") & ~ambiguous & ids.isna(), "placement", text, UNMATCHED)
    return ids


# ---------------------------------------------------------------------------------------------
# What the preview shows about the names


@dataclass
class NameSeen:
    """A distinct placement cell of the file, how many rows carry it and what it matched."""

    text: str
    rows: int
    match: Match
    shown: list[Segment] = field(default_factory=list)  # the cell, odd characters marked
    target_shown: list[Segment] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Matched, but not letter for letter (apart from case): the marks say why."""
        odd = any(s.odd for s in self.shown + self.target_shown)
        return self.match.placement_id is not None and odd


@dataclass(frozen=True)
class Segment:
    text: str
    odd: str = ""  # why the characters are marked ("U+00A0 NO-BREAK SPACE"), empty if plain


def visible(text: str) -> list[Segment]:
    """The text with what folding hides made visible: odd spaces (no-break, repeated, at the
    ends) as "·", characters NFKC changes (ligatures, full-width ...), combining marks and
    invisible characters marked with their code point."""
    segments: list[Segment] = []
    plain = ""
    for index, ch in enumerate(text):
        reason = _odd(text, index, ch)
        if not reason:
            plain += ch
            continue
        if plain:
            segments.append(Segment(plain))
            plain = ""
        category = unicodedata.category(ch)
        shown = "·" if ch.isspace() else (f"⟨U+{ord(ch):04X}⟩" if category[0] == "C" else ch)
        segments.append(Segment(shown, reason))
    if plain:
        segments.append(Segment(plain))
    return segments


def _odd(text: str, index: int, ch: str) -> str:
    name = f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"
    if ch == " ":
        at_end = index == 0 or index == len(text) - 1
        repeated = (index > 0 and text[index - 1].isspace()) or (
            index + 1 < len(text) and text[index + 1].isspace()
        )
        return "extra space" if at_end or repeated else ""
    if ch.isspace() or unicodedata.category(ch)[0] in ("C", "M"):
        return name
    if unicodedata.normalize("NFKC", ch) != ch:
        return f"{name} (read as “{unicodedata.normalize('NFKC', ch)}”)"
    return ""


class NameReport:
    """The distinct placement cells of the rows checked, gathered chunk by chunk."""

    def __init__(self, options: Options) -> None:
        self.matcher = Matcher(options)
        self.names: dict[str, NameSeen] = {}

    def add(self, raw: pd.Series) -> None:
        counts = raw.astype(str).value_counts()
        for text, rows in counts.items():
            key = str(text)
            if key.strip() == "":
                continue
            if key in self.names:
                self.names[key].rows += int(rows)
            elif len(self.names) < MAX_LISTED_NAMES:
                match = self.matcher.match(key.strip())
                target = "" if match.via == VIA_NUMBER else match.target
                self.names[key] = NameSeen(key, int(rows), match, visible(key), visible(target))

    @property
    def unmatched(self) -> list[NameSeen]:
        return [n for n in self.names.values() if n.match.placement_id is None]

    @property
    def matched(self) -> list[NameSeen]:
        return [n for n in self.names.values() if n.match.placement_id is not None]
