"""Population files from clients: inspect, validate and stream their rows.

A population file is a CSV or XLSX table with a header row; the auditor maps one
column to the item key, one to the item date and optionally one to the amount
(:class:`ColumnMapping`); every other column is kept as item data.

* :func:`inspect_population_file` looks at a file for the mapping step: kind,
  digest, sheets, encoding, delimiter, headers and the first rows.
* :class:`PopulationReader` streams the rows in batches (constant memory apart from
  the set of keys seen) and collects a :class:`ValidationReport` while it goes;
  :func:`iter_population_rows` is the same without the report, and
  :func:`validate_population_file` checks a file without keeping rows.

Rows with problems are still yielded (date or amount None where unreadable) so the
user may import anyway with the issues recorded; blank rows are skipped and counted.
Cancelling is simply not asking for the next batch: the generators close the file
when they are closed or collected.

Dates: see :mod:`workpapers._dates` (automatic ISO, ``YYYY/MM/DD``, US ``M/D/YYYY``,
``D.M.YYYY`` and ``D-Mon-YYYY``; ``03/04/2025`` is March 4 unless an explicit
strptime ``date_format`` says otherwise).  Amounts: see :mod:`workpapers._amounts`.
Encodings: see :mod:`workpapers._textfile` (UTF-8, UTF-16/32 with a byte order mark,
else Windows-1252, reported as an "encoding" issue).
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice, repeat
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Literal, TypeAlias

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from auditdesk.errors import FileFormatError, ValidationError
from sampling.progress import Progress
from workpapers import limits
from workpapers._amounts import (
    PLAIN_AMOUNT,
    PLAIN_AMOUNTS,
    digit_count,
    float_texts,
    normalize_amount,
    number_text,
)
from workpapers._dates import (
    DateTextError,
    check_date_format,
    date_parser,
    parse_date_auto,
    suggest_date_format,
)
from workpapers._textfile import TextSource, no_table_error, open_binary, sniff_delimiter
from workpapers._xlsx import (
    FormulaCells,
    check_archive,
    check_members,
    check_shared_strings,
    column_letters,
    scan_sheet,
    worksheet_part,
)

__all__ = [
    "ISSUE_KINDS",
    "MAX_ISSUE_DETAILS",
    "ROW_FIELDS",
    "ColumnMapping",
    "IssueKind",
    "PopulationFilePreview",
    "PopulationIssue",
    "PopulationReader",
    "PopulationRow",
    "RowBatch",
    "ValidationReport",
    "inspect_population_file",
    "iter_population_rows",
    "suggest_date_format",
    "validate_population_file",
]

FileKind: TypeAlias = Literal["csv", "xlsx"]
#: The cells of one column of a chunk of records.
Column: TypeAlias = Sequence[Any]
IssueKind: TypeAlias = Literal[
    "duplicate_key",
    "missing_key",
    "missing_date",
    "bad_date",
    "outside_period",
    "blank_row",
    "bad_amount",
    "formula",
    "encoding",
    "short_row",
    "extra_cells",
    "unclosed_quote",
]
#: Every issue kind, in the order a report lists them.
ISSUE_KINDS: tuple[IssueKind, ...] = (
    "duplicate_key",
    "missing_key",
    "missing_date",
    "bad_date",
    "outside_period",
    "blank_row",
    "bad_amount",
    "formula",
    "encoding",
    "short_row",
    "extra_cells",
    "unclosed_quote",
)
#: Issues kept with their details; more are counted in ``issue_counts`` only.
MAX_ISSUE_DETAILS = 1000

#: One population row: (line, key, date, amount, data).  ``line`` is the 1-based line
#: (CSV) or row (XLSX) number where the row starts; ``key`` is the stripped key text
#: ("" when blank); ``date`` None when missing or unreadable; ``amount`` a plain
#: decimal string (None without an amount column or when unreadable); ``data`` a
#: compact JSON object of the other columns in header order (None when there are none).
PopulationRow: TypeAlias = tuple[int, str, date | None, str | None, str | None]
ROW_FIELDS = ("line", "key", "date", "amount", "data")

_DATE_CACHE_LIMIT = 200_000
#: Records checked together: small enough for the CPU caches, big enough for C loops.
_CHUNK_ROWS = 512
_VALUE_LIMIT = 200
_FORMULA_START = frozenset("=+-@\t\r")
_FORMULA_HIT = re.compile("\x00[=+\\-@\t\r]")
#: Printable ASCII but the two characters JSON escapes, and NUL (never in cell text).
_JSON_SAFE = bytes(c for c in range(32, 127) if chr(c) not in '"\\') + b"\x00"
_FIRST_CHAR_NAMES = {"\t": "a tab", "\r": "a carriage return"}
#: Fed to the CSV reader after the last line: a record of its own after a complete
#: record, the end of the last cell when a quote is still open (files hold no NUL).
_SENTINEL = "\x00"
_END_RECORD = [_SENTINEL]
_LINE_BREAK = re.compile("\r\n|\r|\n")


# -- public dataclasses ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which header names hold the key, the date and (optionally) the amount.

    ``sheet`` chooses the XLSX sheet (None: the first worksheet; ignored for CSV).
    ``date_format`` None reads dates automatically; otherwise a strptime format such
    as ``"%d/%m/%Y"`` that every date must match.
    """

    key: str
    date: str
    amount: str | None = None
    sheet: str | None = None
    date_format: str | None = None


@dataclass(frozen=True, slots=True)
class PopulationFilePreview:
    """What the mapping step shows about a population file."""

    file_name: str
    size: int
    sha256: str
    kind: FileKind
    sheets: tuple[str, ...]
    sheet: str | None
    encoding: str | None
    delimiter: str | None
    headers: tuple[str, ...]
    preview: tuple[tuple[str, ...], ...]
    approx_rows: int | None
    #: Sentences the user should read before mapping (e.g. the encoding was guessed).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowBatch:
    """Rows read so far, with progress in bytes (CSV) or sheet rows (XLSX).

    The last batch of a file has ``done == total`` and may hold no rows.
    """

    rows: list[PopulationRow]
    done: int
    total: int
    label: str = "Reading the population file"

    @property
    def progress(self) -> Progress:
        return Progress(self.done, self.total, self.label)


@dataclass(frozen=True, slots=True)
class PopulationIssue:
    """One problem found in the file; ``message`` is a sentence for the user."""

    kind: IssueKind
    line: int | None
    column: str | None
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What validation found in a whole file.

    ``rows`` counts the rows yielded (blank rows excluded); ``blank_rows`` every blank
    row, though blank rows at the very end of the file are not listed as issues.
    ``issues`` holds the first :data:`MAX_ISSUE_DETAILS` issues (by line), while
    ``issue_counts`` counts all of them; ``truncated`` says some were left out.
    ``sha256`` is the hex digest of the file bytes that were read.
    ``physical_lines`` is the number of lines in a CSV file (a row whose cell holds
    line breaks takes several) or the last row of the sheet: shown next to ``rows``
    it makes rows that were swallowed by a broken quote visible.
    """

    rows: int
    blank_rows: int
    issues: tuple[PopulationIssue, ...]
    issue_counts: dict[str, int]
    truncated: bool
    sha256: str = ""
    kind: FileKind | None = None
    encoding: str | None = None
    sheet: str | None = None
    headers: tuple[str, ...] = field(default=())
    physical_lines: int | None = None

    @property
    def issue_count(self) -> int:
        return sum(self.issue_counts.values())


# -- small helpers -------------------------------------------------------------------


def _short(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[: limit - 3] + "..."
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _digits_text(value: str) -> str:
    """A long number shown by its ends and its count of digits."""
    return f"{value[:25]}...{value[-10:]} ({digit_count(value):,} digits)" if len(value) > 40 else value


def _cell_text(value: Any) -> str:
    """An XLSX cell value as text (whole numbers without ``.0``, ISO dates)."""
    kind = type(value)
    if kind is str:
        text: str = value
        return text
    if kind is float or kind is int:
        return number_text(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is datetime:
        return str(value.isoformat(sep=" "))
    if kind is date or kind is time:
        return str(value.isoformat())
    return str(value)


def _blankish(record: list[Any]) -> bool:
    """Whether a row holds nothing but empty or blank text cells."""
    return all(type(cell) is str and not cell.strip() for cell in record)


def _formula_like(text: str) -> bool:
    """Whether a text cell starts like a spreadsheet formula (a signed number does not)."""
    if not text or text[0] not in _FORMULA_START:
        return False
    if text[0] in "+-":
        if not text.strip("+- "):
            return False
        try:
            normalize_amount(text)
        except ValueError:
            return True
        return False
    return True


def _header_names(cells: list[str], where: str, letters: bool) -> tuple[str, ...]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) > limits.MAX_COLUMNS:
        raise FileFormatError(
            f"The header row of {where} has {len(names):,} columns, more than the "
            f"{limits.MAX_COLUMNS:,} a population file may have."
        )
    for index, name in enumerate(names):
        label = column_letters(index) if letters else str(index + 1)
        if not name:
            raise FileFormatError(
                f"Column {label} of the header row in {where} has no name; give every "
                "column a name."
            )
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            first, second = positions[name], index
            labels = (
                (column_letters(first), column_letters(second))
                if letters
                else (str(first + 1), str(second + 1))
            )
            raise FileFormatError(
                f"The header row in {where} names two columns '{name}' (columns {labels[0]} "
                f"and {labels[1]}); column names must be unique."
            )
        positions[name] = index
    if names and all(_looks_like_data(name) for name in names):
        raise FileFormatError(
            f"The first row of {where} looks like data ('{_short(names[0])}'), not column "
            "names; add a header row."
        )
    return tuple(names)


def _looks_like_data(text: str) -> bool:
    try:
        normalize_amount(text)
    except ValueError:
        pass
    else:
        return True
    try:
        parse_date_auto(text)
    except DateTextError:
        return False
    return True


def _detect_kind(path: Path, name: str) -> tuple[FileKind, int]:
    with open_binary(path, name) as fh:
        head = fh.read(8)
        size = os.fstat(fh.fileno()).st_size
    if not head:
        raise FileFormatError(f"The file {name} is empty.")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx", size
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileFormatError(
            f"The file {name} is an old .xls workbook or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV."
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FileFormatError(
            f"The file {name} is named like an Excel workbook but is not one; it may be "
            "damaged or renamed."
        )
    return "csv", size


# -- XLSX opening --------------------------------------------------------------------


@dataclass
class _Workbook:
    name: str
    data: bytes
    zip: zipfile.ZipFile
    book: CalamineWorkbook

    def close(self) -> None:
        self.book.close()
        self.zip.close()


def _open_workbook(path: Path, name: str) -> _Workbook:
    """Open a workbook once its size, its parts and its shared text table are checked
    against :mod:`workpapers.limits` (the reading library unpacks them on opening)."""
    with open_binary(path, name) as fh:
        if os.fstat(fh.fileno()).st_size > limits.MAX_UNPACKED_BYTES:
            raise FileFormatError(
                f"The workbook {name} is larger than {limits.MAX_UNPACKED_BYTES:,} bytes, the "
                "most a population workbook may be; save the population as CSV instead."
            )
        data = fh.read()
    damaged = FileFormatError(
        f"The workbook {name} cannot be read; it may be damaged or incomplete."
    )
    check_archive(data, name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise damaged from None
    try:
        if not any(member.endswith("workbook.xml") for member in archive.namelist()):
            raise FileFormatError(
                f"The file {name} is a ZIP archive but not an Excel .xlsx workbook; save it "
                "as .xlsx or CSV."
            )
        check_members(archive, name)
        check_shared_strings(archive, name)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):
        archive.close()
        raise damaged from None
    except BaseException:
        archive.close()
        raise
    return _Workbook(name, data, archive, book)


def _worksheet_names(book: CalamineWorkbook) -> list[str]:
    return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def _choose_sheet(wb: _Workbook, wanted: str | None) -> str:
    names = _worksheet_names(wb.book)
    if wanted is None:
        if not names:
            raise FileFormatError(f"The workbook {wb.name} has no worksheet.")
        return names[0]
    if wanted not in wb.book.sheet_names:
        raise FileFormatError(
            f"The workbook {wb.name} has no sheet named '{wanted}'; its sheets are: "
            f"{', '.join(wb.book.sheet_names)}."
        )
    if wanted not in names:
        raise FileFormatError(
            f"The sheet '{wanted}' in {wb.name} is a chart or macro sheet, not a table."
        )
    return wanted


def _scan_sheet(wb: _Workbook, sheet: str, where: str, formulas: PopulationReader | None = None) -> int:
    """Check the sheet's part against the limits before the reading library loads it,
    keeping its formula cells on ``formulas``; return the count of formula cells
    without a reference.  When the part cannot be told from the workbook's
    relationships, every XML part is checked instead (and no formula is found)."""
    part = worksheet_part(wb.zip, sheet)
    if part is None:
        for member in wb.zip.namelist():
            if member.lower().endswith(".xml"):
                scan_sheet(wb.zip, member, wb.name, where)
        return 0
    found = scan_sheet(wb.zip, part, wb.name, where)
    if formulas is not None:
        formulas._formulas = found.formulas
    return found.unlocated


@dataclass
class _SheetRows:
    """Rows of one sheet: the iterator, the sheet row number of its next row, the last
    row number, the sheet column of the first cell of each row and the row width."""

    rows: Iterator[list[Any]]
    next_line: int
    total: int
    first_column: int
    width: int


def _sheet_rows(wb: _Workbook, sheet: str) -> _SheetRows:
    try:
        ws = wb.book.get_sheet_by_name(sheet)
        start, end = ws.start, ws.end
        width = ws.width
        rows = ws.iter_rows()
        if start is None or end is None:
            raise FileFormatError(
                f"The sheet '{sheet}' in {wb.name} has no header row; the sheet is empty."
            )
        first = next(rows, None)
    except CalamineError:
        raise FileFormatError(
            f"The sheet '{sheet}' in {wb.name} cannot be read; the workbook may be damaged."
        ) from None
    assert first is not None  # a sheet with a start cell has a row
    # python-calamine 0.9 yields rows from the top of the sheet (row 1), earlier
    # versions from the first used row; tell which by the first row's content.
    absolute = start[0] > 0 and first.count("") == len(first)
    next_line = 1 if absolute else start[0] + 1
    return _SheetRows(chain([first], rows), next_line, end[0] + 1, start[1], width)


# -- inspection ----------------------------------------------------------------------


def inspect_population_file(
    path: str | os.PathLike[str], sheet: str | None = None, preview_rows: int = 20
) -> PopulationFilePreview:
    """Describe a population file for the column mapping step.

    Reads the whole file once (for its SHA-256 and, for CSV, its encoding) and
    raises :class:`FileFormatError` with one sentence when it cannot be used.
    """
    file = Path(path)
    kind, _ = _detect_kind(file, file.name)
    if kind == "csv":
        return _inspect_csv(file, preview_rows)
    return _inspect_xlsx(file, sheet, preview_rows)


def _encoding_note(source: TextSource) -> tuple[str, ...]:
    if source.fallback_offset is None:
        return ()
    if source.mixed:
        return (
            f"The file {source.name} mixes UTF-8 with another encoding from byte "
            f"{source.fallback_offset} (line {source.fallback_line}) on; that part was read "
            "as Windows-1252 (cp1252), so check its accented letters.",
        )
    return (
        f"The file {source.name} is not UTF-8 (from line {source.fallback_line}), so it was "
        "read as Windows-1252 (cp1252); check that accented letters look right.",
    )


def _too_long(line: int, name: str) -> FileFormatError:
    return FileFormatError(
        f"Line {line} of {name}: a value that starts on this line is longer than "
        f"{csv.field_size_limit():,} characters, the most a cell may hold; if it starts with a "
        "quote, the closing quote is probably missing."
    )


def _csv_error(exc: csv.Error, line: int, name: str) -> FileFormatError:
    """A CSV reader's error as one sentence; ``line`` is where the failing record began."""
    if "field larger than field limit" in str(exc):
        return _too_long(line, name)
    return FileFormatError(f"Line {line} of {name} cannot be read as CSV: {exc}.")  # pragma: no cover


def _record_end(start: int, records: list[list[str]]) -> int:
    """The last line taken by ``records``, read from the line after ``start``."""
    lines = _record_lines(start, records)
    if not lines:
        return start
    return lines[-1] + sum(_breaks(cell) for cell in records[-1])


def _breaks(cell: str) -> int:
    if "\n" not in cell and "\r" not in cell:
        return 0
    return cell.count("\n") + cell.count("\r") - cell.count("\r\n")


def _inspect_csv(file: Path, preview_rows: int) -> PopulationFilePreview:
    source = TextSource(file, file.name)
    chunks = source.lines()
    try:
        first = next(chunks, [])
        sample = "".join(first)
        delimiter = sniff_delimiter(sample)
        if delimiter is None:
            raise no_table_error(sample, file.name)
        source.delimiter = delimiter
        source.check_width(first, 1)
        lines = len(first) + sum(map(len, chunks))
    finally:
        chunks.close()
    reader = csv.reader(first, delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    names: tuple[str, ...] = ()
    preview: list[tuple[str, ...]] = []
    next_start = 1
    try:
        for record in reader:
            next_start = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, reader.line_num
                names = _header_names(record, f"the file {file.name}", letters=False)
                continue
            cells = (record + [""] * len(names))[: len(names)]
            preview.append(tuple(cells))
            if len(preview) >= preview_rows:
                break
    except csv.Error as exc:
        raise _csv_error(exc, next_start, file.name) from None
    assert header is not None  # sniff_delimiter found a non-blank row
    return PopulationFilePreview(
        file_name=file.name,
        size=source.bytes_read,
        sha256=source.sha256,
        kind="csv",
        sheets=(),
        sheet=None,
        encoding=source.encoding,
        delimiter=delimiter,
        headers=names,
        preview=tuple(preview),
        approx_rows=max(0, lines - header_line),
        notes=_encoding_note(source),
    )


def _inspect_xlsx(file: Path, sheet: str | None, preview_rows: int) -> PopulationFilePreview:
    import hashlib

    wb = _open_workbook(file, file.name)
    try:
        chosen = _choose_sheet(wb, sheet)
        where = f"the sheet '{chosen}' in {file.name}"
        _scan_sheet(wb, chosen, where)
        sheet_rows = _sheet_rows(wb, chosen)
        header_line, header = _xlsx_header(sheet_rows, where)
        names = _header_names([_cell_text(v) for v in header], where, letters=True)
        preview: list[tuple[str, ...]] = []
        for record in sheet_rows.rows:
            if _blankish(record):
                continue
            preview.append(tuple(_cell_text(v) for v in record[: len(names)]))
            if len(preview) >= preview_rows:
                break
        return PopulationFilePreview(
            file_name=file.name,
            size=len(wb.data),
            sha256=hashlib.sha256(wb.data).hexdigest(),
            kind="xlsx",
            sheets=tuple(_worksheet_names(wb.book)),
            sheet=chosen,
            encoding=None,
            delimiter=None,
            headers=names,
            preview=tuple(preview),
            approx_rows=max(0, sheet_rows.total - header_line),
        )
    finally:
        wb.close()


def _xlsx_header(sheet_rows: _SheetRows, where: str) -> tuple[int, list[Any]]:
    """Consume rows up to and including the header; return its row number and cells."""
    for record in sheet_rows.rows:
        line = sheet_rows.next_line
        sheet_rows.next_line += 1
        if not _blankish(record):
            return line, record
    raise FileFormatError(f"{where[0].upper()}{where[1:]} has no header row; it is empty.")


# -- reading -------------------------------------------------------------------------


class _Issues:
    def __init__(self) -> None:
        self.details: list[PopulationIssue] = []
        self.counts: dict[str, int] = {}

    @property
    def full(self) -> bool:
        return len(self.details) >= MAX_ISSUE_DETAILS

    def add(
        self,
        kind: IssueKind,
        line: int | None,
        column: str | None,
        value: str,
        message: str,
        *,
        always: bool = False,
    ) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if always or len(self.details) < MAX_ISSUE_DETAILS:
            self.details.append(PopulationIssue(kind, line, column, value[:_VALUE_LIMIT], message))

    def count(self, kind: IssueKind, number: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + number


class PopulationReader:
    """Stream a population file in batches and validate it on the way.

    ``reader = PopulationReader(path, mapping, period_start, period_end)``, then
    ``for batch in reader.batches(): ...`` and, once the batches are exhausted,
    ``reader.report``.  Each call of :meth:`batches` reads the file afresh; one
    reader serves one thread at a time.

    Raises :class:`FileFormatError` (when iteration starts) for a file that cannot be
    read, and :class:`ValidationError` (at once) for a mapping that cannot work (same
    column twice, an unusable date format, a reversed period).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mapping: ColumnMapping,
        period_start: date | None = None,
        period_end: date | None = None,
        *,
        batch_size: int = 20000,
    ) -> None:
        if not mapping.key.strip() or not mapping.date.strip():
            raise ValidationError("Choose both the key column and the date column.")
        mapped = [mapping.key, mapping.date] + ([mapping.amount] if mapping.amount else [])
        for name in mapped:
            if mapped.count(name) > 1:
                raise ValidationError(
                    f"The column '{name}' is mapped twice; the key, date and amount must be "
                    "different columns."
                )
        if mapping.date_format is not None:
            try:
                check_date_format(mapping.date_format)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        if period_start and period_end and period_start > period_end:
            raise ValidationError(
                f"The period start {period_start.isoformat()} is after its end "
                f"{period_end.isoformat()}."
            )
        if batch_size < 1:
            raise ValidationError("The batch size must be at least 1.")
        self.path = Path(path)
        self.name = self.path.name
        self.mapping = mapping
        self.period_start = period_start
        self.period_end = period_end
        self.batch_size = batch_size
        self._parse_date = date_parser(mapping.date_format)
        self._reset()

    # -- public --------------------------------------------------------------

    @property
    def size(self) -> int:
        """The file's size in bytes (recorded with an imported population).

        After a complete run, the number of bytes that were read and hashed (so it
        matches ``report.sha256``); before, the size on disk.
        """
        if self._size is not None:
            return self._size
        return self.path.stat().st_size

    @property
    def finished(self) -> bool:
        """True once a run of :meth:`batches` has read the whole file."""
        return self._finished

    @property
    def report(self) -> ValidationReport:
        """The validation report (complete once :attr:`finished` is true)."""
        details = sorted(self._issues.details, key=lambda issue: issue.line or 0)
        found = self._issues.counts
        counts: dict[str, int] = {kind: found[kind] for kind in ISSUE_KINDS if kind in found}
        return ValidationReport(
            rows=self._rows,
            blank_rows=self._blank_rows,
            issues=tuple(details),
            issue_counts=counts,
            truncated=sum(counts.values()) > len(details),
            sha256=self._sha256,
            kind=self._kind,
            encoding=self._encoding,
            sheet=self._sheet,
            headers=self._headers,
            physical_lines=self._physical_lines,
        )

    def batches(self) -> Generator[RowBatch, None, None]:
        """Yield the rows in batches of at most ``batch_size``; the last has done == total."""
        label = f"Reading {self.name}"
        runs = self._run(keep=True)
        try:
            for rows, done, total in runs:
                yield RowBatch(rows, done, total, label)
        finally:
            runs.close()

    # -- state ---------------------------------------------------------------

    def _reset(self) -> None:
        self._issues = _Issues()
        self._finished = False
        self._rows = 0
        self._blank_rows = 0
        self._blank_start = 0
        self._blank_run = 0
        self._sha256 = ""
        self._size: int | None = None
        self._kind: FileKind | None = None
        self._encoding: str | None = None
        self._sheet: str | None = None
        self._headers: tuple[str, ...] = ()
        self._physical_lines: int | None = None
        self._delimiter = ","
        self._seen: set[str] = set()
        self._dates: dict[Any, date] = {}
        self._formulas: FormulaCells = {}
        self._first_column = 0
        self._prefix = "Line"
        self._csv = True
        self._chunk_rows = _CHUNK_ROWS

    def _run(self, keep: bool) -> Generator[tuple[list[PopulationRow], int, int], None, None]:
        """Yield (rows, done, total) per batch; rows stay empty unless ``keep``."""
        self._reset()
        kind, _ = _detect_kind(self.path, self.name)
        self._kind = kind
        chunks = self._csv_chunks(keep) if kind == "csv" else self._xlsx_chunks(keep)
        size = self.batch_size
        step = self._chunk_rows = min(_CHUNK_ROWS, size)
        batch: list[PopulationRow] = []
        counted = 0
        total = 0
        try:
            for rows, read, done, total in chunks:
                batch += rows
                counted += read
                if counted + step > size:
                    yield batch, done, total
                    batch, counted = [], 0
        finally:
            chunks.close()
            # The keys seen can take a hundred MB on a million rows: the report
            # does not need them, so the caller may keep the reader for free.
            self._seen = set()
            self._dates = {}
        self._finished = True
        yield batch, total, total

    def _layout(self, names: tuple[str, ...], raw_width: int, where: str) -> None:
        """Resolve the mapping against the header names."""
        self._headers = names
        mapping = self.mapping
        for wanted in (mapping.key, mapping.date, mapping.amount):
            if wanted is not None and wanted not in names:
                raise FileFormatError(
                    f"{where[0].upper()}{where[1:]} has no column named '{wanted}'; its "
                    f"columns are: {', '.join(names)}."
                )
        self._width = len(names)
        self._raw_width = raw_width
        self._key_at = names.index(mapping.key)
        self._date_at = names.index(mapping.date)
        self._amount_at = names.index(mapping.amount) if mapping.amount else -1
        mapped = {self._key_at, self._date_at, self._amount_at}
        self._extra_at = [i for i in range(len(names)) if i not in mapped]
        pieces: list[str] = []
        for position, index in enumerate(self._extra_at):
            start = "{" if position == 0 else '",'
            pieces.append(start + encode_basestring(names[index]) + ':"')
        self._json_pieces = pieces

    # -- CSV -----------------------------------------------------------------

    def _csv_chunks(self, keep: bool) -> Generator[tuple[list[PopulationRow], int, int, int]]:
        """Yield (rows, records read, bytes done, bytes total) per small chunk of records."""
        source = TextSource(self.path, self.name)
        chunks = source.lines()
        try:
            first = next(chunks, [])
            sample = "".join(first)
            delimiter = sniff_delimiter(sample)
            if delimiter is None:
                raise no_table_error(sample, self.name)
            source.delimiter = self._delimiter = delimiter
            source.check_width(first, 1)
            text = chain(chain.from_iterable(chain([first], chunks)), [_SENTINEL])
            reader = csv.reader(text, delimiter=delimiter)
            header = self._csv_header(reader)
            names = _header_names(header, f"the file {self.name}", letters=False)
            self._layout(names, len(header), f"the file {self.name}")
            self._csv = True
            size = source.size
            read = 0
            while True:
                start = reader.line_num
                records: list[list[str]] = []
                try:
                    records.extend(islice(reader, self._chunk_rows))
                except csv.Error as exc:
                    raise _csv_error(exc, _record_end(start, records) + 1, self.name) from None
                end = reader.line_num
                last = len(records) < self._chunk_rows
                if records and records[-1] == _END_RECORD:
                    records.pop()
                    end -= 1
                    last = True
                read += len(records)
                if read > limits.MAX_ROWS:
                    raise FileFormatError(
                        f"The file {self.name} has more than {limits.MAX_ROWS:,} rows, the most a "
                        "population file may have; split it."
                    )
                if end - start == len(records):
                    lines = list(range(start + 1, end + 1))
                else:
                    lines = _record_lines(start, records)
                    self._check_quotes(lines, records, source)
                rows = self._check(lines, records, keep)
                if last:
                    self._finish_csv(source)
                    yield rows, len(records), size, size
                    return
                yield rows, len(records), min(source.bytes_read, size), size
        finally:
            chunks.close()

    def _csv_header(self, reader: Iterator[list[str]]) -> list[str]:
        line = 1
        for header in reader:
            if any(cell.strip() for cell in header):
                break
            line += 1
        else:  # pragma: no cover - sniff_delimiter found a non-blank row
            raise FileFormatError(f"The file {self.name} has no header row.")
        for index, cell in enumerate(header):
            if cell.endswith(_SENTINEL):
                raise FileFormatError(
                    f"Line {line} of {self.name}: the column name in column {index + 1} opens a "
                    "quote that is never closed; close it or remove the quote."
                )
        return header

    def _check_quotes(self, lines: list[int], records: list[list[str]], source: TextSource) -> None:
        """Report quoted values that swallowed lines: one still open at the end of the
        file (the reader's last cell then ends with the sentinel, removed here), or one
        holding lines that look like rows of their own."""
        last = records[-1] if records else None
        if last and last[-1].endswith(_SENTINEL):
            last[-1] = last[-1][: -len(_SENTINEL)]
            line = lines[-1] + sum(map(_breaks, last[:-1]))
            self._issues.add(
                "unclosed_quote",
                line,
                self._cell_column(len(last) - 1),
                _short(last[-1]),
                f"Line {line}: the value in {self._cell_name(len(last) - 1)} opens a quote that is "
                f"never closed, so the {source.lines_read - line:,} lines after it were read into "
                "this one value.",
            )
            records = records[:-1]
        delimiter = self._delimiter
        enough = max(1, self._width - 1)
        for line, record in zip(lines, records, strict=False):
            for index, cell in enumerate(record):
                breaks = _breaks(cell)
                if not breaks:
                    continue
                pieces = _LINE_BREAK.split(cell)[1:]
                rows = sum(1 for piece in pieces if piece.count(delimiter) >= enough)
                if rows:
                    self._issues.add(
                        "unclosed_quote",
                        line,
                        self._cell_column(index),
                        _short(cell),
                        f"Line {line}: the value in {self._cell_name(index)} runs on to line "
                        f"{line + breaks:,} and holds {rows:,} lines that look like rows of their "
                        "own, so a closing quote is probably missing.",
                    )
                line += breaks

    def _cell_column(self, index: int) -> str | None:
        return self._headers[index] if index < len(self._headers) else None

    def _cell_name(self, index: int) -> str:
        name = self._cell_column(index)
        return f"column '{name}'" if name is not None else f"cell {index + 1} of the row"

    def _finish_csv(self, source: TextSource) -> None:
        self._physical_lines = source.lines_read
        self._sha256 = source.sha256
        self._size = source.bytes_read
        self._encoding = source.encoding
        if source.fallback_offset is not None:
            message = _encoding_note(source)[0]
            if source.mixed:
                message = (
                    f"Line {source.fallback_line}: the file switches from UTF-8 to another "
                    f"encoding at byte {source.fallback_offset}, and the rest was read as "
                    "Windows-1252 (cp1252)."
                )
            self._issues.add(
                "encoding",
                source.fallback_line,
                None,
                f"byte {source.fallback_offset}",
                message,
                always=True,
            )

    # -- XLSX ----------------------------------------------------------------

    def _xlsx_chunks(self, keep: bool) -> Generator[tuple[list[PopulationRow], int, int, int]]:
        """Yield (rows, records read, sheet rows done, last sheet row) per small chunk."""
        import hashlib

        wb = _open_workbook(self.path, self.name)
        try:
            self._sha256 = hashlib.sha256(wb.data).hexdigest()
            self._size = len(wb.data)
            sheet = _choose_sheet(wb, self.mapping.sheet)
            self._sheet = sheet
            self._prefix = "Row"
            self._csv = False
            where = f"the sheet '{sheet}' in {self.name}"
            unlocated = _scan_sheet(wb, sheet, where, formulas=self)
            sheet_rows = _sheet_rows(wb, sheet)
            self._physical_lines = sheet_rows.total
            header_line, header = _xlsx_header(sheet_rows, where)
            names = _header_names([_cell_text(v) for v in header], where, letters=True)
            self._layout(names, sheet_rows.width, where)
            self._first_column = sheet_rows.first_column
            if unlocated:
                self._issues.add(
                    "formula",
                    None,
                    None,
                    "",
                    f"The sheet '{sheet}' has {unlocated} formula cells without a cell "
                    "reference; their last calculated values were read.",
                    always=True,
                )
            total = sheet_rows.total
            line = sheet_rows.next_line
            rows_iter = sheet_rows.rows
            while True:
                records = list(islice(rows_iter, self._chunk_rows))
                lines = list(range(line, line + len(records)))
                line += len(records)
                rows = self._check(lines, records, keep)
                if len(records) < self._chunk_rows:
                    self._check_formula_cells(sorted(r for r in self._formulas if r >= line))
                    yield rows, len(records), total, total
                    return
                yield rows, len(records), min(line - 1, total), total
        finally:
            wb.close()

    # -- checking --------------------------------------------------------------

    def _where(self, line: int) -> str:
        return f"{self._prefix} {line}"

    def _column(self, index: int) -> str:
        return self._headers[index]

    def _blank(self, line: int) -> None:
        self._blank_rows += 1
        if not self._blank_run:
            self._blank_start = line
        self._blank_run += 1

    def _flush_blanks(self) -> None:
        """Report the pending blank rows: a non-blank row follows them."""
        start, run = self._blank_start, self._blank_run
        self._blank_run = 0
        for offset in range(run):
            if self._issues.full:
                self._issues.count("blank_row", run - offset)
                return
            line = start + offset
            self._issues.add(
                "blank_row",
                line,
                None,
                "",
                f"{self._where(line)}: the row is blank and was skipped.",
            )

    def _filter(
        self, lines: list[int], records: list[list[Any]]
    ) -> tuple[list[int], list[list[Any]]]:
        """Drop blank rows and fix row shapes, reporting what was done (the slow path)."""
        width = self._width
        kept_lines: list[int] = []
        kept: list[list[Any]] = []
        for line, record in zip(lines, records, strict=True):
            if _blankish(record):
                self._blank(line)
                continue
            if self._blank_run:
                self._flush_blanks()
            cells = len(record)
            if cells > limits.MAX_COLUMNS:
                raise FileFormatError(
                    f"Line {line} of {self.name} has {cells:,} cells, more than the "
                    f"{limits.MAX_COLUMNS:,} a population row may have."
                )
            if cells < width:
                self._issues.add(
                    "short_row",
                    line,
                    None,
                    str(cells),
                    f"{self._where(line)}: the row has {cells} cells but the header has "
                    f"{width} columns, so the missing cells were read as blank.",
                )
                record = record + [""] * (width - cells)
            elif cells > width:
                tail = record[width:]
                if tail.count("") != len(tail):
                    self._extra_cells(line, record, tail)
            kept_lines.append(line)
            kept.append(record)
        return kept_lines, kept

    def _extra_cells(self, line: int, record: list[Any], tail: list[Any]) -> None:
        width = self._width
        if self._csv:
            self._issues.add(
                "extra_cells",
                line,
                None,
                str(len(record)),
                f"{self._where(line)}: the row has {len(record)} cells but the header has "
                f"{width} columns, so the extra cells were ignored.",
            )
            return
        offset = next(i for i, cell in enumerate(tail) if cell != "")
        ref = f"{column_letters(self._first_column + width + offset)}{line}"
        self._issues.add(
            "extra_cells",
            line,
            None,
            _cell_text(tail[offset]),
            f"Row {line}: the cell {ref} has a value but no column name in the header row, "
            "so it was ignored.",
        )

    def _clean(self, records: list[list[Any]], columns: list[Column], keys: list[str]) -> bool:
        """Whether the chunk needs no slow path: no blank rows, no cells past the header.

        Called when every record has the header's raw width; a blank row then shows
        as a blank key, so only rows with a blank key are looked at in full.
        """
        for tail in columns[self._width :]:
            if tail.count("") != len(tail):
                return False
        return "" not in keys or not any(
            _blankish(record) for record, key in zip(records, keys, strict=True) if not key
        )

    def _keys(self, raw: Column) -> list[str]:
        if self._csv:
            return list(map(str.strip, raw))
        return [value.strip() if type(value) is str else _cell_text(value) for value in raw]

    def _check(self, lines: list[int], records: list[list[Any]], keep: bool) -> list[PopulationRow]:
        if not records:
            return []
        if self._formulas:
            self._check_formula_cells(lines)
        columns: list[Column] = []
        keys: list[str] = []
        if len(records[0]) == self._raw_width:
            try:
                columns = list(zip(*records, strict=True))
            except ValueError:  # rows of different lengths: the slow path sorts them out
                columns = []
        if columns:
            keys = self._keys(columns[self._key_at])
            if not self._clean(records, columns, keys):
                columns = []
            elif self._blank_run:
                self._flush_blanks()
        if not columns:
            lines, records = self._filter(lines, records)
            if not records:
                return []
            columns = list(zip(*records, strict=False))
            keys = self._keys(columns[self._key_at])
        self._rows += len(records)
        raw_keys = columns[self._key_at]
        texts = raw_keys if self._csv else [v if type(v) is str else "" for v in raw_keys]
        self._check_text(texts, "\x00".join(texts), lines, self._key_at)
        self._check_keys(keys, lines)
        dates = self._check_dates(columns[self._date_at], lines)
        amounts: Iterable[str | None] = repeat(None)
        if self._amount_at >= 0:
            amounts = self._check_amounts(columns[self._amount_at], lines)
        datas: Iterable[str | None] = repeat(None)
        escaped: list[Column] = []
        for index in self._extra_at:
            column = columns[index]
            if not self._csv:
                column = [v if type(v) is str else _cell_text(v) for v in column]
            joined = "\x00".join(column)
            self._check_text(column, joined, lines, index)
            if keep:
                if (
                    not joined.isascii()
                    or joined.encode("ascii").translate(None, _JSON_SAFE)
                    or (not self._csv and joined.count("\x00") >= len(column))
                ):
                    column = [encode_basestring(value)[1:-1] for value in column]
                escaped.append(column)
        if escaped:
            datas = self._json(escaped)
        if not keep:
            return []
        return list(zip(lines, keys, dates, amounts, datas, strict=False))

    def _json(self, columns: list[Column]) -> list[str]:
        """One compact JSON object per row from columns of already escaped texts."""
        parts: list[Iterable[str]] = []
        for piece, column in zip(self._json_pieces, columns, strict=True):
            parts.append(repeat(piece))
            parts.append(column)
        parts.append(repeat('"}'))
        return list(map("".join, zip(*parts, strict=False)))

    def _check_text(self, texts: Column, joined: str, lines: list[int], index: int) -> None:
        """Report text cells starting like a formula; ``joined`` is ``texts`` NUL-joined.

        Refuses a cell longer than :data:`~workpapers.limits.MAX_CELL_CHARS` (a CSV
        reader stops at its own field limit first; a workbook's cell was bounded in
        bytes while it streamed).
        """
        if len(joined) > limits.MAX_CELL_CHARS:
            for line, text in zip(lines, texts, strict=True):
                if len(text) > limits.MAX_CELL_CHARS:
                    raise FileFormatError(
                        f"{self._where(line)} of {self.name}: the cell in column "
                        f"'{self._column(index)}' holds {len(text):,} characters, more than the "
                        f"{limits.MAX_CELL_CHARS:,} a cell may hold."
                    )
        if _FORMULA_HIT.search(joined) is None and texts[0][:1] not in _FORMULA_START:
            return
        for line, text in zip(lines, texts, strict=True):
            if _formula_like(text):
                self._formula_text(line, index, text)

    def _formula_text(self, line: int, index: int, text: str) -> None:
        if not self._csv and any(
            cell[0] == index + self._first_column for cell in self._formulas.get(line, ())
        ):
            return  # reported as a formula cell
        first = _FIRST_CHAR_NAMES.get(text[0], f"'{text[0]}'")
        self._issues.add(
            "formula",
            line,
            self._column(index),
            text,
            f"{self._where(line)}: the value '{_short(text)}' in column '{self._column(index)}' "
            f"starts with {first}, so a spreadsheet could run it as a formula.",
        )

    def _check_formula_cells(self, lines: list[int]) -> None:
        formulas = self._formulas
        first, width = self._first_column, self._width
        for line in lines:
            cells = formulas.get(line)
            if cells is None:
                continue
            for column, ref, text in cells:
                index = column - first
                if 0 <= index < width:
                    self._issues.add(
                        "formula",
                        line,
                        self._column(index),
                        "=" + text,
                        f"Row {line}: the cell {ref} in column '{self._column(index)}' is a "
                        f"formula (={_short(text)}), so its last calculated value was read.",
                    )

    def _check_keys(self, keys: list[str], lines: list[int]) -> None:
        # A set, not a dict of first lines: a third faster on a million keys and half
        # the memory, so a repeat is reported without the line of its first use.
        seen = self._seen
        distinct = set(keys)
        if len(distinct) == len(keys) and "" not in distinct and seen.isdisjoint(distinct):
            seen |= distinct
            return
        column = self._column(self._key_at)
        for line, key in zip(lines, keys, strict=True):
            if not key:
                self._issues.add(
                    "missing_key",
                    line,
                    column,
                    "",
                    f"{self._where(line)}: the key in column '{column}' is blank.",
                )
            elif key in seen:
                self._issues.add(
                    "duplicate_key",
                    line,
                    column,
                    key,
                    f"{self._where(line)}: the key '{_short(key)}' already appears on an earlier "
                    f"{self._prefix.lower()}.",
                )
            else:
                seen.add(key)

    def _check_dates(self, raw: Column, lines: list[int]) -> list[date | None]:
        dates: list[date | None] = list(map(self._dates.get, raw))
        if None in dates:
            for position, found in enumerate(dates):
                if found is None:
                    dates[position] = self._read_date(raw[position], lines[position])
        return dates

    def _read_date(self, value: Any, line: int) -> date | None:
        column = self._column(self._date_at)
        kind = type(value)
        if kind is str:
            text: str = value.strip()
            if not text:
                self._issues.add(
                    "missing_date",
                    line,
                    column,
                    "",
                    f"{self._where(line)}: the date in column '{column}' is blank.",
                )
                return None
            try:
                found = self._parse_date(text)
            except DateTextError as exc:
                self._issues.add("bad_date", line, column, text, f"{self._where(line)}: {exc}.")
                if _formula_like(value):
                    self._formula_text(line, self._date_at, value)
                return None
        elif kind is datetime:
            found = value.date()
        elif kind is date:
            found = value
        else:
            text = _cell_text(value)
            what = "a number" if kind is float or kind is int else "no calendar date"
            self._issues.add(
                "bad_date",
                line,
                column,
                text,
                f"{self._where(line)}: the date cell holds {what} ({_short(text)}) rather than "
                "a date.",
            )
            return None
        start, end = self.period_start, self.period_end
        if (start and found < start) or (end and found > end):
            self._issues.add(
                "outside_period",
                line,
                column,
                found.isoformat(),
                f"{self._where(line)}: the date {found.isoformat()} is outside the period "
                f"{_period_text(start, end)}.",
            )
        elif len(self._dates) < _DATE_CACHE_LIMIT:
            self._dates[value] = found
        return found

    def _check_amounts(self, raw: Column, lines: list[int]) -> Sequence[str | None]:
        if self._csv:
            if (
                PLAIN_AMOUNTS.fullmatch("\x00".join(raw) + "\x00") is not None
                and max(map(len, raw)) <= limits.MAX_AMOUNT_DIGITS
            ):
                return raw
            return [
                value if PLAIN_AMOUNT.fullmatch(value) else self._read_amount(value, line)
                for value, line in zip(raw, lines, strict=True)
            ]
        if set(map(type, raw)) == {float}:
            texts = float_texts(raw)
            if texts is not None:
                return texts
        amounts: list[str | None] = []
        for value, line in zip(raw, lines, strict=True):
            kind = type(value)
            if kind is float or kind is int:
                text = number_text(value)
                amounts.append(text if len(text) <= limits.MAX_AMOUNT_DIGITS else self._read_amount(value, line))
            elif kind is str and PLAIN_AMOUNT.fullmatch(value):
                amounts.append(value)
            else:
                amounts.append(self._read_amount(value, line))
        return amounts

    def _stored_amount(self, amount: str, line: int) -> str | None:
        """``amount`` (normal form) if it has few enough digits to store exactly, else None
        with an issue that shows it by its ends and its count of digits."""
        if len(amount) <= limits.MAX_AMOUNT_DIGITS or digit_count(amount) <= limits.MAX_AMOUNT_DIGITS:
            return amount
        self._issues.add(
            "bad_amount",
            line,
            self._column(self._amount_at),
            amount,
            f"{self._where(line)}: the amount '{_digits_text(amount)}' has more than the "
            f"{limits.MAX_AMOUNT_DIGITS} digits an amount may have; check the value.",
        )
        return None

    def _read_amount(self, value: Any, line: int) -> str | None:
        column = self._column(self._amount_at)
        if type(value) is str:
            text = value.strip()
            if not text:
                self._issues.add(
                    "bad_amount",
                    line,
                    column,
                    "",
                    f"{self._where(line)}: the amount in column '{column}' is blank.",
                )
                return None
            try:
                return self._stored_amount(normalize_amount(text), line)
            except ValueError:
                pass
            if _formula_like(value):
                self._formula_text(line, self._amount_at, value)
        else:
            text = _cell_text(value)
            if type(value) is float or type(value) is int:
                return self._stored_amount(text, line)
        self._issues.add(
            "bad_amount",
            line,
            column,
            text,
            f"{self._where(line)}: the amount '{_short(text)}' is not a number.",
        )
        return None


def _period_text(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{start.isoformat()} to {end.isoformat()}"
    if start:
        return f"starting {start.isoformat()}"
    assert end is not None
    return f"ending {end.isoformat()}"


def _record_lines(start: int, records: list[list[str]]) -> list[int]:
    """First physical line of each record when some records span several lines."""
    lines: list[int] = []
    line = start
    for record in records:
        line += 1
        lines.append(line)
        for cell in record:
            if "\n" in cell or "\r" in cell:
                line += cell.count("\n") + cell.count("\r") - cell.count("\r\n")
    return lines


# -- convenience functions -------------------------------------------------------------


def iter_population_rows(
    path: str | os.PathLike[str],
    mapping: ColumnMapping,
    period_start: date | None = None,
    period_end: date | None = None,
    batch_size: int = 20000,
) -> Iterator[RowBatch]:
    """Stream the rows of a population file (see :class:`PopulationReader`)."""
    reader = PopulationReader(path, mapping, period_start, period_end, batch_size=batch_size)
    return reader.batches()


def validate_population_file(
    path: str | os.PathLike[str],
    mapping: ColumnMapping,
    period_start: date | None = None,
    period_end: date | None = None,
) -> Generator[Progress, None, ValidationReport]:
    """Check a whole file without keeping its rows; yield progress, return the report.

    The report arrives as ``StopIteration.value`` (``sampling.progress.run`` does that).
    """
    reader = PopulationReader(path, mapping, period_start, period_end)
    label = f"Checking {reader.name}"
    runs = reader._run(keep=False)
    try:
        for _, done, total in runs:
            yield Progress(done, total, label)
    finally:
        runs.close()
    return reader.report
