"""What a file leaves to the person importing it, instead of guessing: the order of its dates
when the file cannot tell (03/04/2026 with no day above 12 anywhere), and what Meta's Results
count for a Result indicator we do not know. Found by reading the file once on upload,
asked in the preview, blocking the import until answered, remembered with the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comarketing.context import Actor
from comarketing.errors import Conflict, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import dates, reading, results
from comarketing.metrics.history import get_import
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

SCAN_CHUNK_ROWS = 100_000
TRUSTED_BASES = ("file", "chosen", "remembered")


@dataclass(frozen=True)
class Choice:
    """A question the file leaves open (which day/month order its dates use, what an unknown
    result indicator counts as ...). Nothing can be imported until it is answered: the answer
    is the setting ``setting`` (a field of the settings form and of ``PATCH
    /api/v1/imports/{id}``), one of ``options``; ``samples`` show what each answer would
    store (e.g. two rows read both ways). Whoever detects the question appends it to
    :attr:`Preview.choices`."""

    setting: str
    question: str
    options: list[tuple[str, str]]  # (value, label)
    samples: list[str] = field(default_factory=list)


def scan(
    path: Path, layout: reading.Layout, mapping: list[str], remembered: dict[str, Any]
) -> dict[str, Any]:
    """Read the day and Result indicator columns of the whole file (nothing else: a
    million-row CSV takes about a second) and settle what can be settled. Returns the
    settings keys: ``date_order`` (None: ask), ``date_order_samples``, ``result_indicators``
    (indicator -> answer, None: ask)."""
    day = mapping.index("day") if "day" in mapping else None
    indicator = mapping.index("result_indicator") if "result_indicator" in mapping else None
    wanted = [p for p in (day, indicator) if p is not None]
    order_scan = dates.DateOrderScan()
    found: set[str] = set()
    if wanted:
        for chunk in reading.read_chunks(path, layout, wanted, SCAN_CHUNK_ROWS):
            if day is not None:
                order_scan.add(chunk.frame[day], chunk.rows)
            if indicator is not None:
                found |= results.found_indicators(chunk.frame[indicator])
            elif order_scan.proven:
                break  # the order is proven and no indicator is wanted: enough read
    answers: dict[str, str | None] = {}
    saved_answers = remembered.get("result_indicators") or {}
    for unknown in results.unknown_indicators(found):
        answers[unknown] = saved_answers.get(unknown)
    # Only an order someone chose, or a file of this layout proved, is worth remembering: the
    # default of a file without numeric dates, or an old guess, is not.
    trusted = remembered.get("date_order_basis") in TRUSTED_BASES
    saved_order = remembered.get("date_order") if trusted else None
    order = order_scan.order(saved_order)
    if order_scan.proven:
        basis: str | None = "file"
    elif order is None:
        basis = None
    elif order_scan.numeric and order == saved_order:
        basis = "remembered"
    else:
        basis = "not needed"
    return {
        "date_order": order,
        "date_order_basis": basis,
        "date_order_samples": [list(s) for s in order_scan.samples] if order is None else [],
        "result_indicators": answers,
    }


def date_order_needed(settings: dict[str, Any]) -> bool:
    return "date_order" in settings and settings["date_order"] is None


def open_indicators(settings: dict[str, Any]) -> list[str]:
    """Indicators whose meaning the user has not given yet (only while Results is mapped)."""
    if "results" not in settings.get("mapping", []):
        return []
    answers: dict[str, str | None] = settings.get("result_indicators") or {}
    return sorted(i for i, answer in answers.items() if answer is None)


def unresolved(settings: dict[str, Any]) -> list[str]:
    """One sentence per open choice; an import with any cannot be confirmed."""
    problems = []
    if date_order_needed(settings):
        shown = dates.samples(settings.get("date_order_samples") or [])
        if shown:
            examples = "; ".join(f"row {s.row}: {s.describe()}" for s in shown)
            problems.append(
                "The dates could be day first or month first and nothing in the file tells "
                f"which ({examples}). Choose how dates are written."
            )
        else:
            problems.append("Choose how dates are written.")
    mapping = settings.get("mapping", [])
    if "results" in mapping and "result_indicator" not in mapping:
        problems.append(
            "Results needs its Result indicator column: map it, or set Results to Ignore."
        )
    for indicator in open_indicators(settings):
        problems.append(
            f"Choose what Results count where the Result indicator is {indicator!r}: leads, "
            "conversions or neither."
        )
    return problems


def open_choices(settings: dict[str, Any]) -> list[Choice]:
    """The open questions as :class:`Choice` objects (the API lists them; each blocks Import).
    Their questions are the sentences :func:`unresolved` gives."""
    found = []
    sentences = unresolved(settings)
    if date_order_needed(settings):
        shown = dates.samples(settings.get("date_order_samples") or [])
        found.append(
            Choice(
                setting="date_order",
                question=sentences[0],
                options=[("dmy", "day first"), ("mdy", "month first")],
                samples=[f"row {s.row}: {s.describe()}" for s in shown],
            )
        )
    for indicator in open_indicators(settings):
        question = next(q for q in sentences if repr(indicator) in q)
        found.append(
            Choice(
                setting="result_indicators",
                question=question,
                options=[(key, label) for key, label in results.ANSWERS.items()],
                samples=[indicator],
            )
        )
    return found


def cleaning_answers(settings: dict[str, Any]) -> dict[str, str]:
    answers: dict[str, str | None] = settings.get("result_indicators") or {}
    return {i: a for i, a in answers.items() if a is not None}


@transactional
def choose(
    actor: Actor,
    import_id: int,
    *,
    date_order: str | None = None,
    indicators: dict[str, str] | None = None,
) -> MetricImport:
    """Answer the preview's questions (only those given change)."""
    authorize(actor.user, Action.WRITE_METRICS)
    metric_import = get_import(actor, import_id)
    if metric_import.status != ImportStatus.PREVIEW.value:
        raise Conflict("This upload was already confirmed or discarded.")
    settings = dict(metric_import.settings)
    if date_order is not None:
        if date_order not in dates.DATE_ORDERS:
            raise ValidationFailed("Choose how dates are written.", field="date_order")
        settings["date_order"] = date_order
        settings["date_order_basis"] = "chosen"
        settings["date_order_samples"] = []
    answers = dict(settings.get("result_indicators") or {})
    for indicator, answer in (indicators or {}).items():
        if indicator not in answers:
            raise ValidationFailed(
                f"The file has no Result indicator {indicator!r} to choose for.",
                field="indicators",
            )
        if answer not in results.ANSWERS:
            raise ValidationFailed(
                "Choose leads, conversions or neither for each result indicator.",
                field="indicators",
            )
        answers[indicator] = answer
    settings["result_indicators"] = answers
    metric_import.settings = settings
    db.session.commit()
    return metric_import


def remembered_choices(settings: dict[str, Any]) -> dict[str, Any]:
    """What the mapping remembers of the answers, for the next file of the same layout."""
    basis = settings.get("date_order_basis", "chosen")  # older imports: the user's select
    trusted = basis in TRUSTED_BASES
    return {
        "date_order": settings.get("date_order") if trusted else None,
        "date_order_basis": "chosen" if basis == "remembered" else basis,
        "result_indicators": cleaning_answers(settings),
    }
