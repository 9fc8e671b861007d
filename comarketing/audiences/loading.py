"""A stream of identifiers to one Theta sketch, a block at a time, on every core (pure: no
database, no Flask).

The parent reads blocks of whole lines and hashes the file (SHA-256, for the history); each
block is normalised, hashed and sketched on its own, and the blocks' sketches are unioned,
which gives exactly the sketch of the whole file. Small files stay in this process; a file
of more than one block is shared with ``workers`` processes (started with ``spawn``: a forked
web worker would copy its database connections). Memory stays at a few blocks whatever the
file's size, and no identifier is ever written anywhere.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from datasketches import theta_union

from comarketing.audiences import normalize, sketches
from comarketing.audiences.normalize import BadLine, Layout

DEFAULT_BLOCK_BYTES = 4 * 1024 * 1024


class TooLargeStream(ValueError):
    """More bytes than allowed."""


@dataclass
class Loaded:
    sketch: sketches.Sketch
    identifiers: int  # valid identifiers read (duplicates included)
    rows: int  # lines read, blank ones included
    bad_count: int
    bad: list[BadLine] = field(default_factory=list)
    file_sha256: str = ""
    size: int = 0

    @property
    def estimate(self) -> sketches.Estimate:
        return sketches.estimate(self.sketch)


@dataclass(frozen=True)
class _BlockResult:
    sketch: bytes | None  # None when only checking
    identifiers: int
    bad_count: int
    bad: list[BadLine]


def sketch_block(block: bytes, layout: Layout, first_row: int, check_only: bool) -> _BlockResult:
    """One block, in whichever process runs it."""
    prepared = normalize.prepare(block, layout, first_row)
    if check_only or prepared.bad_count:
        return _BlockResult(None, len(prepared.lines), prepared.bad_count, prepared.bad)
    sketch = sketches.build(normalize.hex_digests(prepared.lines, layout.kind))
    return _BlockResult(sketches.serialize(sketch), len(prepared.lines), 0, [])


def _numbered(
    stream: IO[bytes], size: int, limit: int | None, state: Loaded
) -> Iterator[tuple[bytes, int]]:
    digest = hashlib.sha256()
    row = 1
    for block in normalize.blocks(stream, size):
        digest.update(block)
        state.size += len(block)
        if limit is not None and state.size > limit:
            raise TooLargeStream()
        yield block, row
        row += block.count(b"\n")
        state.rows = row - 1 + (0 if block.endswith(b"\n") else 1)
    state.file_sha256 = digest.hexdigest()


class _Accumulator:
    """Adds up the blocks' results; the first bad line (unless skipped) turns the rest of the
    file into a check-only pass."""

    def __init__(self, state: Loaded, skip_bad_lines: bool) -> None:
        self.state = state
        self.skip_bad_lines = skip_bad_lines
        self.failed = False
        self.union = theta_union(lg_k=sketches.LG_K, seed=sketches.SEED)

    def take(self, result: _BlockResult, sketch: sketches.Sketch | None = None) -> None:
        state = self.state
        state.identifiers += result.identifiers
        state.bad_count += result.bad_count
        room = normalize.MAX_REPORTED_ERRORS - len(state.bad)
        state.bad.extend(result.bad[: max(room, 0)])
        if result.bad_count and not self.skip_bad_lines:
            self.failed = True
        if self.failed:
            return
        if sketch is None and result.sketch is not None:
            sketch = sketches.deserialize(result.sketch)
        if sketch is not None:
            self.union.update(sketch)

    def result(self) -> sketches.Sketch:
        return sketches.empty() if self.failed else self.union.get_result()


def load(
    stream: IO[bytes],
    layout: Layout | None = None,
    *,
    column: str | None = None,
    kind: normalize.Kind = normalize.Kind.EMAIL,
    skip_bad_lines: bool = False,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    workers: int = 1,
    limit: int | None = None,
) -> Loaded:
    """Sketch every identifier of ``stream``.

    ``column``: read that column of a CSV file with a header row (else ``layout``, else one
    identifier per line). Bad lines make the result carry them (``bad_count``, the first
    ``normalize.MAX_REPORTED_ERRORS``); unless ``skip_bad_lines`` its sketch is then empty and
    the caller stores nothing. The rest of the file is still checked, so every bad line is
    counted. Raises :class:`TooLargeStream` past ``limit`` bytes and
    :class:`normalize.FileUnreadable` when the header has no such column.
    """
    state = Loaded(sketch=sketches.empty(), identifiers=0, rows=0, bad_count=0)
    numbered = _numbered(stream, block_bytes, limit, state)
    first = next(numbered, None)
    if first is None:
        state.file_sha256 = hashlib.sha256(b"").hexdigest()
        return state
    if column is not None:
        header_line, _, rest = first[0].partition(b"\n")
        layout = normalize.header_layout(header_line, kind, column)
        first = (rest, 2)
    layout = layout or Layout(kind=kind)
    total = _Accumulator(state, skip_bad_lines)
    second = next(numbered, None)
    if second is None or workers <= 1:
        for block, row in itertools.chain([first], [second] if second else [], numbered):
            prepared = normalize.prepare(block, layout, row)
            result = _BlockResult(None, len(prepared.lines), prepared.bad_count, prepared.bad)
            skip = total.failed or (prepared.bad_count and not skip_bad_lines)
            sketch = (
                None if skip else sketches.build(normalize.hex_digests(prepared.lines, layout.kind))
            )
            total.take(result, sketch)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: deque[Future[_BlockResult]] = deque()
            for block, row in itertools.chain([first, second], numbered):
                pending.append(pool.submit(sketch_block, block, layout, row, total.failed))
                # A few blocks in flight per worker: memory stays flat.
                while len(pending) > 2 * workers or (pending and pending[0].done()):
                    total.take(pending.popleft().result())
            while pending:
                total.take(pending.popleft().result())
    state.sketch = total.result()
    return state
