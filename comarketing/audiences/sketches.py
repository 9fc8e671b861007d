"""Theta sketches (Apache DataSketches): build, store, combine, estimate. Pure.

Choices, stated once:

* ``LG_K = 14``: up to 16,384 retained hashes. A sketch (and every union) counts exactly up
  to 16,384 distinct identifiers; above that the estimate's relative standard error is about
  1 / sqrt(16,384) = 0.8 %, so the 95 % bound is about ± 1.6 %. A stored sketch is at most
  ~256 KB (an update sketch may keep up to twice k before it trims).
* ``SEED = 9001``: DataSketches' default, fixed. Sketches only combine when built with the
  same seed; changing it would orphan every stored sketch.
* Bounds at ``NUM_STD_DEVS = 2`` standard deviations: about 95 % confidence.
* What goes in is each identifier's SHA-256 hex digest (see ``normalize``), so a raw address
  hashed here and the same address hashed by an ad platform land on the same item.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from datasketches import (
    compact_theta_sketch,
    theta_a_not_b,
    theta_intersection,
    theta_sketch,
    theta_union,
    update_theta_sketch,
)

LG_K = 14
NOMINAL_ENTRIES = 2**LG_K
SEED = 9001
NUM_STD_DEVS = 2
CONFIDENCE = "95 %"

Sketch = theta_sketch


def new() -> update_theta_sketch:
    return update_theta_sketch(lg_k=LG_K, seed=SEED)


def update(sketch: update_theta_sketch, digests: Iterable[str]) -> None:
    """Add every digest (the loop runs in C: no Python frame per identifier)."""
    deque(map(sketch.update, digests), maxlen=0)


def build(digests: Iterable[str]) -> compact_theta_sketch:
    sketch = new()
    update(sketch, digests)
    return sketch.compact()


def empty() -> compact_theta_sketch:
    return new().compact()


def serialize(sketch: theta_sketch) -> bytes:
    compact = sketch.compact() if isinstance(sketch, update_theta_sketch) else sketch
    return bytes(compact.serialize())


def deserialize(data: bytes) -> compact_theta_sketch:
    return compact_theta_sketch.deserialize(bytes(data), seed=SEED)


def union(sketches: Iterable[theta_sketch]) -> compact_theta_sketch:
    combined = theta_union(lg_k=LG_K, seed=SEED)
    for sketch in sketches:
        combined.update(sketch)
    return combined.get_result()


def intersection(first: theta_sketch, *others: theta_sketch) -> compact_theta_sketch:
    common = theta_intersection(seed=SEED)
    for sketch in (first, *others):
        common.update(sketch)
    return common.get_result()


def a_not_b(a: theta_sketch, b: theta_sketch) -> compact_theta_sketch:
    """The items of ``a`` that are not in ``b``."""
    return theta_a_not_b(seed=SEED).compute(a, b)


@dataclass(frozen=True)
class Estimate:
    """A count with its bounds at ``CONFIDENCE``; ``exact`` when the sketch holds every item.

    A figure about another company's audience (``disclosure``) is either *suppressed* (``below``:
    the minimum audience count it fell under; no value) or *rounded* to ``step`` with noise."""

    value: float
    lower: float
    upper: float
    exact: bool
    below: int | None = None
    step: int = 0

    @property
    def suppressed(self) -> bool:
        return self.below is not None

    @property
    def rounded(self) -> bool:
        return self.step > 0

    @property
    def count(self) -> int:
        return round(self.value)

    @property
    def relative_error(self) -> float:
        """Half the width of the interval, as a share of the estimate (0 when exact)."""
        if self.exact or self.value <= 0:
            return 0.0
        return max(self.upper - self.value, self.value - self.lower) / self.value

    def __str__(self) -> str:
        return format_estimate(self)


ZERO = Estimate(0.0, 0.0, 0.0, True)


def estimate(sketch: theta_sketch) -> Estimate:
    if sketch.is_empty():
        return ZERO
    exact = not sketch.is_estimation_mode()
    value = sketch.get_estimate()
    if exact:
        return Estimate(value, value, value, True)
    return Estimate(
        value, sketch.get_lower_bound(NUM_STD_DEVS), sketch.get_upper_bound(NUM_STD_DEVS), False
    )


def format_count(value: float) -> str:
    if abs(value) >= 1e9:
        return f"{value / 1e9:.2f} B"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{round(value):,}"


def format_estimate(figure: Estimate) -> str:
    """ "12,345 (exact)", "1.24 M ± 1.6 %", "≈ 1,200 (rounded)" or "fewer than 100"."""
    if figure.below is not None:
        return f"fewer than {figure.below:,}"
    if figure.step:
        return f"≈ {format_count(figure.value)} (rounded)"
    if figure.exact:
        return f"{round(figure.value):,} (exact)"
    return f"{format_count(figure.value)} ± {figure.relative_error * 100:.1f} %"
