"""Hostile population files: broken quotes, decompression bombs, pipes and devices,
and messages that must name the real cause, the file's own line and a short value."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

import workpapers.limits as limits
from auditdesk import services
from auditdesk.cli import main
from auditdesk.errors import FileFormatError
from auditdesk.storage.uow import Store
from workpapers.population_file import (
    ColumnMapping,
    PopulationReader,
    PopulationRow,
    ValidationReport,
    inspect_population_file,
)

MAPPING = ColumnMapping(key="Key", date="Date", amount="Amount")
KEY_DATE = ColumnMapping(key="Key", date="Date")


def _read(path: Path, mapping: ColumnMapping = MAPPING) -> tuple[list[PopulationRow], ValidationReport]:
    reader = PopulationReader(path, mapping)
    rows = [row for batch in reader.batches() for row in batch.rows]
    assert reader.finished
    return rows, reader.report


def _refused(path: Path, mapping: ColumnMapping = MAPPING) -> str:
    """The one-sentence error of both inspect and read for a file that is refused."""
    with pytest.raises(FileFormatError) as inspected:
        inspect_population_file(path, sheet=mapping.sheet)
    with pytest.raises(FileFormatError) as read:
        _read(path, mapping)
    for message in (str(inspected.value), str(read.value)):
        assert message[0].isupper(), message
        assert message.endswith("."), message
        assert "\n" not in message, message
    return str(read.value)


def _monitors(path: Path, rows: int = 1000, broken: int = 10, closer: int | None = None) -> Path:
    """Tickets whose row ``broken`` has a note opening a quote it never closes; row
    ``closer`` (if any) ends with a stray quote that closes it."""
    lines = ["Key,Date,Amount,Note"]
    for i in range(1, rows + 1):
        note = "monitor"
        if i == broken:
            note = '"27 inch monitor'
        elif i == closer:
            note = 'ends here"'
        lines.append(f"T{i},2025-01-{i % 28 + 1:02d},{i}.00,{note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- 1. an unclosed quote ---------------------------------------------------------------------


def test_a_quote_never_closed_is_an_issue_at_the_line_where_it_opened(tmp_path: Path) -> None:
    rows, report = _read(_monitors(tmp_path / "monitors.csv"))
    assert report.rows == len(rows) == 10
    assert report.physical_lines == 1001
    assert report.issue_counts == {"unclosed_quote": 1}
    (issue,) = report.issues
    assert (issue.kind, issue.line, issue.column) == ("unclosed_quote", 11, "Note")
    assert issue.message == (
        "Line 11: the value in column 'Note' opens a quote that is never closed, so the "
        "990 lines after it were read into this one value."
    )
    note = json.loads(rows[-1][4] or "")["Note"]
    assert note.startswith("27 inch monitor\nT11,")
    assert note.endswith("T1000,2025-01-21,1000.00,monitor\n")


def test_a_quote_closed_by_a_stray_quote_far_below_is_an_issue(tmp_path: Path) -> None:
    rows, report = _read(_monitors(tmp_path / "monitors.csv", closer=900))
    assert report.rows == len(rows) == 110
    assert report.physical_lines == 1001
    assert report.issue_counts == {"unclosed_quote": 1}
    (issue,) = report.issues
    assert (issue.line, issue.column) == (11, "Note")
    assert issue.message == (
        "Line 11: the value in column 'Note' runs on to line 901 and holds 890 lines that "
        "look like rows of their own, so a closing quote is probably missing."
    )
    assert [row[0] for row in rows[10:12]] == [902, 903]


def test_notes_written_over_several_lines_are_not_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        'Key,Date,Amount,Note\nA,2025-01-02,1.00,"Call back, tomorrow\nThanks, Jo"\n'
        'B,2025-01-03,2.00,"one\ntwo\nthree"\n',
        encoding="utf-8",
    )
    rows, report = _read(path)
    assert [row[0] for row in rows] == [2, 4]
    assert (report.issue_count, report.rows, report.physical_lines) == (0, 2, 6)


def test_a_quoted_value_past_the_cell_limit_is_refused_naming_where_it_began(tmp_path: Path) -> None:
    path = _monitors(tmp_path / "long.csv", rows=5000, broken=5)
    message = _refused(path)
    assert message == (
        "Line 6 of long.csv: a value that starts on this line is longer than 131,072 "
        "characters, the most a cell may hold; if it starts with a quote, the closing quote "
        "is probably missing."
    )


def test_an_unclosed_quote_in_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text('Key,Date,Amount,"Note\nA,2025-01-02,1.00,x\n', encoding="utf-8")
    with pytest.raises(FileFormatError) as error:
        _read(path)
    assert str(error.value) == (
        "Line 1 of header.csv: the column name in column 4 opens a quote that is never "
        "closed; close it or remove the quote."
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    assert main(["--db", str(path), "--as", "PR", "--json", "demo"], out=io.StringIO(), err=io.StringIO()) == 0
    return path


def _cli(db: Path, *args: str) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db), "--as", "PR", "--json", *args], out=out, err=err)
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else None, err.getvalue()


def test_import_population_refuses_an_unclosed_quote_and_shows_lines_next_to_rows(
    db: Path, tmp_path: Path
) -> None:
    path = _monitors(tmp_path / "monitors.csv", closer=900)
    args = ("import-population", "DEMO", str(path), "--name", "Monitors", "--key", "Key", "--date", "Date")
    code, doc, err = _cli(db, *args)
    assert code == 1
    assert (doc["rows"], doc["lines"], doc["population"]) == (110, 1001, None)
    assert doc["issue_counts"] == {"unclosed_quote": 1}
    assert doc["issues"][0]["line"] == 11
    assert "nothing was imported" in err
    code, doc, err = _cli(db, *args, "--accept-issues")
    assert code == 0, err
    assert (doc["rows"], doc["lines"]) == (110, 1001)


# -- 5. decompression bombs and limits ---------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Key</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Date</t></is></c><c r="C1" t="inlineStr"><is><t>Note</t></is></c></row>'
)


def _sheet(rows: str) -> bytes:
    return f'<?xml version="1.0"?><worksheet {_NS}><sheetData>{HEADER}{rows}</sheetData></worksheet>'.encode()


def _xlsx(path: Path, sheet: bytes, shared: bytes | None = None, extra: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr(
            "xl/sharedStrings.xml",
            shared or f'<?xml version="1.0"?><sst {_NS} count="1" uniqueCount="1"><si><t>x</t></si></sst>'.encode(),
        )
        for n in range(extra):
            zf.writestr(f"xl/media/pad{n}.bin", b"")
    return path


ROW2 = '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c><c r="B2"><v>45700</v></c>'


def test_a_small_normal_sheet_is_read(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ok.xlsx", _sheet(ROW2 + '<c r="C2" t="s"><v>0</v></c></row>'))
    rows, report = _read(path, KEY_DATE)
    assert [row[1] for row in rows] == ["K1"]
    assert json.loads(rows[0][4] or "") == {"Note": "x"}
    assert report.physical_lines == 2


def test_a_highly_compressed_part_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    filler = b"A" * (64 << 20)
    sheet = _sheet(ROW2 + '<c r="C2" t="inlineStr"><is><t>').replace(b"</sheetData>", b"") + filler
    path = _xlsx(tmp_path / "bomb.xlsx", sheet + b"</t></is></c></row></sheetData></worksheet>")
    assert path.stat().st_size < 200_000
    assert _refused(path, KEY_DATE) == (
        "The workbook bomb.xlsx is refused: its part xl/worksheets/sheet1.xml unpacks to "
        "more than 100 times its packed size, which no spreadsheet needs."
    )


def test_a_workbook_unpacking_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 4096)
    path = _xlsx(tmp_path / "big.xlsx", _sheet(ROW2 + "</row>" + "<!-- padding -->" * 400))
    assert _refused(path, KEY_DATE) == (
        "The workbook big.xlsx unpacks to more than 4,096 bytes, the most a population "
        "workbook may; save the population as CSV instead."
    )


def test_an_archive_with_too_many_parts_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_PARTS", 10)
    path = _xlsx(tmp_path / "parts.xlsx", _sheet(ROW2 + "</row>"), extra=10)
    assert _refused(path, KEY_DATE) == (
        "The workbook parts.xlsx has more than 10 parts, so it is not a plain population workbook."
    )


def test_a_lying_size_in_the_zip_directory_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "liar.xlsx", _sheet(ROW2 + "</row>" + "<!-- padding -->" * 400))
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        size = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + size] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, entry + 24, 100)
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))
    assert "damaged" in _refused(path, KEY_DATE)


def test_a_far_away_cell_is_refused_before_the_sheet_is_loaded(tmp_path: Path) -> None:
    # Two cells: A1 (the header) and ZZ1000000. The reading library would lay out
    # 702 million cells (21 GB) for this 1 KB file.
    path = _xlsx(tmp_path / "far.xlsx", _sheet(ROW2 + '</row><row r="1000000"><c r="ZZ1000000"><v>1</v></c></row>'))
    assert _refused(path, KEY_DATE) == (
        "The sheet 'Data' in far.xlsx spans 1,000,000 rows by 702 columns (cell ZZ1000000), "
        "more than the 20,000,000 cells a population sheet may have."
    )


def test_sheet_cells_over_the_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 50_000)
    path = _xlsx(tmp_path / "far.xlsx", _sheet(ROW2 + '</row><row r="20000"><c r="Z20000"><v>1</v></c></row>'))
    assert "spans 20,000 rows by 26 columns (cell Z20000)" in _refused(path, KEY_DATE)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # refs in lower case, with leading zeros, or after another attribute
        ('<row r="2"><c r="a2"><v>1</v></c><c s="0" r="D9000"><v>2</v></c></row>', "(cell D9000)"),
        ('<row r="2"><c r="A0002"><v>1</v></c><c r="e00009000"><v>2</v></c></row>', "(cell E9000)"),
        # cells and rows without a reference count on from the previous one
        ('<row r="6000"><c r="A6000"><v>1</v></c></row><row><c/><c/><c/><c><v>1</v></c></row>', "(cell D6001)"),
        ('<row r="9000"><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>', "(cell A9000)"),
        # a cell that names a row far below its own row element
        ('<row r="2"><c r="A2"><v>1</v></c><c r="B9000"><v>1</v></c></row>', "(cell B9000)"),
    ],
)
def test_unusual_cell_references_are_counted_like_the_reading_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: str, expected: str
) -> None:
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 20_000)
    path = _xlsx(tmp_path / "odd.xlsx", _sheet(rows))
    assert expected in _refused(path, KEY_DATE)


def test_rows_and_columns_over_the_limits_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ROWS", 100)
    monkeypatch.setattr(limits, "MAX_COLUMNS", 5)
    tall = _xlsx(tmp_path / "tall.xlsx", _sheet(ROW2 + '</row><row r="102"><c r="A102"><v>1</v></c></row>'))
    assert _refused(tall, KEY_DATE) == (
        "The sheet 'Data' in tall.xlsx has a cell in row 102 (A102), past the 100 rows a "
        "population sheet may have."
    )
    wide = _xlsx(tmp_path / "wide.xlsx", _sheet(ROW2 + '<c r="F2"><v>1</v></c></row>'))
    assert _refused(wide, KEY_DATE) == (
        "The sheet 'Data' in wide.xlsx has a cell in column F (F2), past the 5 columns a "
        "population sheet may have."
    )
    csv_path = tmp_path / "wide.csv"
    csv_path.write_text("Key,Date,A,B,C,D\nK,2025-01-01,1,2,3,4\n", encoding="utf-8")
    assert _refused(csv_path, KEY_DATE) == (
        "The header row of the file wide.csv has 6 columns, more than the 5 a population file may have."
    )
    rows = tmp_path / "rows.csv"
    rows.write_text("Key,Date\n" + "".join(f"K{i},2025-01-01\n" for i in range(101)), encoding="utf-8")
    with pytest.raises(FileFormatError) as error:
        _read(rows, KEY_DATE)
    assert str(error.value) == (
        "The file rows.csv has more than 100 rows, the most a population file may have; split it."
    )


def test_a_line_with_too_many_cells_is_refused_before_it_is_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_COLUMNS", 50)
    path = tmp_path / "commas.csv"
    path.write_text("Key,Date\nK1,2025-01-01\n" + "," * 5000 + "\nK2,2025-01-02\n", encoding="utf-8")
    with pytest.raises(FileFormatError) as error:
        _read(path, KEY_DATE)
    assert str(error.value) == (
        "Line 3 of commas.csv has 5,001 cells, more than the 50 a population row may have."
    )


@pytest.mark.parametrize("where", ["inline", "shared", "rich"])
def test_a_cell_past_the_length_limit_is_refused_while_streaming(tmp_path: Path, where: str) -> None:
    text = "é" * 300_000
    if where == "inline":
        sheet = _sheet(ROW2 + f'<c r="C2" t="inlineStr"><is><t>{text}</t></is></c></row>')
        path = _xlsx(tmp_path / "long.xlsx", sheet)
        part = "sheet 'Data'"
    else:
        body = "".join(f"<r><t>{text[:1000]}</t></r>" for _ in range(300)) if where == "rich" else f"<t>{text}</t>"
        shared = f'<?xml version="1.0"?><sst {_NS}><si><t>x</t></si><si>{body}</si></sst>'.encode()
        path = _xlsx(tmp_path / "long.xlsx", _sheet(ROW2 + '<c r="C2" t="s"><v>1</v></c></row>'), shared)
        part = "shared text table"
    assert _refused(path, KEY_DATE) == (
        f"The {part} in long.xlsx holds a cell of more than 256 KB, far more than the 131,072 "
        "characters a cell may hold."
    )


def test_long_rows_of_empty_styled_cells_are_fine(tmp_path: Path) -> None:
    empty = "".join(f'<c r="{_letters(i)}2" s="1"/>' for i in range(3, 900))
    wide = f'<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c><c r="B2"><v>45700</v></c>{empty}</row>'
    rows, _ = _read(_xlsx(tmp_path / "styled.xlsx", _sheet(wide * 1)), KEY_DATE)
    assert [row[1] for row in rows] == ["K1"]


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- 9. pipes, devices and other files that are not regular files ------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "population.csv"
    os.mkfifo(fifo)
    assert _refused(fifo) == (
        f"The path {fifo} is a pipe, not a regular file; save the population to a file "
        "and choose that file."
    )


@pytest.mark.skipif(not Path("/dev/fd").exists(), reason="needs /dev/fd")
def test_process_substitution_is_refused_by_name(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"Key,Date,Amount\nA,2025-01-02,1.00\n")
        os.close(write_end)
        path = Path(f"/dev/fd/{read_end}")
        with pytest.raises(FileFormatError) as error:
            _read(path)
        assert str(error.value) == (
            f"The path {path} is a pipe, not a regular file; save the population to a file and "
            "choose that file."
        )
    finally:
        os.close(read_end)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_refused() -> None:
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _refused(Path("/dev/null")) == (
        "The path /dev/null is a device, not a regular file; save the population to a file "
        "and choose that file."
    )


# -- 10. messages: the real cause, the file's own line, short values, unique keys -------------


def test_a_ragged_csv_is_reported_as_ragged(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    lines = ["Key,Date,Amount,Note"] + [",".join(["x"] * (2 + i % 5 * 2)) for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _refused(path) == (
        "The file ragged.csv is not a consistent table: its header (line 1) has 4 columns "
        "separated by commas, but 32 of the next 40 rows have another number of cells "
        "(line 2 has 2); check how the file was exported."
    )


def test_a_huge_header_cell_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("Key,Date," + "N" * (128 * 1024 + 10) + "\nA,2025-01-01,x\n", encoding="utf-8")
    assert _refused(path) == (
        "Line 1 of header.csv has a cell longer than 131,072 characters, the most a cell may "
        "hold, so it is not a population table."
    )


def test_a_prose_file_still_gets_the_no_table_message(tmp_path: Path) -> None:
    path = tmp_path / "letter.csv"
    path.write_text("Dear client\nPlease send the file\n", encoding="utf-8")
    assert "no comma, semicolon, tab or | separates" in _refused(path)


def test_an_amount_with_thousands_of_digits_is_an_issue_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "amounts.csv"
    digits = "1" * 5000
    path.write_text(
        f'Key,Date,Amount\nA1,2025-02-01,10.00\nA2,2025-02-02,"1\n2"\nA3,2025-02-03,{digits}\n'
        f"A4,2025-02-04,0.{digits}\nA5,2025-02-05,123456789012345678\n",
        encoding="utf-8",
    )
    rows, report = _read(path)
    assert [(row[0], row[3]) for row in rows] == [
        (2, "10.00"), (3, None), (5, None), (6, None), (7, "123456789012345678"),
    ]  # fmt: skip
    messages = {issue.line: issue.message for issue in report.issues}
    assert messages[5] == (
        "Line 5: the amount '1111111111111111111111111...1111111111 (5,000 digits)' has more "
        "than the 18 digits an amount may have; check the value."
    )
    assert "5,001 digits" in messages[6]
    assert all(len(issue.value) <= 200 for issue in report.issues)


def test_xlsx_numbers_with_too_many_digits_are_issues(tmp_path: Path) -> None:
    sheet = (
        f'<?xml version="1.0"?><worksheet {_NS}><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>Key</t></is></c><c r="B1" t="inlineStr"><is><t>Date</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Amount</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>2025-01-02</t></is></c>'
        '<c r="C2"><v>1E+300</v></c></row>'
        '<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>2025-01-02</t></is></c>'
        '<c r="C3"><v>1234.5</v></c></row></sheetData></worksheet>'
    ).encode()
    rows, report = _read(_xlsx(tmp_path / "big.xlsx", sheet))
    assert [row[3] for row in rows] == [None, "1234.5"]
    assert [(issue.kind, issue.line) for issue in report.issues] == [("bad_amount", 2)]
    assert "(301 digits)" in report.issues[0].message


def test_import_with_a_huge_amount_accepted_keeps_the_row_without_its_amount(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "amounts.csv"
    path.write_text(
        "Key,Date,Amount\nA1,2025-02-01,10.00\nA2,2025-02-02," + "1" * 5000 + "\n", encoding="utf-8"
    )
    args = ("import-population", "DEMO", str(path), "--name", "Big", "--key", "Key", "--date", "Date")
    code, doc, err = _cli(db, *args, "--amount", "Amount")
    assert code == 1
    assert [issue["line"] for issue in doc["issues"]] == [3]
    assert len(doc["issues"][0]["message"]) < 200
    code, doc, err = _cli(db, *args, "--amount", "Amount", "--accept-issues")
    assert code == 0, err
    assert doc["rows"] == 2


def test_renamed_duplicate_keys_never_take_a_key_that_is_in_the_file(
    store: Store, engagement: str, tmp_path: Path
) -> None:
    path = tmp_path / "keys.csv"
    keys = ["T1", "T1", "T1#2", "", "(blank key, line 5)", "T1#2", "T1#3", "T1"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Key", "Date"]] + [[key, "2025-03-01"] for key in keys])
    start, end = services.import_period(store.reader(), engagement)
    reader = PopulationReader(path, KEY_DATE, period_start=start, period_end=end)
    pop = services.import_population(store.uow("PR"), engagement, reader, name="Keys", accept_issues=True)
    items = services.population_items(store.reader(), engagement, pop.id)
    stored = {item.line: item.key for item in items}
    assert [item.seq for item in items] == list(range(len(keys)))
    assert stored[2] == "T1"
    assert stored[4] == "T1#2"  # keys that are in the file keep their names
    assert stored[6] == "(blank key, line 5)"
    assert stored[8] == "T1#3"
    assert len(set(stored.values())) == len(keys)
    real = {key for key in keys if key}
    for line in (3, 5, 7, 9):  # the repeats of T1, the blank key, the repeat of T1#2
        assert stored[line] not in real, (line, stored[line])


def test_xlsx_issues_cite_the_sheet_row(tmp_path: Path) -> None:
    sheet = _sheet(
        '<row r="5"><c r="A5" t="inlineStr"><is><t>K1</t></is></c>'
        '<c r="B5" t="inlineStr"><is><t>garbage</t></is></c></row>'
    )
    _, report = _read(_xlsx(tmp_path / "rows.xlsx", sheet), KEY_DATE)
    assert [(issue.kind, issue.line) for issue in report.issues] == [
        ("blank_row", 2), ("blank_row", 3), ("blank_row", 4), ("bad_date", 5),
    ]  # fmt: skip
    assert report.issues[-1].message.startswith("Row 5: the date 'garbage' is not in a recognised date format")
    assert report.physical_lines == 5


def test_a_lone_currency_sign_is_an_amount_issue_and_a_column_name(tmp_path: Path) -> None:
    path = tmp_path / "signs.csv"
    path.write_text("Key,Date,Amount,$\nA,2025-01-02,$,€\n", encoding="utf-8")
    rows, report = _read(path)
    assert rows[0][3] is None
    assert [(issue.kind, issue.line) for issue in report.issues] == [("bad_amount", 2)]
    assert inspect_population_file(path).headers == ("Key", "Date", "Amount", "$")
