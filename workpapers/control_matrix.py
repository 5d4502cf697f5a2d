"""A client's risk and control matrix (CSV or XLSX) read into plain rows.

The matrix is a table with a header row naming, in whatever words the client used,
the control reference, description, frequency and mapped criteria, and optionally
the owner, nature, type, key flag and test attributes. :func:`suggest_mapping` finds
those columns by common names; the import wizard lets the user correct the mapping,
and :func:`read_control_matrix` takes it explicitly.

Cells are kept as text: the core checks them against the engagement (criteria in
scope, frequencies, duplicates) and reports problems per file row. Criteria lists
split on commas, semicolons or new lines; attributes on new lines or semicolons.
The header may sit below a title block: the first row that names the required
columns is the header. Rows are numbered as the spreadsheet or text editor shows
them (XLSX sheet row, CSV line where the record starts).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TypeAlias

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from auditdesk.errors import FileFormatError
from workpapers._amounts import number_text
from workpapers._textfile import DELIMITERS, open_binary, sniff_delimiter

__all__ = [
    "FIELDS",
    "MAX_MATRIX_BYTES",
    "MAX_MATRIX_ROWS",
    "REQUIRED_FIELDS",
    "ControlMatrix",
    "MatrixPreview",
    "MatrixRow",
    "inspect_control_matrix",
    "read_control_matrix",
    "split_attributes",
    "split_criteria",
    "suggest_mapping",
]

Field: TypeAlias = Literal[
    "ref", "description", "frequency", "criteria", "owner", "nature", "type", "key", "attributes"
]
#: Every field of a control the matrix may carry, in the order the wizard lists them.
FIELDS: tuple[Field, ...] = (
    "ref",
    "description",
    "frequency",
    "criteria",
    "owner",
    "nature",
    "type",
    "key",
    "attributes",
)
REQUIRED_FIELDS: tuple[Field, ...] = ("ref", "description", "frequency", "criteria")
FIELD_LABELS: dict[Field, str] = {
    "ref": "control reference",
    "description": "control description",
    "frequency": "frequency",
    "criteria": "mapped criteria",
    "owner": "control owner",
    "nature": "nature (manual or automated)",
    "type": "control type",
    "key": "key control flag",
    "attributes": "test attributes",
}

#: A control matrix is a few hundred rows; a file far beyond this is not one.
MAX_MATRIX_BYTES = 20 * 1024 * 1024
MAX_MATRIX_ROWS = 20_000
#: Rows searched for the header below a title block.
_HEADER_SEARCH_ROWS = 30
_CELL_LIMIT = 20_000

# Header names by field, compared after folding case and punctuation; first match wins.
_SYNONYMS: dict[Field, tuple[str, ...]] = {
    "ref": (
        "ref",
        "reference",
        "control ref",
        "control reference",
        "control id",
        "control no",
        "control number",
        "control #",
        "ctrl id",
        "ctrl ref",
        "id",
        "#",
    ),
    "description": (
        "description",
        "control description",
        "control activity",
        "control activity description",
        "control activities",
        "activity",
        "control",
    ),
    "frequency": ("frequency", "control frequency", "freq", "periodicity", "timing", "how often"),
    "criteria": (
        "criteria",
        "criterion",
        "tsc",
        "trust services criteria",
        "trust services criterion",
        "tsc mapping",
        "tsc criteria",
        "tsc reference",
        "tsc ref",
        "tsc id",
        "mapped criteria",
        "criteria mapping",
        "soc 2 criteria",
        "soc2 criteria",
    ),
    "owner": ("owner", "control owner", "process owner", "responsible", "responsible party", "performed by"),
    "nature": (
        "nature",
        "control nature",
        "automation",
        "manual automated",
        "manual or automated",
        "automated manual",
        "manual vs automated",
    ),
    "type": (
        "type",
        "control type",
        "preventive detective",
        "preventative detective",
        "preventive or detective",
        "prevent detect",
    ),
    "key": ("key", "key control", "is key", "key y n"),
    "attributes": ("attributes", "test attributes", "attributes to test", "test attribute", "testing attributes"),
}

_REMARK = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CRITERIA_SPLIT = re.compile(r"[,;\n\r]+")
_ATTRIBUTE_SPLIT = re.compile(r"[;\n\r]+")
# A list bullet or numbering a client put before an attribute ("- ", "1. ", "a) ").
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\(?[0-9a-zA-Z]{1,2}[.)])\s+")


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One control as the file gives it; ``None`` for a field the file has no column for."""

    row: int
    ref: str
    description: str
    frequency: str
    criteria: tuple[str, ...]
    owner: str | None = None
    nature: str | None = None
    control_type: str | None = None
    key: str | None = None
    attributes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ControlMatrix:
    """A whole matrix: the rows and where they came from (its SHA-256 for the trail)."""

    file_name: str
    sha256: str
    kind: Literal["csv", "xlsx"]
    sheet: str | None
    header_row: int
    headers: tuple[str, ...]
    mapping: dict[str, str]  # field -> header name used
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True, slots=True)
class MatrixPreview:
    """What the mapping step of the import wizard shows."""

    file_name: str
    kind: Literal["csv", "xlsx"]
    sheets: tuple[str, ...]
    sheet: str | None
    header_row: int
    headers: tuple[str, ...]
    suggested: dict[str, str]  # field -> header name
    preview: tuple[tuple[str, ...], ...]
    rows: int


def _fold(name: str) -> str:
    """A header name folded for comparison: lower case, no remarks in brackets, punctuation as spaces ('#' kept)."""
    plain = _REMARK.sub(" ", name.lower())
    return " ".join(re.sub(r"[^0-9a-z#]+", " ", plain).split())


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Field -> header for the columns recognised by their names (each header used once)."""
    folded = [_fold(h) for h in headers]
    used: set[int] = set()
    found: dict[str, str] = {}
    # Specific names first, so "Control ID" is the reference before "Control" is taken as the description.
    for field in FIELDS:
        for synonym in _SYNONYMS[field]:
            target = _fold(synonym)
            index = next((i for i, f in enumerate(folded) if i not in used and f == target), None)
            if index is not None:
                used.add(index)
                found[field] = headers[index]
                break
    return found


def split_criteria(text: str) -> tuple[str, ...]:
    """Criterion IDs of a cell: split on commas, semicolons or new lines; blanks dropped, order kept."""
    out: list[str] = []
    for part in _CRITERIA_SPLIT.split(text):
        item = " ".join(part.split())
        if item and item not in out:
            out.append(item)
    return tuple(out)


def split_attributes(text: str) -> tuple[str, ...]:
    """Test attributes of a cell: one per line or between semicolons, list bullets removed."""
    out: list[str] = []
    for part in _ATTRIBUTE_SPLIT.split(text):
        item = " ".join(_BULLET.sub("", part, count=1).split())
        if item:
            out.append(item)
    return tuple(out)


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# -- reading the table ------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    with open_binary(path, path.name) as fh:
        data = fh.read(MAX_MATRIX_BYTES + 1)
    if not data:
        raise FileFormatError(f"The file {path.name} is empty.")
    if len(data) > MAX_MATRIX_BYTES:
        raise FileFormatError(
            f"The file {path.name} is larger than {MAX_MATRIX_BYTES // (1024 * 1024)} MB; "
            "a control matrix is far smaller, so check that this is the right file."
        )
    return data


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    if b"\x00" in data:
        raise FileFormatError(f"The file {name} is not a text table; save the matrix as .xlsx or CSV.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileFormatError(f"The file {name} cannot be read as text; save it as UTF-8 CSV or .xlsx.") from None


def _csv_records(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    text = _decode(data, name)
    delimiter = _delimiter(text)
    if delimiter is None:
        raise FileFormatError(
            f"The file {name} does not look like a table: no comma, semicolon, tab or | separates "
            "at least two column names in its first line."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
            if len(records) > MAX_MATRIX_ROWS + _HEADER_SEARCH_ROWS:
                raise _too_many(name)
    except csv.Error as exc:
        raise FileFormatError(f"Line {reader.line_num} of {name} cannot be read as CSV: {exc}.") from None
    return records


def _delimiter(text: str) -> str | None:
    """The delimiter of the table, which may sit below a title block a plain sniffer would take for the header."""
    found = sniff_delimiter(text)
    if found is not None:
        return found
    sample = text[: text.rfind("\n", 0, 65536) + 1] if len(text) > 65536 else text
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        try:
            rows = list(islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), _HEADER_SEARCH_ROWS))
        except csv.Error:
            continue
        width = max((sum(1 for cell in row if cell.strip()) for row in rows), default=0)
        if width >= 2 and (best is None or width > best[0]):
            best = (width, delimiter)
    return None if best is None else best[1]


def _too_many(name: str) -> FileFormatError:
    return FileFormatError(
        f"The file {name} has more than {MAX_MATRIX_ROWS} rows; a control matrix is far smaller, "
        "so check that this is the right file."
    )


def _open_workbook(data: bytes, name: str) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):
        raise FileFormatError(f"The workbook {name} cannot be read; it may be damaged or incomplete.") from None


def _worksheets(book: CalamineWorkbook) -> list[str]:
    return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def _xlsx_records(data: bytes, name: str, sheet: str | None) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    book = _open_workbook(data, name)
    try:
        names = _worksheets(book)
        if sheet is None:
            if not names:
                raise FileFormatError(f"The workbook {name} has no worksheet.")
            sheet = names[0]
        elif sheet not in names:
            raise FileFormatError(
                f"The workbook {name} has no worksheet named '{sheet}'; its sheets are: {', '.join(names)}."
            )
        try:
            ws = book.get_sheet_by_name(sheet)
            if ws.height > MAX_MATRIX_ROWS + _HEADER_SEARCH_ROWS:
                raise _too_many(name)
            # Without skipping the empty area, row i of the list is sheet row i + 1.
            values = ws.to_python(skip_empty_area=False)
        except CalamineError:
            raise FileFormatError(
                f"The sheet '{sheet}' in {name} cannot be read; the workbook may be damaged."
            ) from None
    finally:
        book.close()
    records = [(i + 1, [_cell_text(v) for v in row]) for i, row in enumerate(values)]
    return sheet, names, records


def _detect(path: Path, data: bytes) -> Literal["csv", "xlsx"]:
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileFormatError(
            f"The file {path.name} is an old .xls workbook or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV."
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FileFormatError(
            f"The file {path.name} is named like an Excel workbook but is not one; it may be damaged or renamed."
        )
    return "csv"


def _load(
    path: Path, sheet: str | None
) -> tuple[Literal["csv", "xlsx"], str, str | None, list[str], list[tuple[int, list[str]]]]:
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    kind = _detect(path, data)
    if kind == "csv":
        return kind, digest, None, [], _csv_records(data, path.name)
    chosen, names, records = _xlsx_records(data, path.name, sheet)
    return kind, digest, chosen, names, records


def _blank(cells: Sequence[str]) -> bool:
    return not any(c.strip() for c in cells)


def _find_header(
    records: list[tuple[int, list[str]]], mapping: Mapping[str, str] | None, where: str
) -> tuple[int, tuple[str, ...]]:
    """Index into ``records`` of the header row and its names (trailing blank columns dropped)."""
    first: int | None = None
    for index, (_row, cells) in enumerate(records[: _HEADER_SEARCH_ROWS + 1]):
        if _blank(cells):
            continue
        if first is None:
            first = index
        names = [c.strip() for c in cells]
        folded = {_fold(n) for n in names if n}
        if mapping:
            wanted = {_fold(h) for h in mapping.values()}
            if wanted <= folded:
                return index, tuple(names)
        elif {"ref", "description"} <= set(suggest_mapping(names)):
            return index, tuple(names)
    if first is None:
        raise FileFormatError(f"{where[0].upper()}{where[1:]} is empty: it has no header row.")
    return first, tuple(c.strip() for c in records[first][1])


def _resolve(headers: tuple[str, ...], mapping: Mapping[str, str] | None, where: str) -> dict[str, int]:
    """Field -> column index, from the explicit mapping or the suggested one; the required fields must be there."""
    chosen: Mapping[str, str] = mapping if mapping is not None else suggest_mapping(headers)
    by_name = {_fold(h): i for i, h in reversed(list(enumerate(headers))) if h}
    columns: dict[str, int] = {}
    for field, header in chosen.items():
        if field not in FIELDS:
            raise FileFormatError(f"'{field}' is not a control field; map columns to: {', '.join(FIELDS)}.")
        index = by_name.get(_fold(header))
        if index is None:
            raise FileFormatError(f"{where[0].upper()}{where[1:]} has no column named '{header}'.")
        columns[field] = index
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        labels = ", ".join(FIELD_LABELS[f] for f in missing)
        raise FileFormatError(
            f"{where[0].upper()}{where[1:]} has no column for the {labels}; name the columns "
            "(e.g. 'Control ID', 'Description', 'Frequency', 'Criteria') or map them."
        )
    return columns


def _cell(cells: list[str], columns: dict[str, int], field: str) -> str | None:
    index = columns.get(field)
    if index is None:
        return None
    value = cells[index] if index < len(cells) else ""
    return value[:_CELL_LIMIT]


def _row(number: int, cells: list[str], columns: dict[str, int]) -> MatrixRow:
    def text(field: str) -> str | None:
        value = _cell(cells, columns, field)
        return None if value is None else " ".join(value.split())

    attributes = _cell(cells, columns, "attributes")
    return MatrixRow(
        row=number,
        ref=text("ref") or "",
        description=text("description") or "",
        frequency=text("frequency") or "",
        criteria=split_criteria(_cell(cells, columns, "criteria") or ""),
        owner=text("owner"),
        nature=text("nature"),
        control_type=text("type"),
        key=text("key"),
        attributes=None if attributes is None else split_attributes(attributes),
    )


def read_control_matrix(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ControlMatrix:
    """Read a control matrix: the header found by its names (or by ``mapping``: field -> header), rows as text.

    Blank rows are skipped. Raises :class:`FileFormatError` with one sentence when the
    file is not a usable table or the required columns cannot be found.
    """
    file = Path(path)
    kind, digest, chosen, _names, records = _load(file, sheet)
    where = f"the sheet '{chosen}' in {file.name}" if chosen else f"the file {file.name}"
    header_index, headers = _find_header(records, mapping, where)
    columns = _resolve(headers, mapping, where)
    rows = tuple(_row(number, cells, columns) for number, cells in records[header_index + 1 :] if not _blank(cells))
    if len(rows) > MAX_MATRIX_ROWS:
        raise _too_many(file.name)
    return ControlMatrix(
        file_name=file.name,
        sha256=digest,
        kind=kind,
        sheet=chosen,
        header_row=records[header_index][0],
        headers=headers,
        mapping={field: headers[index] for field, index in columns.items()},
        rows=rows,
    )


def inspect_control_matrix(
    path: str | os.PathLike[str], sheet: str | None = None, preview_rows: int = 20
) -> MatrixPreview:
    """Describe a control matrix for the mapping step: sheets, header row, suggested mapping, first rows."""
    file = Path(path)
    kind, _digest, chosen, names, records = _load(file, sheet)
    where = f"the sheet '{chosen}' in {file.name}" if chosen else f"the file {file.name}"
    header_index, headers = _find_header(records, None, where)
    body = [cells for _n, cells in records[header_index + 1 :] if not _blank(cells)]
    width = len(headers)
    return MatrixPreview(
        file_name=file.name,
        kind=kind,
        sheets=tuple(names),
        sheet=chosen,
        header_row=records[header_index][0],
        headers=headers,
        suggested=suggest_mapping(headers),
        preview=tuple(tuple((cells + [""] * width)[:width]) for cells in body[:preview_rows]),
        rows=len(body),
    )
