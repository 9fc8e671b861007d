"""The sketch operations against exact set arithmetic, normalisation, and the Sainsbury
estimate worked by hand. Pure: no database."""

from __future__ import annotations

import hashlib
import io
import random
from fractions import Fraction

import pytest

from comarketing.audiences import figures, loading, normalize, sketches
from comarketing.audiences.normalize import Kind, Layout


def digests(items: set[int]) -> list[str]:
    return [hashlib.sha256(f"person{i}@example.com".encode()).hexdigest() for i in items]


def within(estimate: sketches.Estimate, truth: int) -> bool:
    return estimate.lower <= truth <= estimate.upper


def _cases(a: set[int], b: set[int]) -> dict[str, tuple[object, int]]:
    sa_, sb = sketches.build(digests(a)), sketches.build(digests(b))
    # The stored form round-trips.
    sa_ = sketches.deserialize(sketches.serialize(sa_))
    return {
        "a": (sa_, len(a)),
        "union": (sketches.union([sa_, sb]), len(a | b)),
        "intersection": (sketches.intersection(sa_, sb), len(a & b)),
        "a_not_b": (sketches.a_not_b(sa_, sb), len(a - b)),
    }


@pytest.mark.parametrize("size", [1, 10, 5_000, 16_000])
def test_operations_are_exact_below_the_nominal_size(size: int) -> None:
    rng = random.Random(size)  # fixed: the test is deterministic
    universe = range(size * 3)
    a = set(rng.sample(universe, size))
    b = set(rng.sample(universe, size // 2 + 1))
    for name, (sketch, truth) in _cases(a, b).items():
        estimate = sketches.estimate(sketch)  # type: ignore[arg-type]
        if name in ("a", "intersection", "a_not_b") or truth <= sketches.NOMINAL_ENTRIES:
            assert estimate.exact, name
        if estimate.exact:
            assert estimate.count == truth, name
        else:  # statistics: see the next test
            assert sketch.get_lower_bound(3) <= truth <= sketch.get_upper_bound(3), name  # type: ignore[attr-defined]
    assert sketches.estimate(_cases(a, b)["a"][0]).count == size  # type: ignore[arg-type]


def test_estimates_fall_within_their_stated_bounds() -> None:
    """Above the nominal size: every estimate within 3 standard deviations, and the stated
    2-standard-deviation (95 %) bounds hold for at least 90 % of them."""
    rng = random.Random(7)
    inside = total = 0
    for trial in range(12):
        size = rng.randrange(20_000, 60_000)
        universe = range(trial * 10**6, trial * 10**6 + size * 2)
        a = set(rng.sample(universe, size))
        b = set(rng.sample(universe, size))
        for name, (sketch, truth) in _cases(a, b).items():
            estimate = sketches.estimate(sketch)  # type: ignore[arg-type]
            if estimate.exact:
                assert estimate.count == truth, name
                continue
            assert sketch.get_lower_bound(3) <= truth <= sketch.get_upper_bound(3), name  # type: ignore[attr-defined]
            total += 1
            inside += estimate.lower <= truth <= estimate.upper
            assert estimate.relative_error < 0.05, (name, estimate)
    assert total >= 30
    assert inside / total >= 0.9, (inside, total)


def test_estimates_format_like_the_page() -> None:
    assert str(sketches.Estimate(12345, 12345, 12345, True)) == "12,345 (exact)"
    assert str(sketches.Estimate(1_240_000, 1_220_160, 1_259_840, False)) == "1.24 M ± 1.6 %"
    assert str(sketches.ZERO) == "0 (exact)"


def test_emails_are_trimmed_and_lower_cased_only() -> None:
    digest = normalize.digest_of("  Jane.Doe+news@Example.COM \r", Kind.EMAIL)
    assert digest == hashlib.sha256(b"jane.doe+news@example.com").hexdigest()
    for bad in (
        "jane",
        "jane@",
        "@example.com",
        "a@b",
        "a b@c.de",
        "a@@b.de",
        "a@b..de",
        "a@.b.de",
    ):
        assert normalize.digest_of(bad, Kind.EMAIL) is None, bad


def test_phones_become_e164_or_are_refused() -> None:
    expected = hashlib.sha256(b"+4930123456").hexdigest()
    for given in ("+49 30 123456", "0049 (30) 123-456", "+49.30.123456"):
        assert normalize.digest_of(given, Kind.PHONE) == expected, given
    for bad in ("030 123456", "+0301234567", "+12", "+1234567890123456", "call me"):
        assert normalize.digest_of(bad, Kind.PHONE) is None, bad


def test_hashed_identifiers_are_kept_lower_cased() -> None:
    digest = hashlib.sha256(b"x@y.zz").hexdigest()
    assert normalize.digest_of(digest.upper(), Kind.SHA256) == digest
    assert normalize.digest_of(digest[:63], Kind.SHA256) is None
    # An address and its pre-hashed form are the same person.
    assert normalize.digest_of("X@Y.zz", Kind.EMAIL) == digest


def test_bad_lines_are_reported_by_row_and_reason_without_the_value() -> None:
    text = b"\xef\xbb\xbfa@b.de\n\nnot-an-address\nc@d.de\n\xff\xfe@x.de\n"
    prepared = normalize.prepare(text.removeprefix(normalize.BOM), Layout(), 1)
    assert [(b.row, b.reason) for b in prepared.bad] == [
        (5, normalize.NOT_UTF8),
        (3, normalize.REASONS[Kind.EMAIL]),
    ] or [(b.row, b.reason) for b in prepared.bad] == [
        (3, normalize.REASONS[Kind.EMAIL]),
        (5, normalize.NOT_UTF8),
    ]
    assert prepared.lines == [b"a@b.de", b"c@d.de"]
    assert all("not-an-address" not in b.reason for b in prepared.bad)


def test_a_csv_column_is_read_by_name() -> None:
    data = b"Name;E-Mail;City\nAnn;ANN@x.de;Bonn\nBob;bob@y.de;Ulm\nshort\n"
    loaded = loading.load(io.BytesIO(data), column="e-mail", skip_bad_lines=True)
    assert loaded.identifiers == 2
    assert [(b.row, b.reason) for b in loaded.bad] == [(4, normalize.NO_COLUMN)]
    with pytest.raises(normalize.FileUnreadable):
        loading.load(io.BytesIO(data), column="phone")


def test_blocks_in_processes_give_the_same_sketch_as_one_pass() -> None:
    lines = b"".join(f"user{i}@example.com\n".encode() for i in range(40_000))
    whole = loading.load(io.BytesIO(lines))
    parallel = loading.load(io.BytesIO(lines), block_bytes=64 * 1024, workers=2)
    assert parallel.identifiers == whole.identifiers == 40_000
    assert parallel.rows == 40_000
    assert sketches.serialize(parallel.sketch) == sketches.serialize(whole.sketch)
    assert parallel.file_sha256 == hashlib.sha256(lines).hexdigest()


def test_one_bad_line_refuses_the_file_but_every_bad_line_is_counted() -> None:
    lines = b"".join(f"user{i}@example.com\n".encode() for i in range(1000)) + b"oops\n" * 3
    refused = loading.load(io.BytesIO(lines), block_bytes=4096)
    assert refused.bad_count == 3 and refused.sketch.is_empty()
    assert [b.row for b in refused.bad] == [1001, 1002, 1003]
    skipped = loading.load(io.BytesIO(lines), block_bytes=4096, skip_bad_lines=True)
    assert skipped.estimate.count == 1000 and skipped.estimate.exact


def test_sainsbury_by_hand() -> None:
    # Two placements planned to reach 50 % and 40 % of 1,000 people, independently:
    # 1 - (1 - 0.5)(1 - 0.4) = 0.7 -> 700 people, not the 900 their sum says.
    planned = [figures.PlacementAudience(500, True), figures.PlacementAudience(400, True)]
    estimate = figures.combined_estimate(planned, 1000)
    assert estimate.share == Fraction(7, 10)
    assert estimate.reach == 700
    assert "estimate" in estimate.label and "random duplication" in estimate.label
    # Planned audience sizes are a plan: never called reach.
    assert "planned audience size" in estimate.label and "reported reach" not in estimate.label
    assert estimate.planned and estimate.what == "planned audience"
    # A reach above the universe is capped; no universe: added up, not deduplicated.
    assert figures.sainsbury_share([5000], 1000) == 1
    unplanned = figures.combined_estimate(planned, None)
    assert unplanned.method == "reported" and unplanned.reach == 900
    assert unplanned.label == "900: planned audience size, not deduplicated"
    reported = figures.combined_estimate([figures.PlacementAudience(900, False)], None)
    assert reported.label == "900: reported reach (daily reach, summed), not deduplicated"
    assert reported.what == "reported reach" and not reported.planned
    mixed = figures.combined_estimate([planned[0], figures.PlacementAudience(9, False)], None)
    assert mixed.label == "509: planned audience sizes and reported reach, not deduplicated"
    assert mixed.what == "planned audience and reported reach"


def _reference(block: bytes, kind: Kind) -> tuple[list[bytes], list[int]]:
    """What ``prepare`` must give, the slow way: each line on its own against the pattern."""
    lines, bad = [], []
    for row, line in enumerate(block.split(b"\n"), start=1):
        if kind is Kind.PHONE:
            line = line.translate(None, b" \t\r().-/")
            line = b"+" + line[2:] if line.startswith(b"00") else line
        else:
            line = line.lower()
        line = line.strip()
        if not line:
            continue
        if normalize._VALID[kind].fullmatch(line):
            lines.append(line)
        else:
            bad.append(row)
    return lines, bad


@pytest.mark.parametrize(
    ("kind", "alphabet"),
    [
        (Kind.EMAIL, ["a", "B", "@", ".", " ", "\t", "x.y", "@c.de", "\r"]),
        (Kind.PHONE, ["+", "1", "0", "00", "4930", " ", "-", "(", "\x0b", "9876"]),
        (Kind.SHA256, ["0123456789abcdef" * 4, "F" * 64, "a" * 32, " ", "\t", "g"]),
    ],
)
def test_the_fast_checks_accept_exactly_what_the_pattern_accepts(
    kind: Kind, alphabet: list[str]
) -> None:
    # Random blocks of short random lines: whole-block checks and the line-by-line pattern
    # agree on every line (a fixed seed keeps the test deterministic).
    rng = random.Random(7)
    for _ in range(5000):
        lines = [
            "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9)))
            for _ in range(rng.randrange(1, 5))
        ]
        block = "\n".join(lines).encode()
        expected_lines, expected_bad = _reference(block, kind)
        prepared = normalize.prepare(block, Layout(kind), 1)
        assert prepared.lines == expected_lines, lines
        assert [b.row for b in prepared.bad] == expected_bad, lines
