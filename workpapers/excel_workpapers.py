"""Engagement workpapers in Excel: the control matrix, the test matrix, exceptions and samples.

Each export is a workbook with a cover sheet and one table sheet per workpaper
(frozen header, filters, column widths, text kept as text):

- ``matrix``: the risk and control matrix (controls, test plans, design) and the
  criteria mapping (each criterion in scope, its controls and conclusion);
- ``tests``: the test matrix (per sampled item, each attribute's result and
  tickmark), the conclusions per control with their section 4 wording, and the
  tickmark legend;
- ``exceptions``: the exception log with management's responses (their words,
  unaudited), named compensating controls and the auditor's evaluation;
- ``samples``: the sample selection workpaper: each sample's receipt (seed,
  algorithm, population digest), enough to re-perform it, its sampling frame
  (the file's rows less those excluded, each exclusion with its reason, who and
  when: AU-C 530), and its items;
- ``workbook``: all of the above, and the request list, in one file.

The writer takes the frozen records of :mod:`auditdesk.services.workpaper_data`
and never opens the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from auditdesk.errors import ValidationError
from auditdesk.progress import Progress
from auditdesk.services.requests import ClientRequest
from auditdesk.services.workpaper_data import EngagementWorkpapers
from workpapers._excel_safety import (
    ColumnSpec,
    CoverSheet,
    ExportNotes,
    TableSheet,
    output_kind,
    streamed_workbook,
    write_csv,
)
from workpapers.excel_requests import REQUEST_COLUMNS, ExportResult, request_cells

__all__ = ["WORKPAPER_KINDS", "WorkpaperKind", "export_workpapers", "iter_export_workpapers", "workpaper_tables"]

WorkpaperKind = Literal["matrix", "tests", "exceptions", "samples", "workbook"]
WORKPAPER_KINDS: tuple[WorkpaperKind, ...] = ("matrix", "tests", "exceptions", "samples", "workbook")
_TITLES: dict[WorkpaperKind, str] = {
    "matrix": "Risk and control matrix",
    "tests": "Test matrix and conclusions",
    "exceptions": "Exception log",
    "samples": "Sample selection",
    "workbook": "Engagement workpapers",
}
_OUTCOME = {"pass": "Pass", "deviation": "Deviation", "na": "N/A"}
_PROGRESS_EVERY = 500


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet's worth of a workpaper: its name, columns and rows."""

    title: str
    columns: tuple[ColumnSpec, ...]
    rows: Callable[[], Iterable[Sequence[object]]]
    size: int  # rows it will have (for progress)


def _join(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line)


# ---- the risk and control matrix ------------------------------------------------------------


MATRIX_COLUMNS = (
    ColumnSpec("Control", 11),
    ColumnSpec("Description", 60, "wrap"),
    ColumnSpec("Owner", 18),
    ColumnSpec("Frequency", 12),
    ColumnSpec("Nature", 11),
    ColumnSpec("Type", 11),
    ColumnSpec("Key", 6),
    ColumnSpec("Criteria", 18, "wrap"),
    ColumnSpec("Test procedures", 50, "wrap"),
    ColumnSpec("Test attributes", 50, "wrap"),
    ColumnSpec("Design (walkthrough)", 26, "wrap"),
)

CRITERIA_COLUMNS = (
    ColumnSpec("Criterion", 10),
    ColumnSpec("Category", 22),
    ColumnSpec("Title", 60, "wrap"),
    ColumnSpec("Controls", 24, "wrap"),
    ColumnSpec("Covered", 9),
    ColumnSpec("Conclusion", 26, "wrap"),
)


def _matrix_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    for c in data.live_controls:
        status = data.design.get(c.ref)
        design = "Not walked through" if status is None or status.conclusion is None else status.conclusion.label
        if status is not None and status.performed_on is not None:
            design += f" ({status.performed_on.isoformat()}, {status.performed_by})"
        yield (
            c.ref,
            c.description,
            c.owner,
            c.frequency.value,
            c.nature.value,
            c.control_type.value,
            c.key,
            ", ".join(c.criteria),
            _join(
                f"{p.seq}. {p.type.value.capitalize()}: {p.description}"
                + (f" (evidence: {p.expected_evidence})" if p.expected_evidence else "")
                for p in c.test_plan.procedures
                if not p.retired
            ),
            _join(f"{a.letter}. {a.question}" for a in c.test_plan.attributes if not a.retired),
            design,
        )


def _criteria_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    concluded = {c.id: c for c in data.conclusions.criteria}
    for item in data.coverage.criteria:
        status = concluded.get(item.criterion_id)
        yield (
            item.criterion_id,
            item.category,
            item.title,
            ", ".join(item.controls),
            item.covered,
            "" if status is None else status.final.label,
        )


# ---- the test matrix -----------------------------------------------------------------------


def _letters(data: EngagementWorkpapers) -> list[str]:
    letters: set[str] = set()
    for c in data.live_controls:
        letters.update(a.letter for a in c.test_plan.attributes)
    for s in data.samples:
        letters.update(r.attribute for r in s.results)
    return sorted(letters, key=lambda x: (len(x), x))


def _test_columns(letters: Sequence[str]) -> tuple[ColumnSpec, ...]:
    return (
        ColumnSpec("Control", 11),
        ColumnSpec("Sample", 8, "integer"),
        ColumnSpec("#", 6, "integer"),
        ColumnSpec("Item", 20),
        ColumnSpec("Item date", 12, "date"),
        ColumnSpec("Amount", 14),
        *(ColumnSpec(f"Attribute {letter}", 13) for letter in letters),
        ColumnSpec("Notes", 50, "wrap"),
        ColumnSpec("Replaces", 14),
    )


def _test_rows(data: EngagementWorkpapers, letters: Sequence[str]) -> Iterable[Sequence[object]]:
    live = {c.ref for c in data.live_controls}
    for entry in data.samples:
        sample = entry.sample
        if sample.retired or sample.control_ref not in live:
            continue
        by_item: dict[str, dict[str, str]] = {}
        notes: dict[str, list[str]] = {}
        for r in entry.results:
            label = _OUTCOME.get(r.outcome.value, r.outcome.value)
            by_item.setdefault(r.item_key, {})[r.attribute] = f"{label} {r.tickmark}".strip()
            if r.note:
                notes.setdefault(r.item_key, []).append(f"{r.attribute}: {r.note}")
        for item in sample.items:
            results = by_item.get(item.key, {})
            yield (
                sample.control_ref,
                sample.id,
                item.seq + 1,
                item.key,
                item.date,
                item.amount,
                *(results.get(letter) for letter in letters),
                _join(notes.get(item.key, ())),
                item.replaces_key,
            )


CONCLUSION_COLUMNS = (
    ColumnSpec("Control", 11),
    ColumnSpec("Description", 44, "wrap"),
    ColumnSpec("Test attributes", 40, "wrap"),
    ColumnSpec("Samples", 30, "wrap"),
    ColumnSpec("Items tested", 10, "integer"),
    ColumnSpec("Deviations", 10, "integer"),
    ColumnSpec("Open exceptions", 10, "integer"),
    ColumnSpec("Conclusion", 28, "wrap"),
    ColumnSpec("Computed", 28, "wrap"),
    ColumnSpec("Rationale", 40, "wrap"),
    ColumnSpec("Result of tests (section 4)", 60, "wrap"),
    ColumnSpec("Compensated by", 14),
    ColumnSpec("Design", 26, "wrap"),
)


def _conclusion_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    controls = {c.ref: c for c in data.controls}
    samples: dict[str, list[str]] = {}
    for entry in data.samples:
        s = entry.sample
        if s.retired:
            continue
        kind = "statistical" if s.statistical else "non-statistical"
        samples.setdefault(s.control_ref, []).append(f"Sample {s.id}: {s.size} items, {s.method}, {kind}")
    for status in data.conclusions.controls:
        control = controls.get(status.ref)
        tested = sum(max((a.tested for a in t.attributes), default=0) for t in status.samples)
        deviations = sum(sum(a.deviations for a in t.attributes) for t in status.samples)
        yield (
            status.ref,
            "" if control is None else control.description,
            ""
            if control is None
            else _join(f"{a.letter}. {a.question}" for a in control.test_plan.attributes if not a.retired),
            _join(samples.get(status.ref, ())),
            tested,
            deviations,
            status.exceptions,
            status.final.label,
            status.computed.label,
            status.rationale,
            status.result_text,
            ", ".join(status.compensated_by),
            "" if status.design is None else status.design.label,
        )


TICKMARK_COLUMNS = (ColumnSpec("Tickmark", 10), ColumnSpec("Meaning", 60, "wrap"))


# ---- exceptions ---------------------------------------------------------------------------


EXCEPTION_COLUMNS = (
    ColumnSpec("#", 6, "integer"),
    ColumnSpec("Control", 11),
    ColumnSpec("Found by", 12),
    ColumnSpec("Sample", 8, "integer"),
    ColumnSpec("Item", 18),
    ColumnSpec("Attribute", 9),
    ColumnSpec("Description", 50, "wrap"),
    ColumnSpec("Root cause", 40, "wrap"),
    ColumnSpec("Management's response (unaudited)", 44, "wrap"),
    ColumnSpec("Compensating controls", 16, "wrap"),
    ColumnSpec("Why they compensate", 40, "wrap"),
    ColumnSpec("Auditor's evaluation", 40, "wrap"),
    ColumnSpec("Status", 10),
    ColumnSpec("Opened by", 9),
)


def _exception_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    named: dict[int, list[tuple[str, str]]] = {}
    for c in data.compensations:
        named.setdefault(c.exception_id, []).append((c.control_ref, c.reason))
    for e in data.exceptions:
        compensating = named.get(e.id, [])
        yield (
            e.id,
            e.control_ref,
            e.source,
            e.sample_id,
            e.item_key,
            e.attribute,
            e.description,
            e.root_cause,
            e.management_response,
            ", ".join(ref for ref, _ in compensating),
            _join(f"{ref}: {reason}" for ref, reason in compensating),
            e.evaluation,
            e.status,
            e.created_by,
        )


# ---- samples ------------------------------------------------------------------------------


SAMPLE_COLUMNS = (
    ColumnSpec("Sample", 8, "integer"),
    ColumnSpec("Control", 11),
    ColumnSpec("Population", 24, "wrap"),
    ColumnSpec("Method", 11),
    ColumnSpec("Statistical", 10),
    ColumnSpec("Size", 7, "integer"),
    ColumnSpec("Confidence", 10),
    ColumnSpec("Tolerable rate", 10),
    ColumnSpec("Expected rate", 10),
    ColumnSpec("Seed", 22),
    ColumnSpec("Algorithm", 22),
    ColumnSpec("Algorithm version", 9),
    ColumnSpec("Stream", 14),
    ColumnSpec("Population digest (SHA-256)", 68),
    ColumnSpec("Population size", 10, "integer"),
    ColumnSpec("First date", 12),
    ColumnSpec("Last date", 12),
    ColumnSpec("Selected by", 9),
    ColumnSpec("Selected at", 20),
    ColumnSpec("Re-perform", 34),
    ColumnSpec("Status", 10),
    ColumnSpec("File rows", 10, "integer"),
    ColumnSpec("Excluded rows", 10, "integer"),
    ColumnSpec("Sampling frame", 40, "wrap"),
    ColumnSpec("Frame digest (SHA-256)", 68),
)

EXCLUSION_COLUMNS = (
    ColumnSpec("Sample", 8, "integer"),
    ColumnSpec("Population", 24, "wrap"),
    ColumnSpec("Line", 8, "integer"),
    ColumnSpec("Key", 18),
    ColumnSpec("Reason", 48, "wrap"),
    ColumnSpec("Excluded by", 9),
    ColumnSpec("Excluded at", 20),
)

SAMPLE_ITEM_COLUMNS = (
    ColumnSpec("Sample", 8, "integer"),
    ColumnSpec("Control", 11),
    ColumnSpec("#", 6, "integer"),
    ColumnSpec("Item", 22),
    ColumnSpec("Date", 12, "date"),
    ColumnSpec("Amount", 14),
    ColumnSpec("Selected with certainty", 10),
    ColumnSpec("Replaces", 14),
)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _sample_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    populations = {p.id: p for p in data.populations}
    for entry in data.samples:
        s = entry.sample
        receipt = s.receipt
        population = populations.get(s.population_id)
        frame = receipt.get("frame") if isinstance(receipt.get("frame"), dict) else None
        file_rows = frame.get("file_rows") if frame else receipt.get("population_size")
        excluded = len(frame.get("excluded_lines", [])) if frame else 0
        yield (
            s.id,
            s.control_ref,
            s.population_name if population is None else f"{population.name} ({population.rows:,} items)",
            s.method,
            s.statistical,
            s.size,
            s.confidence,
            s.tolerable_rate,
            s.expected_rate,
            # A 64-bit seed as text: a spreadsheet number keeps only 15 digits of it.
            _text(receipt.get("seed")),
            _text(receipt.get("algorithm")),
            _text(receipt.get("algorithm_version")),
            _text(receipt.get("stream")),
            # The digest of the whole file, as recorded at import (the frame's is further right).
            _text(frame.get("file_digest") if frame else receipt.get("population_digest")),
            receipt.get("population_size"),
            _text(receipt.get("population_first_date")),
            _text(receipt.get("population_last_date")),
            s.selected_by,
            s.selected_at,
            f"auditdesk reperform {data.engagement.ref} {s.id}",
            "retired" if s.retired else "live",
            file_rows,
            excluded,
            _frame_text(file_rows, excluded, receipt.get("population_size")),
            _text(receipt.get("population_digest")),
        )


def _frame_text(file_rows: object, excluded: int, frame_size: object) -> str:
    """The frame stated as file rows less the excluded ones."""
    if not isinstance(file_rows, int) or not isinstance(frame_size, int):
        return ""
    if not excluded:
        return f"All {file_rows:,} rows of the file"
    return f"{file_rows:,} file rows - {excluded:,} excluded = {frame_size:,} in the frame"


def _exclusion_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    """Each sample's frame exclusions, as its receipt records them (line, key, reason, who, when)."""
    for entry in data.samples:
        s = entry.sample
        frame = s.receipt.get("frame")
        if not isinstance(frame, dict):
            continue
        lines = set(frame.get("excluded_lines", []))
        for e in data.exclusions.get(s.population_id, ()):
            if e.line in lines:
                yield (s.id, s.population_name, e.line, e.key, e.reason, e.excluded_by, e.excluded_at)


def _exclusion_count(data: EngagementWorkpapers) -> int:
    return sum(
        len(entry.sample.receipt["frame"].get("excluded_lines", []))
        for entry in data.samples
        if isinstance(entry.sample.receipt.get("frame"), dict)
    )


def _sample_item_rows(data: EngagementWorkpapers) -> Iterable[Sequence[object]]:
    for entry in data.samples:
        s = entry.sample
        for item in s.items:
            yield (
                s.id,
                s.control_ref,
                item.seq + 1,
                item.key,
                item.date,
                item.amount,
                item.certainty,
                item.replaces_key,
            )


# ---- the requests ---------------------------------------------------------------------------


_REQUEST_COPY = tuple(ColumnSpec(c.header, c.width, c.kind) for c in REQUEST_COLUMNS)


# ---- writing --------------------------------------------------------------------------------


def workpaper_tables(
    data: EngagementWorkpapers, kind: WorkpaperKind, requests: Sequence[ClientRequest] = ()
) -> tuple[Table, ...]:
    """The sheets of an export, in order."""
    letters = _letters(data)
    live = len(data.live_controls)
    items = sum(len(s.sample.items) for s in data.samples)
    matrix = (
        Table("Control matrix", MATRIX_COLUMNS, lambda: _matrix_rows(data), live),
        Table("Criteria mapping", CRITERIA_COLUMNS, lambda: _criteria_rows(data), len(data.coverage.criteria)),
    )
    tests = (
        Table("Test matrix", _test_columns(letters), lambda: _test_rows(data, letters), items),
        Table("Conclusions", CONCLUSION_COLUMNS, lambda: _conclusion_rows(data), len(data.conclusions.controls)),
        Table(
            "Tickmarks", TICKMARK_COLUMNS, lambda: ((t.symbol, t.meaning) for t in data.tickmarks), len(data.tickmarks)
        ),
    )
    exceptions = (Table("Exceptions", EXCEPTION_COLUMNS, lambda: _exception_rows(data), len(data.exceptions)),)
    samples = (
        Table("Samples", SAMPLE_COLUMNS, lambda: _sample_rows(data), len(data.samples)),
        Table("Sample items", SAMPLE_ITEM_COLUMNS, lambda: _sample_item_rows(data), items),
        Table("Frame exclusions", EXCLUSION_COLUMNS, lambda: _exclusion_rows(data), _exclusion_count(data)),
    )
    if kind == "matrix":
        return matrix
    if kind == "tests":
        return tests
    if kind == "exceptions":
        return exceptions
    if kind == "samples":
        return samples
    request_table = Table("Requests", _REQUEST_COPY, lambda: (request_cells(r) for r in requests), len(requests))
    return (*matrix, *tests, *exceptions, *samples, request_table)


def _check_kind(kind: str) -> WorkpaperKind:
    for known in WORKPAPER_KINDS:
        if kind == known:
            return known
    raise ValidationError(f"'{kind}' is not a workpaper export; choose {', '.join(WORKPAPER_KINDS)}.")


def iter_export_workpapers(
    path: str | Path,
    data: EngagementWorkpapers,
    kind: str,
    *,
    exported_at: dt.datetime,
    exported_by: str,
    requests: Sequence[ClientRequest] = (),
) -> Generator[Progress, None, ExportResult]:
    """Write one workpaper export (see the module's list) to ``path``, yielding progress.

    ``matrix`` and ``exceptions`` may also go to a .csv file (their first sheet).
    ``rows`` of the result counts the data rows of the main sheet (controls, tested
    items, exceptions, samples), or of every table sheet for ``workbook``. Closing the
    generator (Cancel) leaves no file behind.
    """
    chosen = _check_kind(kind)
    target = Path(path)
    tables = workpaper_tables(data, chosen, requests)
    file_kind = output_kind(target, csv_allowed=chosen in ("matrix", "exceptions"))
    steps = sum(t.size for t in tables) + 1
    yield Progress(0, steps, f"Writing the {_TITLES[chosen].lower()}")
    if file_kind == "csv":
        first = tables[0]
        rows = write_csv(target, [c.header for c in first.columns], first.rows())
        return ExportResult(target, rows, (), ((first.title, rows),))
    notes = ExportNotes()
    done = 0
    written: list[tuple[str, int]] = []
    with streamed_workbook(target) as workbook:
        cover = CoverSheet(workbook, "Cover", notes=notes)
        for table in tables:
            sheet = TableSheet(workbook, table.title, table.columns, notes=notes, freeze="B2")
            for values in table.rows():
                sheet.append(values)
                done += 1
                if done % _PROGRESS_EVERY == 0:
                    yield Progress(min(done, steps - 1), steps, f"Writing {table.title.lower()}")
            written.append((table.title, sheet.close()))
        _write_cover(cover, data, chosen, exported_at, exported_by, written, notes)
        yield Progress(steps - 1, steps, "Saving the workbook")
    # The main sheet's rows for one workpaper; every table sheet's for the whole workbook.
    rows = sum(n for _, n in written) if chosen == "workbook" else written[0][1]
    return ExportResult(target, rows, notes.sentences(), tuple(written))


def _utc_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _write_cover(
    cover: CoverSheet,
    data: EngagementWorkpapers,
    kind: WorkpaperKind,
    exported_at: dt.datetime,
    exported_by: str,
    written: Sequence[tuple[str, int]],
    notes: ExportNotes,
) -> None:
    e = data.engagement
    cover.heading(_TITLES[kind])
    cover.blank()
    cover.line("Engagement", f"{e.ref} · {e.client}")
    cover.line("System", e.system_name)
    cover.line("Examination", f"{e.type.label}, {e.period_label}")
    if data.firm:
        cover.line("Service auditor", data.firm)
    cover.line("Phase", e.phase.value)
    cover.line("Exported", f"{_utc_text(exported_at)} by {exported_by}")
    proposal = data.conclusions.proposal
    cover.line("Proposed opinion", proposal.opinion.label)
    if data.conclusions.recorded is not None:
        cover.line("Recorded opinion", data.conclusions.recorded.opinion.label)
    cover.blank()
    cover.line("Sheets")
    for title, rows in written:
        cover.line(f"  {title}", rows)
    retired = len(data.controls) - len(data.live_controls)
    if retired:
        cover.blank()
        cover.text(f"{retired} retired control(s) are kept in AuditDesk and left out of these workpapers.")
    sentences = notes.sentences()
    if sentences:
        cover.blank()
        cover.line("Notes")
        for sentence in sentences:
            cover.text(sentence)


def export_workpapers(
    path: str | Path,
    data: EngagementWorkpapers,
    kind: str,
    *,
    exported_at: dt.datetime,
    exported_by: str,
    requests: Sequence[ClientRequest] = (),
) -> ExportResult:
    """:func:`iter_export_workpapers` without progress."""
    generator = iter_export_workpapers(
        path, data, kind, exported_at=exported_at, exported_by=exported_by, requests=requests
    )
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            result: ExportResult = stop.value
            return result
