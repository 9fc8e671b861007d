"""One page of a long list on an HTML page: which rows, and the links to the others.

A page's cost must not grow with a record's history (issue 21): long lists (a campaign's
claims and ledger) show ``per_page`` rows at a time, newest first, with links to older ones.
The page number comes from a query parameter; anything unreadable means the first page and a
number past the end the last one (never an error page, never a 5xx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_PAGE = 1_000_000


def page_number(text: str | None) -> int:
    """A page number from a query parameter: 1 unless it is a whole number from 1 on."""
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 7:
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Pager:
    """Page ``page`` (clamped to the pages there are) of ``total`` rows, ``per_page`` each."""

    requested: int
    total: int
    per_page: int = 50

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def page(self) -> int:
        return min(max(self.requested, 1), self.pages)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first_row(self) -> int:
        """The 1-based number of the page's first row (0 for an empty list)."""
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.per_page, self.total)

    @property
    def several(self) -> bool:
        return self.pages > 1

    def slice(self, rows: list[T]) -> list[T]:
        return rows[self.offset : self.offset + self.per_page]

    @classmethod
    def showing(cls, index: int, total: int, per_page: int = 50) -> Pager:
        """The page holding the row at 0-based ``index``."""
        return cls(index // per_page + 1, total, per_page)
