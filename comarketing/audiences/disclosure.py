"""What a company may see of a figure that rests on another company's audience (issue 17). Pure.

A figure *crosses* when any audience (a placement's or a list's sketch) it combines belongs to
another organization than the viewer's. Figures that do not cross (your lists against your
placements) are exact. A crossing figure follows three rules:

1. **Minimum audience count.** Its minimum is the highest ``audience_minimum`` among the
   parties whose audiences it combines, the viewer's included (strictest wins), never below
   ``FLOOR``. An audience smaller than that minimum is left out of it: it is never compared
   with another company's.
2. **Suppression.** Every count the figure rests on must reach the minimum, or the figure is
   *suppressed* (``Estimate.below``: "fewer than 100"), and so is every figure from which the
   suppressed count follows by arithmetic (a split is shown whole or not at all; shares go
   with the counts they divide).
3. **Rounding with noise.** A shown count ``n`` becomes ``step * floor((n + u) / step)``:
   ``step`` keeps two significant figures (at least 10), and the offset ``u`` in
   ``[0, step)`` comes from a SHA-256 of the figure's name and the *other* parties' sketches.
   So the shown value is within one step of the truth, the same question always gets the same
   answer (asking again averages nothing out), and the viewer cannot re-draw the noise by
   changing its own upload: two of its lists that differ by one person get the same answer
   unless the true count sits exactly at the (secret) rounding boundary.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from comarketing.audiences import sketches
from comarketing.audiences.sketches import Estimate, Sketch

FLOOR = 50
DEFAULT = 100
CEILING = 1_000_000
# The 95 % relative error of a sketch past its exact range (see ``sketches``): a rounded
# figure's bounds widen by it, never by the true bounds (whose middle is the true estimate).
RSE95 = 2 / math.sqrt(sketches.NOMINAL_ENTRIES)


@dataclass(frozen=True)
class Audience:
    """One party's uploaded audience: whose it is, its sketch, and the serialized sketch the
    noise is seeded from."""

    owner: int
    data: bytes
    sketch: Sketch
    size: int

    @classmethod
    def load(cls, owner: int, data: bytes) -> Audience:
        sketch = sketches.deserialize(data)
        return cls(owner, bytes(data), sketch, sketches.estimate(sketch).count)


@dataclass(frozen=True)
class Rule:
    """Who is looking, and every party's minimum audience count."""

    viewer: int
    minimums: Mapping[int, int]

    def minimum(self, owners: Iterable[int]) -> int:
        settings = [self.minimums.get(o, DEFAULT) for o in {self.viewer, *owners}]
        return max(FLOOR, *settings)

    def crosses(self, audiences: Iterable[Audience]) -> bool:
        return any(a.owner != self.viewer for a in audiences)

    def seed(self, name: str, audiences: Iterable[Audience]) -> bytes:
        digest = hashlib.sha256(name.encode())
        for data in sorted(a.data for a in audiences if a.owner != self.viewer):
            digest.update(hashlib.sha256(data).digest())
        return digest.digest()


def suppressed(minimum: int) -> Estimate:
    return Estimate(0.0, 0.0, 0.0, False, below=minimum)


def step(count: int) -> int:
    """The rounding step that keeps two significant figures, at least 10."""
    return max(10, 10 ** (len(str(max(count, 0))) - 2))


def noised(figure: Estimate, minimum: int, seed: bytes) -> Estimate:
    """``figure`` as shown across companies: suppressed under ``minimum``, else rounded down
    to its step after adding the seeded offset."""
    count = figure.count
    if count < minimum:
        return suppressed(minimum)
    size = step(count)
    offset = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % size
    shown = (count + offset) // size * size
    spread = size + (0 if figure.exact else math.ceil(shown * RSE95))
    return Estimate(
        float(shown), float(max(0, shown - spread)), float(shown + spread), False, step=size
    )


def comparable(audiences: Iterable[Audience], minimum: int) -> list[Audience]:
    """The audiences that may be compared with another company's: at least ``minimum``."""
    return [a for a in audiences if a.size >= minimum]


def _union(audiences: list[Audience]) -> Sketch:
    return sketches.union([a.sketch for a in audiences])


def size(rule: Rule, name: str, audience: Audience) -> Estimate:
    """One audience's distinct people: exact for its owner, else rounded or suppressed."""
    exact = sketches.estimate(audience.sketch)
    if audience.owner == rule.viewer:
        return exact
    return noised(exact, rule.minimum([audience.owner]), rule.seed(name, [audience]))


def reach(rule: Rule, name: str, audiences: list[Audience]) -> Estimate:
    """The people in any of ``audiences`` (each counted once)."""
    if not rule.crosses(audiences):
        return sketches.estimate(_union(audiences))
    minimum = rule.minimum(a.owner for a in audiences)
    kept = comparable(audiences, minimum)
    count = sketches.estimate(_union(kept))
    if not rule.crosses(kept):
        return count
    return noised(count, minimum, rule.seed(name, kept))


def beyond(rule: Rule, name: str, audiences: list[Audience], known: list[Audience]) -> Estimate:
    """The people in ``audiences`` and in none of ``known`` (the viewer's own): incremental
    reach. Rests on the reach, the people beyond and the people in both."""
    if not rule.crosses([*audiences, *known]):
        return sketches.estimate(sketches.a_not_b(_union(audiences), _union(known)))
    minimum = rule.minimum(a.owner for a in [*audiences, *known])
    kept, mine = comparable(audiences, minimum), comparable(known, minimum)
    reached, own = _union(kept), _union(mine)
    counts = [sketches.estimate(reached), sketches.estimate(sketches.a_not_b(reached, own))]
    if mine:
        counts.append(sketches.estimate(sketches.intersection(reached, own)))
    if not rule.crosses(kept):
        return counts[1]
    if any(c.count < minimum for c in counts):
        return suppressed(minimum)
    return noised(counts[1], minimum, rule.seed(name, kept))


@dataclass(frozen=True)
class Split:
    """The viewer's audience against another party's: the viewer's own count stays exact;
    the others are shown together or suppressed together (any one follows from the rest)."""

    own: Estimate
    theirs: Estimate
    own_only: Estimate
    theirs_only: Estimate
    both: Estimate

    @property
    def share_of_own(self) -> Fraction | None:
        return share(self.both, self.own)

    @property
    def share_of_theirs(self) -> Fraction | None:
        return share(self.both, self.theirs)


def share(part: Estimate, whole: Estimate) -> Fraction | None:
    """``part`` over ``whole`` as shown; none when either is suppressed or the whole is 0."""
    if part.suppressed or whole.suppressed or not whole.value:
        return None
    return Fraction(round(part.value)) / Fraction(round(whole.value))


def split(rule: Rule, name: str, own: list[Audience], theirs: list[Audience]) -> Split:
    """Own only, theirs only and both for the viewer's ``own`` audiences against
    ``theirs`` (another party's)."""
    minimum = rule.minimum(a.owner for a in [*own, *theirs])
    mine, other = comparable(own, minimum), comparable(theirs, minimum)
    a, b = _union(mine), _union(other)
    counts = {
        "theirs": sketches.estimate(b),
        "own_only": sketches.estimate(sketches.a_not_b(a, b)),
        "theirs_only": sketches.estimate(sketches.a_not_b(b, a)),
        "both": sketches.estimate(sketches.intersection(a, b)),
    }
    exact_own = sketches.estimate(a)
    if exact_own.count < minimum or any(c.count < minimum for c in counts.values()):
        hidden = suppressed(minimum)
        return Split(exact_own, hidden, hidden, hidden, hidden)
    shown = {k: noised(c, minimum, rule.seed(f"{name}/{k}", other)) for k, c in counts.items()}
    return Split(exact_own, **shown)
