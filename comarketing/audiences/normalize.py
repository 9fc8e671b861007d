"""Identifiers from a file, normalised and checked a block of lines at a time (pure).

Three kinds, each normalised the way ad platforms' customer-match uploads expect, so that our
SHA-256 of an address equals the one a platform (or a partner) computes:

* ``email``: surrounding whitespace trimmed, lower-cased. No provider-specific rewriting
  (Gmail dots, ``+tags``): platforms disagree on it, and a rewritten address would no longer
  match the digests other parties upload.
* ``phone``: E.164, a ``+`` and 7 to 15 digits; spaces, dots, dashes, slashes and brackets are
  dropped and a leading international ``00`` becomes ``+``. A number without its country code
  cannot be made E.164 without guessing the country, so it is refused.
* ``sha256``: an identifier hashed already, 64 hex characters, lower-cased.

Raw identifiers never leave this module except as their SHA-256 hex digest. Bad lines are
reported by row and reason only: the value is never echoed, so it cannot reach a log.

Speed: a block of a few MB is lower-cased, checked (one regular expression over the whole
block finds the bad lines) and split in C; only hashing and the sketch update run per line.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from operator import methodcaller
from typing import IO

BOM = b"\xef\xbb\xbf"
MAX_REPORTED_ERRORS = 100


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SHA256 = "sha256"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.EMAIL: "Email addresses",
    Kind.PHONE: "Phone numbers (international, +country code)",
    Kind.SHA256: "SHA-256 digests (64 hex characters)",
}

REASONS = {
    Kind.EMAIL: "not an email address",
    Kind.PHONE: "not a phone number in international form (+ and the country code)",
    Kind.SHA256: "not a SHA-256 digest (64 hex characters)",
}
NOT_UTF8 = "not UTF-8 text"
NO_COLUMN = "no value in the chosen column"

# One valid identifier, the whole line (after normalising and trimming). The fast checks in
# ``_all_valid`` accept exactly the same lines; these name the bad ones when they do not.
_VALID = {
    # RFC 5322's dot-atom on both sides: no empty part, no leading, trailing or double dot.
    Kind.EMAIL: re.compile(rb"[^@\s.]+(?:\.[^@\s.]+)*@(?:[^@\s.]+\.)+[^@\s.]+"),
    Kind.PHONE: re.compile(rb"\+[1-9][0-9]{6,14}"),
    Kind.SHA256: re.compile(rb"[0-9a-f]{64}"),
}
_WHITESPACE = b" \t\r\x0b\x0c"
_PHONE_SEPARATORS = b" \t\r().-/"
_ALL_BYTES = bytes(range(256))


def _keep_only(chars: bytes) -> bytes:
    """For ``bytes.translate(None, ...)``: every byte except ``chars``."""
    return bytes(b for b in _ALL_BYTES if b not in chars)


_NOT_AT_NL = _keep_only(b"@\n")
_NOT_AT_DOT_NL = _keep_only(b"@.\n")
_NOT_PLUS_NL = _keep_only(b"+\n")
_HEX_NL = b"0123456789abcdef\n"
# "@" and "." become line ends, so one search finds any empty part of an address.
_SEPARATORS_AS_NL = bytes.maketrans(b"@.", b"\n\n")


def _all_valid(lines: list[bytes], kind: Kind) -> bool:
    """True when every (non-blank, trimmed) line is valid, checked with a few passes of C over
    the joined lines instead of a regular expression per line."""
    if not lines:
        return True
    joined = b"\n".join(lines)
    count = len(lines)
    if kind is Kind.SHA256:
        return min(map(len, lines)) == 64 == max(map(len, lines)) and not joined.translate(
            None, _HEX_NL
        )
    if kind is Kind.PHONE:
        return (
            joined.translate(None, _NOT_PLUS_NL) == b"+\n" * (count - 1) + b"+"
            and joined.startswith(b"+")
            and joined.count(b"\n+") == count - 1
            and b"+0" not in joined
            and joined.translate(None, b"+\n").isdigit()
            and min(map(len, lines)) >= 8
            and max(map(len, lines)) <= 16
        )
    skeleton = joined.translate(None, _NOT_AT_DOT_NL)
    separators = joined.translate(_SEPARATORS_AS_NL)
    return (
        # exactly one "@" per line
        joined.translate(None, _NOT_AT_NL) == b"@\n" * (count - 1) + b"@"
        # a dot after the "@" on every line: a domain of at least two labels
        and b"@\n" not in skeleton
        and not skeleton.endswith(b"@")
        # no empty part: "@" and "." never start or end a line nor touch each other
        and b"\n\n" not in separators
        and not separators.startswith(b"\n")
        and not separators.endswith(b"\n")
        and len(joined.translate(None, _WHITESPACE)) == len(joined)
    )


@dataclass(frozen=True)
class Layout:
    """How to read the file: the kind of identifier, and for a CSV file the column (0-based)
    and delimiter. ``column`` None: one identifier per line, no header."""

    kind: Kind = Kind.EMAIL
    column: int | None = None
    delimiter: str = ","


@dataclass(frozen=True)
class BadLine:
    row: int  # 1-based line number in the file
    reason: str


@dataclass
class Prepared:
    """One block's identifiers, normalised and checked, ready to hash."""

    lines: list[bytes]
    bad: list[BadLine] = field(default_factory=list)
    bad_count: int = 0


class FileUnreadable(ValueError):
    """The file cannot be read as identifiers at all (no header, no such column ...)."""


# ---------------------------------------------------------------------------------------------
# Reading a stream in blocks of whole lines


def blocks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The stream in blocks of about ``size`` bytes, each ending at a line end (the last one
    may not), without the UTF-8 byte order mark. Memory stays at one block."""
    first = True
    while True:
        block = stream.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += stream.readline()
        if first:
            block = block.removeprefix(BOM)
            first = False
        yield block


def header_layout(header: bytes, kind: Kind, column: str) -> Layout:
    """The layout of a CSV file whose first line is ``header``, reading column ``column``
    (its name, case and surrounding spaces ignored)."""
    try:
        text = header.removeprefix(BOM).decode("utf-8").strip("\r\n")
    except UnicodeDecodeError as exc:
        raise FileUnreadable("The header row is not UTF-8 text.") from exc
    delimiter = max(",;\t|", key=text.count)
    names = [name.strip().lower() for name in next(csv.reader([text], delimiter=delimiter), [])]
    wanted = column.strip().lower()
    if wanted not in names:
        raise FileUnreadable(
            f"The first row has no column named “{column.strip()[:60]}”: it has "
            f"{len(names)} column(s)."
        )
    return Layout(kind=kind, column=names.index(wanted), delimiter=delimiter)


# ---------------------------------------------------------------------------------------------
# One block


def _utf8_or_blank(block: bytes, first_row: int, prepared: Prepared) -> bytes:
    """The block with every line that is not UTF-8 blanked and reported."""
    try:
        block.decode("utf-8")
        return block
    except UnicodeDecodeError:
        pass
    lines = block.split(b"\n")
    for index, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            _report(prepared, first_row + index, NOT_UTF8)
            lines[index] = b""
    return b"\n".join(lines)


def _report(prepared: Prepared, row: int, reason: str) -> None:
    prepared.bad_count += 1
    if len(prepared.bad) < MAX_REPORTED_ERRORS:
        prepared.bad.append(BadLine(row, reason))


def _column(block: bytes, layout: Layout, first_row: int, prepared: Prepared) -> bytes:
    """The chosen column's values, one per line, keeping the block's line numbering."""
    assert layout.column is not None
    text = block.decode("utf-8").replace("\r", "")
    rows = list(csv.reader(text.split("\n"), delimiter=layout.delimiter))
    index = layout.column
    values = [row[index] if len(row) > index else "" for row in rows]
    for number, row in enumerate(rows):
        if row and len(row) <= index:
            _report(prepared, first_row + number, NO_COLUMN)
    return "\n".join(values).encode("utf-8")


def _lower(block: bytes) -> bytes:
    return block.lower() if block.isascii() else block.decode("utf-8").lower().encode("utf-8")


_MARKER_LINES = {Kind.EMAIL: _NOT_AT_NL, Kind.PHONE: _NOT_PLUS_NL}


def _one_per_line(block: bytes, kind: Kind) -> list[bytes] | None:
    """The block's non-blank lines, trimmed, when no line holds whitespace inside its value;
    else None. The fast path: one ``split()`` in C instead of splitting, trimming and
    filtering line by line. Splitting on all whitespace gives one token per non-blank line
    exactly when no line has two; an email (phone number) line with two tokens holds two "@"
    ("+") or a token without one, which the counts below catch; a digest line with two is
    caught by counting the lines that are left when only newlines separate."""
    tokens = block.split()
    if kind is Kind.SHA256:
        lines = block.translate(None, _WHITESPACE).split()
        return tokens if len(lines) == len(tokens) else None
    markers = block.translate(None, _MARKER_LINES[kind])
    marker = b"@" if kind is Kind.EMAIL else b"+"
    if marker * 2 in markers or markers.count(marker) != len(tokens):
        return None
    return tokens


def prepare(block: bytes, layout: Layout, first_row: int) -> Prepared:
    """Normalise and check one block whose first line is row ``first_row`` of the file."""
    prepared = Prepared(lines=[])
    if not block.isascii():
        block = _utf8_or_blank(block, first_row, prepared)
    if layout.column is not None:
        block = _column(block, layout, first_row, prepared)
    if layout.kind is Kind.PHONE:
        block = block.translate(None, _PHONE_SEPARATORS).replace(b"\n00", b"\n+")
        block = b"+" + block[2:] if block.startswith(b"00") else block
    else:
        block = _lower(block)
    tokens = _one_per_line(block, layout.kind)
    if tokens is not None and _all_valid(tokens, layout.kind):
        prepared.lines = tokens
        return prepared
    lines = block.split(b"\n")
    if len(block.translate(None, _WHITESPACE)) != len(block):
        lines = list(map(bytes.strip, lines))
    # Blank lines are skipped, not refused: files often end with one.
    valid = list(filter(None, lines))
    if not _all_valid(valid, layout.kind):
        reason, pattern = REASONS[layout.kind], _VALID[layout.kind]
        for index, line in enumerate(lines):
            if line and not pattern.fullmatch(line):
                _report(prepared, first_row + index, reason)
                lines[index] = b""
        valid = list(filter(None, lines))
    prepared.lines = valid
    return prepared


def hex_digests(lines: list[bytes], kind: Kind) -> Iterator[str]:
    """The SHA-256 hex digest of each normalised identifier (a digest given is kept)."""
    if kind is Kind.SHA256:
        return map(bytes.decode, lines)
    return map(methodcaller("hexdigest"), map(hashlib.sha256, lines))


def digest_of(identifier: str, kind: Kind) -> str | None:
    """One identifier's digest, or None when it is not valid (the same rules as a file)."""
    prepared = prepare(identifier.encode("utf-8").replace(b"\n", b" "), Layout(kind), 1)
    return next(hex_digests(prepared.lines, kind), None)
