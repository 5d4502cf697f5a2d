"""The client request list: exported to Excel for the client, read back when it returns.

The export has a cover sheet (engagement, period, instructions, when it was
exported) and a *Requests* sheet with one row per request. The audit team's
columns (request ID, control, what is requested, item and date, due date,
assignee) are locked by sheet protection; the client's columns (status,
response, evidence file name, comments) are unlocked and marked in yellow, and
status offers a drop-down. Rows stream into the workbook, so a list of 200,000
requests is written in the memory of one row.

A returned list is read with python-calamine and compared with the store: rows
are matched by request ID; a row whose ID is unknown, or whose locked columns no
longer say what the store says, is refused whole; sheets the client added are
ignored. What remains is a list of changes to the client's columns for the
auditor to accept (:class:`RequestListReview`); nothing here writes to the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from auditdesk.errors import FileFormatError
from auditdesk.progress import Progress
from auditdesk.services.requests import (
    CLIENT_STATUSES,
    ClientFields,
    ClientRequest,
    RefusedRow,
    RequestStatus,
    RequestUpdate,
)
from workpapers import limits
from workpapers._excel_safety import (
    ColumnSpec,
    CoverSheet,
    ExportNotes,
    TableSheet,
    atomic_output,
    csv_text,
    exported_text,
    output_kind,
    streamed_workbook,
)
from workpapers._xlsx import scan_formulas, worksheet_part

__all__ = [
    "COVER_SHEET",
    "REQUESTS_SHEET",
    "REQUEST_COLUMNS",
    "ExportResult",
    "ListCover",
    "RequestListReview",
    "ReturnedList",
    "ReturnedRow",
    "compare_request_list",
    "export_request_list",
    "iter_export_request_list",
    "read_returned_request_list",
    "request_cells",
    "review_sentences",
]

COVER_SHEET = "Cover"
REQUESTS_SHEET = "Requests"
#: The audit team's columns first (locked), then the client's (unlocked).
REQUEST_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Request ID", 12),
    ColumnSpec("Control", 11),
    ColumnSpec("Requested", 72),
    ColumnSpec("Item", 18),
    ColumnSpec("Item date", 12, "date"),
    ColumnSpec("Due date", 12, "date"),
    ColumnSpec("Assignee", 20),
    ColumnSpec("Status", 12, client=True),
    ColumnSpec("Response", 44, client=True),
    ColumnSpec("Evidence file name", 30, client=True),
    ColumnSpec("Comments", 44, client=True),
)
_ID, _CONTROL, _REQUESTED, _ITEM, _ITEM_DATE, _DUE, _ASSIGNEE, _STATUS, _RESPONSE, _EVIDENCE, _COMMENTS = range(11)
_LOCKED = (_CONTROL, _REQUESTED, _ITEM, _ITEM_DATE, _DUE, _ASSIGNEE)
_DATES = (_ITEM_DATE, _DUE)
#: A returned list larger than this is not one we sent (200,000 requests take about 10 MB).
MAX_RETURNED_BYTES = 200 * 1024 * 1024
_PROGRESS_EVERY = 1000

INSTRUCTIONS = (
    "Fill in the yellow columns of the Requests sheet: Status, Response, Evidence file name and Comments.",
    "Set Status to 'received' once you have sent what a row asks for, or 'follow-up' if you have a question; "
    "the audit team sets 'accepted'.",
    "In 'Evidence file name', give the name of each file exactly as you send it.",
    "Leave the other columns, the request IDs and the order of the columns as they are: a row changed there "
    "is returned to you unread.",
    "Send the workbook back as an .xlsx file; sheets you add are not read.",
)


@dataclass(frozen=True, slots=True)
class ListCover:
    """What the cover sheet says about the engagement and the export."""

    engagement_ref: str
    client: str
    system_name: str
    period: str
    exported_at: dt.datetime
    exported_by: str
    firm: str = ""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    notes: tuple[str, ...] = ()
    sheets: tuple[tuple[str, int], ...] = ()  # (sheet, rows) of a workbook


def request_cells(request: ClientRequest) -> tuple[object, ...]:
    """One request as the row of the Requests sheet."""
    return (
        request.ref,
        request.control_ref,
        request.description,
        request.item_key,
        request.item_date,
        request.due_date,
        request.assignee,
        request.status.value,
        request.response,
        request.evidence_file_name,
        request.client_comment,
    )


def _utc_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def iter_export_request_list(
    path: str | Path,
    cover: ListCover,
    requests: Iterable[ClientRequest],
    *,
    total: int = 0,
) -> Generator[Progress, None, ExportResult]:
    """Write the request list to ``path`` (.xlsx, or .csv for the rows alone), yielding progress.

    ``total`` is how many requests will come (0 when unknown). Closing the generator
    (Cancel) leaves no file behind and an earlier file of that name unchanged.
    """
    target = Path(path)
    kind = output_kind(target, csv_allowed=True)
    steps = total + 1
    yield Progress(0, steps, "Writing the request list")
    if kind == "csv":
        rows = yield from _write_csv(target, requests, steps, total)
        return ExportResult(target, rows)
    notes = ExportNotes()
    with streamed_workbook(target) as workbook:
        cover_sheet = CoverSheet(workbook, COVER_SHEET, notes=notes)
        sheet = TableSheet(workbook, REQUESTS_SHEET, REQUEST_COLUMNS, notes=notes, protect=True, freeze="B2")
        sheet.add_list_validation(
            _STATUS,
            [s.value for s in CLIENT_STATUSES],
            "Status is open, received or follow-up; the audit team sets accepted.",
        )
        counts: Counter[RequestStatus] = Counter()
        for request in requests:
            sheet.append(request_cells(request))
            counts[request.status] += 1
            if sheet.rows % _PROGRESS_EVERY == 0:
                yield Progress(min(sheet.rows, steps - 1), steps, _written(sheet.rows, total))
        rows = sheet.close()
        _write_cover(cover_sheet, cover, rows, counts, notes)
        yield Progress(max(steps - 1, 0), steps, "Saving the workbook")
    return ExportResult(target, rows, notes.sentences(), ((REQUESTS_SHEET, rows),))


def _written(rows: int, total: int) -> str:
    return f"Writing request {rows:,} of {total:,}" if total else f"Writing request {rows:,}"


def _write_csv(
    target: Path, requests: Iterable[ClientRequest], steps: int, total: int
) -> Generator[Progress, None, int]:
    import csv

    rows = 0
    with atomic_output(target) as temp, temp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in REQUEST_COLUMNS])
        for request in requests:
            writer.writerow(
                [
                    "" if v is None else v.isoformat() if isinstance(v, dt.date) else csv_text(str(v))
                    for v in request_cells(request)
                ]
            )
            rows += 1
            if rows % _PROGRESS_EVERY == 0:
                yield Progress(min(rows, steps - 1), steps, _written(rows, total))
    return rows


def _write_cover(
    sheet: CoverSheet, cover: ListCover, rows: int, counts: Counter[RequestStatus], notes: ExportNotes
) -> None:
    sheet.heading("Client request list")
    sheet.blank()
    sheet.line("Engagement", f"{cover.engagement_ref} · {cover.client}")
    sheet.line("System", cover.system_name)
    sheet.line("Period", cover.period)
    if cover.firm:
        sheet.line("Service auditor", cover.firm)
    sheet.line("Exported", f"{_utc_text(cover.exported_at)} by {cover.exported_by}")
    sheet.line("Requests", rows)
    for status in RequestStatus:
        sheet.line(f"  {status.label}", counts.get(status, 0))
    sheet.blank()
    sheet.line("How to complete this list")
    for number, text in enumerate(INSTRUCTIONS, 1):
        sheet.text(f"{number}. {text}")
    sentences = notes.sentences()
    if sentences:
        sheet.blank()
        sheet.line("Notes")
        for sentence in sentences:
            sheet.text(sentence)


def export_request_list(
    path: str | Path, cover: ListCover, requests: Iterable[ClientRequest], *, total: int = 0
) -> ExportResult:
    """:func:`iter_export_request_list` without progress."""
    generator = iter_export_request_list(path, cover, requests, total=total)
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            result: ExportResult = stop.value
            return result


# ---- reading a returned list ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnedRow:
    """One row of a returned Requests sheet, its cells in :data:`REQUEST_COLUMNS` order."""

    row: int  # as the spreadsheet numbers it
    cells: tuple[Any, ...]
    formulas: tuple[tuple[int, str, str], ...] = ()  # (column index, cell, formula text without '=')

    @property
    def blank(self) -> bool:
        return all(_text(v) == "" for v in self.cells) and not self.formulas


@dataclass(frozen=True, slots=True)
class ReturnedList:
    file_name: str
    sha256: str
    sheet: str
    rows: tuple[ReturnedRow, ...]
    ignored_sheets: tuple[str, ...] = ()
    engagement_ref: str = ""  # as the cover sheet names it, when it does


def _open(path: Path) -> tuple[bytes, CalamineWorkbook]:
    name = path.name
    if path.suffix.lower() != ".xlsx":
        raise FileFormatError(
            f"{name} is not an .xlsx workbook; a request list comes back as the .xlsx it was sent as."
        )
    try:
        size = path.stat().st_size
        if size > MAX_RETURNED_BYTES:
            raise FileFormatError(
                f"{name} is {size // (1024 * 1024)} MB, far more than a request list; check the file."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            unpacked = sum(i.file_size for i in infos)
            if len(infos) > limits.MAX_PARTS or unpacked > limits.MAX_UNPACKED_BYTES:
                raise FileFormatError(f"{name} unpacks to more than a request list can; check the file.")
            for info in infos:
                if info.file_size >= limits.RATIO_CHECKED_FROM and info.file_size > limits.MAX_COMPRESSION_RATIO * max(
                    1, info.compress_size
                ):
                    raise FileFormatError(f"{name} is refused: its part {info.filename} is packed like no workbook is.")
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (zipfile.BadZipFile, CalamineError, ValueError) as exc:
        raise FileFormatError(f"{name} cannot be read as an Excel workbook ({exc}).") from exc
    return data, book


def _header_key(value: object) -> str:
    return " ".join(_text(value).split()).casefold()


def read_returned_request_list(path: str | Path) -> ReturnedList:
    """Read the Requests sheet of a returned list (its other sheets are ignored)."""
    source = Path(path)
    data, book = _open(source)
    names = list(book.sheet_names)
    sheet = next((n for n in names if n == REQUESTS_SHEET), None) or next(
        (n for n in names if n.strip().casefold() == REQUESTS_SHEET.casefold()), None
    )
    try:
        values = None
        if sheet is not None:
            values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        else:
            for name in names:
                table = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                if table and _header_key(REQUEST_COLUMNS[0].header) in {_header_key(v) for v in table[0]}:
                    sheet, values = name, table
                    break
    except (CalamineError, ValueError) as exc:
        raise FileFormatError(f"{source.name} cannot be read as an Excel workbook ({exc}).") from exc
    if sheet is None or not values:
        raise FileFormatError(
            f"{source.name} has no Requests sheet with a request ID column; is it a request list exported by AuditDesk?"
        )
    header = {_header_key(v): i for i, v in enumerate(values[0]) if _text(v)}
    missing = [c.header for c in REQUEST_COLUMNS if _header_key(c.header) not in header]
    if missing:
        raise FileFormatError(
            f"The {sheet} sheet of {source.name} lacks the column(s) {', '.join(missing)}; return the list with "
            "the columns it was sent with."
        )
    positions = [header[_header_key(c.header)] for c in REQUEST_COLUMNS]
    formulas = _formulas(data, source.name, sheet)
    rows: list[ReturnedRow] = []
    for number, line in enumerate(values[1:], 2):
        cells = tuple(line[p] if p < len(line) else "" for p in positions)
        found = tuple(
            (positions.index(column), ref, text)
            for column, ref, text in formulas.get(number, ())
            if column in positions
        )
        returned = ReturnedRow(number, cells, found)
        if not returned.blank:
            rows.append(returned)
    return ReturnedList(
        file_name=source.name,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet=sheet,
        rows=tuple(rows),
        ignored_sheets=tuple(n for n in names if n not in (sheet, COVER_SHEET)),
        engagement_ref=_cover_engagement(book, names),
    )


def _cover_engagement(book: CalamineWorkbook, names: list[str]) -> str:
    """The engagement reference the cover sheet was written for ("" when there is none to read)."""
    if COVER_SHEET not in names:
        return ""
    try:
        rows = book.get_sheet_by_name(COVER_SHEET).to_python()
    except (CalamineError, ValueError):
        return ""
    for row in rows[:20]:
        if len(row) > 1 and _text(row[0]).strip() == "Engagement":
            return _text(row[1]).split(" · ", 1)[0].strip()
    return ""


def _formulas(data: bytes, name: str, sheet: str) -> dict[int, list[tuple[int, str, str]]]:
    """Formula cells of the sheet: the reading library gives their results, not that they are formulas."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = worksheet_part(archive, sheet)
            if part is None:
                return {}
            cells, _unlocated = scan_formulas(archive, part, name)
            return cells
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FileFormatError(f"{name} cannot be read as an Excel workbook ({exc}).") from exc


# ---- comparing with the store -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestListReview:
    """What a returned list would change, for the auditor to accept, and what it cannot."""

    file_name: str
    sha256: str
    updates: tuple[RequestUpdate, ...]
    refused: tuple[RefusedRow, ...]
    unchanged: int
    not_in_file: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _text(value: object) -> str:
    """A cell as text, the way the client sees it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    return str(value)


def _same(a: str, b: str) -> bool:
    # Spreadsheet programs may store a line break as CR LF or LF: the same text to the reader.
    return a == b or a.replace("\r\n", "\n").replace("\r", "\n") == b.replace("\r\n", "\n").replace("\r", "\n")


def _date(value: object) -> dt.date | None | str:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value
    text = _text(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _expected(request: ClientRequest) -> tuple[object, ...]:
    return tuple(request_cells(request)[:_STATUS])


def _locked_changes(row: ReturnedRow, request: ClientRequest) -> list[str]:
    expected = _expected(request)
    formula_columns = {column for column, _ref, _text in row.formulas}
    changed: list[str] = []
    for column in _LOCKED:
        wanted = expected[column]
        found = row.cells[column]
        if column in formula_columns:
            changed.append(REQUEST_COLUMNS[column].header)
        elif column in _DATES:
            if _date(found) != wanted:
                changed.append(REQUEST_COLUMNS[column].header)
        elif not _same(_text(found), exported_text(str(wanted or ""))):
            changed.append(REQUEST_COLUMNS[column].header)
    return changed


def _status(text: str) -> RequestStatus | None:
    key = "".join(text.split()).replace("_", "-").casefold()
    aliases = {s.value.replace("-", ""): s for s in RequestStatus}
    return aliases.get(key.replace("-", ""))


def _client_text(row: ReturnedRow, column: int) -> tuple[str, str | None]:
    """The cell's text, and the cell's reference when a formula produced it."""
    for index, ref, formula in row.formulas:
        if index == column:
            # The formula as typed, kept as text: its result is not what the client wrote.
            return ("=" + formula if formula else _text(row.cells[column])), ref
    return _text(row.cells[column]), None


def _identify(row: ReturnedRow, candidates: Iterable[ClientRequest]) -> str:
    """The request a row with an unknown ID still describes in every locked column, if exactly one."""
    found = [r.ref for r in candidates if not _locked_changes(row, r)]
    return found[0] if len(found) == 1 else ""


def compare_request_list(
    returned: ReturnedList, stored: Iterable[ClientRequest], *, engagement_ref: str = ""
) -> RequestListReview:
    """Match a returned list with the store's requests by ID; nothing is written.

    With ``engagement_ref``, a list whose cover names another engagement is refused whole.
    """
    if engagement_ref and returned.engagement_ref and returned.engagement_ref != engagement_ref:
        raise FileFormatError(
            f"{returned.file_name} is the request list of engagement {returned.engagement_ref}, not of "
            f"{engagement_ref}; nothing was read from it."
        )
    by_ref = {r.ref: r for r in stored}
    in_file = {_text(r.cells[_ID]).strip() for r in returned.rows}
    missing = [r for ref, r in by_ref.items() if ref not in in_file]
    updates: list[RequestUpdate] = []
    refused: list[RefusedRow] = []
    notes: list[str] = []
    seen: set[str] = set()
    unchanged = 0
    for row in returned.rows:
        ref = _text(row.cells[_ID]).strip()
        if not ref:
            refused.append(RefusedRow(row.row, "", "the row has no request ID; new requests are made in AuditDesk"))
            continue
        if ref in seen:
            refused.append(RefusedRow(row.row, ref, f"request ID {ref} appears again; only its first row is read"))
            continue
        seen.add(ref)
        request = by_ref.get(ref)
        if request is None:
            original = _identify(row, missing)
            reason = f"request ID {ref} is not one of this engagement's requests"
            if original:
                reason += f"; the row is request {original} with its ID changed"
            refused.append(RefusedRow(row.row, ref, reason, original))
            continue
        changed = _locked_changes(row, request)
        if changed:
            refused.append(
                RefusedRow(
                    row.row,
                    ref,
                    f"the audit team's column(s) {', '.join(changed)} were changed; nothing in this row was taken",
                )
            )
            continue
        outcome = _client_changes(row, request, notes)
        if isinstance(outcome, RefusedRow):
            refused.append(outcome)
        elif outcome is None:
            unchanged += 1
        else:
            updates.append(outcome)
    if returned.ignored_sheets:
        notes.append(f"Sheet(s) {', '.join(returned.ignored_sheets)} added to the list were not read.")
    if missing:
        notes.append(f"{len(missing)} request(s) of the engagement are not in the file and stay as they are.")
    return RequestListReview(
        file_name=returned.file_name,
        sha256=returned.sha256,
        updates=tuple(updates),
        refused=tuple(refused),
        unchanged=unchanged,
        not_in_file=tuple(r.ref for r in missing),
        notes=tuple(notes),
    )


def _client_changes(row: ReturnedRow, request: ClientRequest, notes: list[str]) -> RequestUpdate | RefusedRow | None:
    status_text, status_formula = _client_text(row, _STATUS)
    status = request.status if not status_text.strip() else _status(status_text)
    if status is None or status_formula:
        allowed = ", ".join(s.value for s in CLIENT_STATUSES)
        return RefusedRow(row.row, request.ref, f"status '{status_text}' is not one of {allowed}")
    after: dict[str, str] = {}
    for field, column in (("response", _RESPONSE), ("evidence_file_name", _EVIDENCE), ("client_comment", _COMMENTS)):
        text, formula_cell = _client_text(row, column)
        old = getattr(request, field)
        if _same(text, exported_text(old)):
            after[field] = old
            continue
        after[field] = text
        if formula_cell:
            notes.append(f"Cell {formula_cell} held a formula; its text is taken, not its result.")
    fields = ClientFields(status, after["response"], after["evidence_file_name"], after["client_comment"])
    if fields == request.client_fields:
        return None
    if request.status is RequestStatus.ACCEPTED:
        return RefusedRow(
            row.row,
            request.ref,
            f"request {request.ref} is accepted by the audit team; it is not changed from the list",
        )
    if status is RequestStatus.ACCEPTED:
        return RefusedRow(
            row.row, request.ref, "only the audit team accepts a request; set Status to received or follow-up"
        )
    return RequestUpdate(request.ref, row.row, request.client_fields, fields)


def review_sentences(review: RequestListReview) -> tuple[str, ...]:
    """The review in words: what would change, what is refused and why."""
    lines = [
        f"{len(review.updates)} request(s) changed, {review.unchanged} unchanged, {len(review.refused)} row(s) refused."
    ]
    lines += [f"Row {r.row} ({r.ref or 'no ID'}): {r.reason}." for r in review.refused]
    lines += list(review.notes)
    return tuple(lines)
