"""Writing workbooks that open cleanly and safely in Excel and LibreOffice.

Text in a workpaper often comes from the client (item keys, responses, names). A
cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
can turn into a live formula when a spreadsheet program reads or re-edits it, so
such text is written as a string cell with the *quote prefix* style (Excel's
leading apostrophe): it stays text when the cell is edited. XML cannot carry most
control characters at all; they are removed, counted and named in a note, and
text longer than a cell can hold (32,767 characters) is cut with a note. Nothing
here raises on any text. CSV files get a leading ``'`` instead.

Sheets are written with openpyxl's write-only mode: rows stream to a temporary
file, so a 200,000-row sheet takes the memory of one row. The app writes no
formulas of its own.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from auditdesk.errors import AuditDeskError

__all__ = [
    "EXCEL_MAX_CHARS",
    "FORMULA_TRIGGERS",
    "ColumnSpec",
    "CoverSheet",
    "ExportError",
    "ExportNotes",
    "TableSheet",
    "atomic_output",
    "csv_text",
    "exported_text",
    "formula_like",
    "new_workbook",
    "output_kind",
    "streamed_workbook",
    "write_csv",
    "xml_safe",
]

#: First characters that make a spreadsheet read text as a formula (or part of one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: The most characters one cell holds in Excel.
EXCEL_MAX_CHARS = 32_767
# Characters XML 1.0 cannot carry (tab, line feed and carriage return it can), lone
# surrogates, and the two non-characters U+FFFE and U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text Excel shows as an error value when it is written untyped.
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
_NOTED_CELLS = 10

HEADER_FILL = PatternFill("solid", start_color="FF1F3A5F", end_color="FF1F3A5F")
CLIENT_FILL = PatternFill("solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
CLIENT_HEADER_FONT = Font(bold=True, color="FF1F3A5F")
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)


class ExportError(AuditDeskError):
    """A workbook or CSV file could not be written where the user asked."""


def xml_safe(text: str) -> str:
    """``text`` without the characters a workbook's XML cannot hold."""
    if text.isascii() and text.isprintable():
        return text
    return _ILLEGAL.sub("", text)


def exported_text(text: str) -> str:
    """Exactly the text an export writes for ``text`` (what a returned file is compared with)."""
    return xml_safe(text)[:EXCEL_MAX_CHARS]


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """A CSV field that no spreadsheet evaluates: formula-like text gets a leading apostrophe."""
    return "'" + text if formula_like(text) else text


# ---- files ----------------------------------------------------------------------------------


def output_kind(path: Path, *, csv_allowed: bool) -> Literal["xlsx", "csv"]:
    """``xlsx`` or ``csv`` from the file name; anything else is refused with a sentence."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".csv" and csv_allowed:
        return "csv"
    also = " (or .csv)" if csv_allowed else ""
    raise ExportError(f"Name the export {path.name or 'file'} with .xlsx{also}, so spreadsheet programs open it.")


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it only when the block succeeds.

    A failed or cancelled export leaves no half-written file and an earlier file unchanged.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"The folder {folder} does not exist; choose where to save the export.")
    temp = folder / f".{target.name}.{os.getpid()}.partial"
    try:
        yield temp
        os.replace(temp, target)
    except OSError as exc:
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """A CSV file Excel opens as UTF-8; formula-like text is prefixed with ``'``. Returns the rows written."""
    count = 0
    with atomic_output(path) as temp, temp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_text(h) for h in headers])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | int | float | Decimal):
        return str(value)
    return csv_text(str(value))


# ---- workbooks -------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    """A write-only workbook (no sheet yet)."""
    return Workbook(write_only=True)


@contextlib.contextmanager
def streamed_workbook(path: Path) -> Iterator[Workbook]:
    """A write-only workbook saved to ``path`` when the block succeeds, and nothing otherwise.

    Its sheets stream to temporary files as rows arrive; a failed or cancelled export
    removes them at once (a long-running window would otherwise keep them until exit).
    """
    with atomic_output(path) as temp:
        workbook = new_workbook()
        try:
            yield workbook
            workbook.save(temp)
        finally:
            _discard_streams(workbook)


def _discard_streams(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        out = getattr(writer, "out", None)
        if writer is None or not isinstance(out, str) or not os.path.exists(out):
            continue
        rows = getattr(sheet, "_rows", None)
        if rows is not None:
            # Ends the sheet's row stream first, so nothing writes to it after it is gone.
            with contextlib.suppress(Exception):
                rows.close()
        with contextlib.suppress(Exception):
            writer.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


@dataclass(slots=True)
class ExportNotes:
    """What the safety rules changed while writing, for a note to the reader."""

    cleaned: int = 0  # cells that held characters a workbook cannot store
    truncated: int = 0  # cells cut to 32,767 characters
    cells: list[str] | None = None

    def add(self, kind: Literal["cleaned", "truncated"], where: str) -> None:
        if kind == "cleaned":
            self.cleaned += 1
        else:
            self.truncated += 1
        if self.cells is None:
            self.cells = []
        if len(self.cells) < _NOTED_CELLS:
            self.cells.append(where)

    def sentences(self) -> tuple[str, ...]:
        out = []
        shown = ", ".join(self.cells or ())
        more = " and others" if (self.cleaned + self.truncated) > len(self.cells or ()) else ""
        if self.cleaned:
            out.append(
                f"{self.cleaned} cell(s) held control characters a workbook cannot store; they were removed "
                f"({shown}{more})."
            )
        if self.truncated:
            out.append(
                f"{self.truncated} cell(s) held more than {EXCEL_MAX_CHARS:,} characters, the most a cell can; "
                f"they were cut there ({shown}{more}). The full text is in AuditDesk."
            )
        return tuple(out)


ColumnKind = Literal["text", "wrap", "date", "datetime", "number", "integer"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    header: str
    width: float = 14
    kind: ColumnKind = "text"
    #: a column the reader fills in: unlocked under sheet protection, its header marked
    client: bool = False


class _Styles:
    """Style arrays of one workbook, built once and copied into cells (cheap)."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._cache: dict[tuple[str, bool, bool], StyleArray | None] = {}

    def get(self, kind: ColumnKind, unlocked: bool, quoted: bool) -> StyleArray | None:
        key = (kind, unlocked, quoted)
        if key not in self._cache:
            self._cache[key] = self._build(kind, unlocked, quoted)
        return self._cache[key]

    def _build(self, kind: ColumnKind, unlocked: bool, quoted: bool) -> StyleArray | None:
        cell = Cell(self._ws, column=1)
        if kind == "wrap":
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif kind == "date":
            cell.number_format = "yyyy-mm-dd"
        elif kind == "datetime":
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif kind == "integer":
            cell.number_format = "0"
        if unlocked:
            cell.protection = Protection(locked=False)
        if quoted:
            cell.quotePrefix = True
        style = cell._style
        return None if style is None or not any(style) else StyleArray(style)


class TableSheet:
    """One worksheet laid out as a table: a header row, then one row per record.

    The header is frozen and filtered, columns have widths; with ``protect`` the
    sheet is protected and only the columns marked ``client`` can be edited.
    Values go through the safety rules of this module on their way into cells.
    """

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: Sequence[ColumnSpec],
        *,
        notes: ExportNotes | None = None,
        protect: bool = False,
        freeze: str = "A2",
        landscape: bool = True,
    ) -> None:
        self.ws = workbook.create_sheet(title)
        self.title = title
        self.columns = tuple(columns)
        self.notes = notes if notes is not None else ExportNotes()
        self.protect = protect
        self.rows = 0
        self._validations: list[tuple[int, Sequence[str], str]] = []
        self._styles = _Styles(self.ws)
        self._letters = [get_column_letter(i) for i in range(1, len(self.columns) + 1)]
        ws = self.ws
        ws.freeze_panes = freeze
        for letter, spec in zip(self._letters, self.columns, strict=True):
            dimension = ws.column_dimensions[letter]
            dimension.width = spec.width
            if protect and spec.client:
                # Rows the client adds below the list stay editable in these columns too.
                dimension.protection = Protection(locked=False)
        ws.print_title_rows = "1:1"
        if landscape:
            ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        header = []
        for index, spec in enumerate(self.columns, 1):
            cell = Cell(ws, column=index, value=None)
            cell._value = xml_safe(spec.header)
            cell.data_type = "s"
            cell.font = CLIENT_HEADER_FONT if spec.client else HEADER_FONT
            cell.fill = CLIENT_FILL if spec.client else HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        ws.append(header)

    def add_list_validation(self, column: int, choices: Sequence[str], message: str) -> None:
        """A drop-down of ``choices`` on the data cells of the 0-based ``column``."""
        self._validations.append((column, choices, message))

    def append(self, values: Sequence[object]) -> None:
        row = self.rows + 2
        cells = [self._cell(value, index, row) for index, value in enumerate(values)]
        self.ws.append(cells)
        self.rows += 1

    def _cell(self, value: object, index: int, row: int) -> object:
        spec = self.columns[index]
        if value is None:
            return None
        if isinstance(value, str):
            return self._text(value, spec, index, row)
        if isinstance(value, bool):
            return self._text("Yes" if value else "No", spec, index, row)
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo is not None else value
        elif isinstance(value, Decimal):
            value = float(value) if len(value.as_tuple().digits) <= 15 else str(value)
            if isinstance(value, str):
                return self._text(value, spec, index, row)
        elif not isinstance(value, dt.date | int | float):
            return self._text(str(value), spec, index, row)
        style = self._styles.get(spec.kind, self.protect and spec.client, False)
        if style is None:
            return value
        return Cell(self.ws, column=index + 1, value=value, style_array=style)

    def _text(self, text: str, spec: ColumnSpec, index: int, row: int) -> object:
        if not text:
            return None
        if not (text.isascii() and text.isprintable()):
            clean = _ILLEGAL.sub("", text)
            if clean != text:
                self.notes.add("cleaned", f"{self.title}!{self._letters[index]}{row}")
                text = clean
        if len(text) > EXCEL_MAX_CHARS:
            self.notes.add("truncated", f"{self.title}!{self._letters[index]}{row}")
            text = text[:EXCEL_MAX_CHARS]
        quoted = text.startswith(FORMULA_TRIGGERS) or (text[0] == "#" and text in _ERROR_CODES)
        unlocked = self.protect and spec.client
        kind: ColumnKind = "wrap" if spec.kind == "wrap" else "text"
        style = self._styles.get(kind, unlocked, quoted)
        if style is None:
            return text
        cell = Cell(self.ws, column=index + 1, style_array=style)
        # Set directly: assigning the value would make "=..." a formula and "#N/A" an error.
        cell._value = text
        cell.data_type = "s"
        return cell

    def close(self) -> int:
        """Filters, drop-downs and protection over the rows written; returns the row count."""
        ws = self.ws
        last_row = self.rows + 1
        last_column = self._letters[-1]
        ws.auto_filter.ref = f"A1:{last_column}{last_row}"
        for column, choices, message in self._validations:
            letter = self._letters[column]
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Choose from the list",
                error=message,
            )
            validation.add(f"{letter}2:{letter}{max(last_row, 2)}")
            ws.data_validations.append(validation)
        if self.protect:
            protection = ws.protection
            protection.sheet = True
            # Readers may still filter, sort, resize and select; they cannot change locked cells.
            protection.autoFilter = False
            protection.sort = False
            protection.formatColumns = False
            protection.formatRows = False
            protection.selectLockedCells = False
            protection.selectUnlockedCells = False
        return self.rows


class CoverSheet:
    """A sheet of titled label / value lines (an export's cover or a legend)."""

    def __init__(self, workbook: Workbook, title: str, *, notes: ExportNotes | None = None) -> None:
        self.ws = workbook.create_sheet(title)
        self.title = title
        self.notes = notes if notes is not None else ExportNotes()
        self.ws.column_dimensions["A"].width = 26
        self.ws.column_dimensions["B"].width = 100
        self._row = 0

    def heading(self, text: str) -> None:
        cell = self._safe(text, 0)
        if isinstance(cell, Cell):
            cell.font = TITLE_FONT
        self._append([cell])

    def line(self, label: str, value: object = None) -> None:
        first = self._safe(label, 0)
        if isinstance(first, Cell):
            first.font = LABEL_FONT
        self._append([first, self._value(value)])

    def text(self, value: str) -> None:
        self._append([None, self._safe(value, 1, bold=False)])

    def blank(self) -> None:
        self._append([])

    def _append(self, cells: list[object]) -> None:
        self._row += 1
        self.ws.append(cells)

    def _value(self, value: object) -> object:
        if value is None or isinstance(value, str):
            return self._safe(value or "", 1, bold=False)
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value
        return value

    def _safe(self, text: str, column: int, *, bold: bool = True) -> object:
        if not text:
            return None
        clean = xml_safe(text)
        if clean != text:
            self.notes.add("cleaned", f"{self.title}!{'AB'[column]}{self._row + 1}")
        clean = clean[:EXCEL_MAX_CHARS]
        cell = Cell(self.ws, column=column + 1)
        cell._value = clean
        cell.data_type = "s"
        if clean.startswith(FORMULA_TRIGGERS) or clean in _ERROR_CODES:
            cell.quotePrefix = True
        if column == 1:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif bold:
            cell.font = LABEL_FONT
        return cell
