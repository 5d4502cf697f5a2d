"""Population files written to tmp_path and read back: CSV in several encodings and
dialects, XLSX written with openpyxl, and files that must be refused."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from auditdesk.errors import FileFormatError, ValidationError
from sampling.progress import Progress, run
from workpapers.population_file import (
    MAX_ISSUE_DETAILS,
    ColumnMapping,
    PopulationReader,
    PopulationRow,
    ValidationReport,
    inspect_population_file,
    iter_population_rows,
    suggest_date_format,
    validate_population_file,
)

MAPPING = ColumnMapping(key="Key", date="Date", amount="Amount")
START = dt.date(2025, 1, 1)
END = dt.date(2025, 12, 31)


def _csv(path: Path, rows: Iterable[Iterable[object]], encoding: str = "utf-8", **kw: str) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, **kw)  # type: ignore[arg-type]
        for row in rows:
            writer.writerow(row)
    return path


def _read(
    path: Path,
    mapping: ColumnMapping = MAPPING,
    start: dt.date | None = START,
    end: dt.date | None = END,
    batch_size: int = 20000,
) -> tuple[list[PopulationRow], ValidationReport]:
    reader = PopulationReader(path, mapping, start, end, batch_size=batch_size)
    rows = [row for batch in reader.batches() for row in batch.rows]
    assert reader.finished
    return rows, reader.report


def _kinds(report: ValidationReport) -> list[tuple[str, int | None]]:
    return [(issue.kind, issue.line) for issue in report.issues]


def _assert_sentences(report: ValidationReport) -> None:
    for issue in report.issues:
        text = issue.message
        assert text[0].isupper(), text
        assert text.endswith("."), text
        assert ". " not in text[:-1], text
        assert "\n" not in text, text


def _refused(path: Path, mapping: ColumnMapping = MAPPING) -> str:
    """The one-sentence error of both inspect and read for a file that is refused."""
    with pytest.raises(FileFormatError) as inspected:
        inspect_population_file(path, sheet=mapping.sheet)
    with pytest.raises(FileFormatError) as read:
        _read(path, mapping)
    for message in (str(inspected.value), str(read.value)):
        assert message.endswith("."), message
        assert message[0].isupper(), message
    return str(read.value)


# -- CSV: encodings and dialects ------------------------------------------------------


def test_utf8_csv_preview_and_rows(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "tickets.csv",
        [
            ["Key", "Date", "Amount", "Owner", "Note"],
            ["T-1", "2025-01-31", "1234.50", "Zoë", 'said "yes"'],
            ["T-2", "2025-02-01", "$1,234.50", "Bob", "back\\slash"],
            [" T-3 ", "3/4/2025", "(12.00)", "", "tab\there"],
        ],
    )
    preview = inspect_population_file(path)
    assert preview.file_name == "tickets.csv"
    assert preview.kind == "csv"
    assert preview.size == path.stat().st_size
    assert preview.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (preview.encoding, preview.delimiter) == ("utf-8", ",")
    assert preview.headers == ("Key", "Date", "Amount", "Owner", "Note")
    assert preview.preview[0] == ("T-1", "2025-01-31", "1234.50", "Zoë", 'said "yes"')
    assert len(preview.preview) == 3
    assert preview.approx_rows == 3
    assert (preview.sheets, preview.sheet, preview.notes) == ((), None, ())

    rows, report = _read(path)
    assert rows == [
        (2, "T-1", dt.date(2025, 1, 31), "1234.50", '{"Owner":"Zoë","Note":"said \\"yes\\""}'),
        (3, "T-2", dt.date(2025, 2, 1), "1234.50", '{"Owner":"Bob","Note":"back\\\\slash"}'),
        (4, "T-3", dt.date(2025, 3, 4), "-12.00", '{"Owner":"","Note":"tab\\there"}'),
    ]
    assert [json.loads(row[4] or "") for row in rows][0] == {"Owner": "Zoë", "Note": 'said "yes"'}
    assert report.issues == ()
    assert report.issue_count == 0
    assert (report.rows, report.blank_rows, report.truncated) == (3, 0, False)
    assert report.sha256 == preview.sha256
    assert (report.kind, report.encoding, report.sheet) == ("csv", "utf-8", None)
    assert report.headers == preview.headers
    reader = PopulationReader(path, MAPPING)
    assert reader.size == preview.size  # from the disk before a run
    for _ in reader.batches():
        path.write_text("changed", encoding="utf-8")
    assert reader.size == preview.size  # the bytes read and hashed


def test_small_chunks_blank_rows_between_them_and_a_full_last_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workpapers.population_file as module

    monkeypatch.setattr(module, "_DATE_CACHE_LIMIT", 1)
    path = tmp_path / "small.csv"
    path.write_text(
        "Key,Date,Note\nA,2025-01-01,a\n\nB,2025-01-01,b\nC,2025-01-02,c\nD,2025-01-03,d\nE,2025-01-04,e\n",
        encoding="utf-8",
    )
    preview = inspect_population_file(path, preview_rows=2)
    assert preview.preview == (("A", "2025-01-01", "a"), ("B", "2025-01-01", "b"))
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"), batch_size=2)
    assert [(row[0], row[2]) for row in rows] == [
        (2, dt.date(2025, 1, 1)),
        (4, dt.date(2025, 1, 1)),
        (5, dt.date(2025, 1, 2)),
        (6, dt.date(2025, 1, 3)),
        (7, dt.date(2025, 1, 4)),
    ]
    assert _kinds(report) == [("blank_row", 3)]
    steps = validate_population_file(path, ColumnMapping(key="Key", date="Date"))
    assert run(steps) == report


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bom.csv", [["Key", "Date"], ["A", "2025-05-05"]], encoding="utf-8-sig")
    preview = inspect_population_file(path)
    assert preview.encoding == "utf-8-sig"
    assert preview.headers == ("Key", "Date")
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert rows == [(2, "A", dt.date(2025, 5, 5), None, None)]
    assert report.encoding == "utf-8-sig"


def test_cp1252_csv_is_read_and_reported(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "legacy.csv",
        [
            ["Key", "Date", "Amount", "Vendor"],
            ["A", "2025-01-02", "1", "Acme"],
            ["B", "2025-01-03", "2", "Café Noël"],
        ],
        encoding="cp1252",
    )
    preview = inspect_population_file(path)
    assert preview.encoding == "cp1252"
    assert preview.preview[1][3] == "Café Noël"
    assert len(preview.notes) == 1
    assert "Windows-1252" in preview.notes[0]
    rows, report = _read(path)
    assert rows[1][4] == '{"Vendor":"Café Noël"}'
    assert _kinds(report) == [("encoding", 3)]
    offset = path.read_bytes().index(b"\xe9")
    assert report.issues[0].value == f"byte {offset}"
    assert report.encoding == "cp1252"
    _assert_sentences(report)


def test_mixed_utf8_and_cp1252_is_reported_as_mixed(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("Key,Date,Note\nA,2025-01-02,Zoë\n".encode() + b"B,2025-01-03,caf\xe9\n")
    preview = inspect_population_file(path)
    assert "mixes UTF-8" in preview.notes[0]
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert [row[4] for row in rows] == ['{"Note":"Zoë"}', '{"Note":"café"}']
    assert _kinds(report) == [("encoding", 3)]
    assert "switches from UTF-8" in report.issues[0].message
    _assert_sentences(report)


def test_utf16_csv_with_bom(tmp_path: Path) -> None:
    path = _csv(tmp_path / "wide.csv", [["Key", "Date"], ["Ω-1", "2025-07-01"]], encoding="utf-16")
    assert inspect_population_file(path).encoding == "utf-16"
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert rows == [(2, "Ω-1", dt.date(2025, 7, 1), None, None)]
    assert report.issue_count == 0


def test_bytes_invalid_in_every_encoding_are_refused_with_their_offset(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Key,Date\nA,2025-01-02\nB\x81,2025-01-03\n")
    message = _refused(path, ColumnMapping(key="Key", date="Date"))
    assert "0x81 at offset 23" in message


def test_invalid_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad16.csv"
    path.write_bytes(
        "Key,Date\n".encode("utf-16") + b"\x00\xdc" + "A,2025-01-01\n".encode("utf-16-le")
    )
    assert "cannot be read as text" in _refused(path, ColumnMapping(key="Key", date="Date"))


@pytest.mark.parametrize(
    ("delimiter", "amount", "expected"),
    [(";", "1.234,50", "1234.50"), ("\t", "7", "7"), ("|", "-3.5", "-3.5")],
)
def test_other_delimiters(tmp_path: Path, delimiter: str, amount: str, expected: str) -> None:
    path = _csv(
        tmp_path / "semi.csv",
        [["Key", "Date", "Amount", "Note"], ["K1", "31-Jan-2025", amount, "a, b; c"]],
        delimiter=delimiter,
    )
    assert inspect_population_file(path).delimiter == delimiter
    rows, report = _read(path)
    assert rows == [(2, "K1", dt.date(2025, 1, 31), expected, '{"Note":"a, b; c"}')]
    assert report.issue_count == 0


def test_cr_only_and_crlf_line_ends(tmp_path: Path) -> None:
    for name, end in (("mac.csv", "\r"), ("dos.csv", "\r\n")):
        path = tmp_path / name
        path.write_text(
            end.join(["Key,Date", "A,2025-01-01", "B,2025-01-02", ""]), encoding="utf-8"
        )
        rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
        assert [(row[0], row[1]) for row in rows] == [(2, "A"), (3, "B")]
        assert report.issue_count == 0


# -- CSV: validation ------------------------------------------------------------------


def test_deliberate_problems_are_reported_by_kind_and_line(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "problems.csv",
        [
            ["Key", "Date", "Amount", "Note"],
            ["A-1", "2025-01-10", "10.00", "ok"],  # 2
            ["A-1", "2025-01-11", "11.00", "ok"],  # 3 duplicate key
            ["A-3", "2025-02-30", "12.00", "ok"],  # 4 impossible date
            [],  # 5 blank row
            ["A-5", "2025-03-01", "twelve", "ok"],  # 6 non-numeric amount
            ["A-6", "2024-12-31", "13.00", "ok"],  # 7 before the period
            ["A-7", "2025-03-02", "14.00", '=HYPERLINK("http://x","y")'],  # 8 formula text
            ["", "2025-03-03", "15.00", "ok"],  # 9 blank key
            ["A-9", "", "16.00", "ok"],  # 10 blank date
            ["A-10", "2025-03-04", "-16.50", "-5"],  # 11 negative numbers are no formulas
            ["A-11", "2025-03-05", "", "@SUM(A1)"],  # 12 blank amount, formula
            ["A-12", "soon", "1", "\t=1+1"],  # 13 unreadable date, formula after a tab
            [",", ",", ",", ","],  # 14 not blank: commas are values
            ["A-14", "31/01/2025", "1", "ok"],  # 15 day-first in automatic mode
            ["A-15", "2026-01-01", "1", "-"],  # 16 after the period; a lone dash is fine
            ["A-16", "=DATE(2025,1,1)", "1", "+A1+B1"],  # 17 formulas in date and text
            ["A-17", "2025-05-05", "=1/0", "ok"],  # 18 formula as amount
        ],
    )
    rows, report = _read(path)
    assert _kinds(report) == [
        ("duplicate_key", 3),
        ("bad_date", 4),
        ("blank_row", 5),
        ("bad_amount", 6),
        ("outside_period", 7),
        ("formula", 8),
        ("missing_key", 9),
        ("missing_date", 10),
        ("bad_amount", 12),
        ("formula", 12),
        ("bad_date", 13),
        ("formula", 13),
        ("bad_date", 14),
        ("bad_amount", 14),
        ("bad_date", 15),
        ("outside_period", 16),
        ("bad_date", 17),
        ("formula", 17),
        ("formula", 17),
        ("formula", 18),
        ("bad_amount", 18),
    ]
    assert report.issue_counts == {
        "duplicate_key": 1,
        "missing_key": 1,
        "missing_date": 1,
        "bad_date": 5,
        "outside_period": 2,
        "blank_row": 1,
        "bad_amount": 4,
        "formula": 6,
    }
    assert (report.rows, report.blank_rows, report.truncated) == (16, 1, False)
    _assert_sentences(report)
    messages = {(i.kind, i.line): i.message for i in report.issues}
    assert messages[("bad_date", 4)] == "Line 4: the date '2025-02-30' is not a valid date."
    assert messages[("duplicate_key", 3)] == (
        "Line 3: the key 'A-1' already appears on an earlier line."
    )
    assert messages[("outside_period", 7)] == (
        "Line 7: the date 2024-12-31 is outside the period 2025-01-01 to 2025-12-31."
    )
    assert "%d/%m/%Y" in messages[("bad_date", 15)]
    assert "starts with a tab" in messages[("formula", 13)]
    formula = next(i for i in report.issues if i.kind == "formula")
    assert (formula.column, formula.value) == ("Note", '=HYPERLINK("http://x","y")')
    by_line = {row[0]: row for row in rows}
    assert by_line[4][2] is None  # unreadable dates and amounts are None ...
    assert by_line[6][3] is None
    assert by_line[7][2] == dt.date(2024, 12, 31)  # ... dates outside the period are kept
    assert by_line[11][3] == "-16.50"
    assert by_line[9][1] == ""
    assert 5 not in by_line


def test_period_with_one_end_only(tmp_path: Path) -> None:
    path = _csv(tmp_path / "p.csv", [["Key", "Date"], ["A", "2024-06-30"], ["B", "2026-01-01"]])
    mapping = ColumnMapping(key="Key", date="Date")
    _, after = _read(path, mapping, START, None)
    assert [i.message for i in after.issues] == [
        "Line 2: the date 2024-06-30 is outside the period starting 2025-01-01."
    ]
    _, before = _read(path, mapping, None, END)
    assert [i.message for i in before.issues] == [
        "Line 3: the date 2026-01-01 is outside the period ending 2025-12-31."
    ]
    _, open_ended = _read(path, mapping, None, None)
    assert open_ended.issue_count == 0


def test_trailing_blank_rows_are_counted_not_listed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Key,Date\n\nA,2025-01-01\n\n,\n  , \n", encoding="utf-8")
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert [row[0] for row in rows] == [3]
    assert report.blank_rows == 4
    assert _kinds(report) == [("blank_row", 2)]


def test_row_shapes(tmp_path: Path) -> None:
    path = tmp_path / "shapes.csv"
    path.write_text(
        "Key,Date,Note,\nA,2025-01-01,x,\nB,2025-01-02\nC,2025-01-03,z,,surplus\nD,2025-01-04,w\n"
        "E,2025-01-05,v,extra\n",
        encoding="utf-8",
    )
    preview = inspect_population_file(path)
    assert preview.headers == ("Key", "Date", "Note")
    assert preview.preview[1] == ("B", "2025-01-02", "")
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    notes = [json.loads(row[4] or "")["Note"] for row in rows]
    assert notes == ["x", "", "z", "w", "v"]
    assert _kinds(report) == [("short_row", 3), ("extra_cells", 4), ("extra_cells", 6)]
    _assert_sentences(report)


def test_multiline_cells_keep_line_numbers(tmp_path: Path) -> None:
    data = [["Key", "Date", "Note"]]
    for i in range(1200):
        note = "first\nsecond\r\nthird" if i % 500 == 7 else f"n{i}"
        data.append([f"K{i}", "2025-01-01", note])
    data.append(["K0", "2025-01-01", "dup"])
    path = _csv(tmp_path / "multi.csv", data)
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"), batch_size=100)
    physical = path.read_text(encoding="utf-8").splitlines()
    for line, key, *_ in rows:
        assert physical[line - 1].startswith(key + ","), (line, key)
    assert json.loads(rows[7][4] or "") == {"Note": "first\nsecond\r\nthird"}
    assert _kinds(report) == [("duplicate_key", len(physical))]


def test_big_file_across_chunks_matches_the_csv_module(tmp_path: Path) -> None:
    data: list[list[str]] = [["Key", "Date", "Amount", "Note"]]
    for i in range(30000):
        data.append(
            [
                f"K{i:06d}",
                f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                f"{i}.{i % 100:02d}",
                "é€" * (i % 7),
            ]
        )
    path = _csv(tmp_path / "big.csv", data)
    rows, report = _read(path, batch_size=7000)
    assert report.issue_count == 0
    assert len(rows) == 30000
    for row, source in zip(rows, data[1:], strict=True):
        assert row[1] == source[0]
        assert row[2] == dt.date.fromisoformat(source[1])
        assert row[3] == source[2]
        assert json.loads(row[4] or "") == {"Note": source[3]}
    preview = inspect_population_file(path)
    assert preview.approx_rows == 30000


def test_issue_details_are_capped_but_all_counted(tmp_path: Path) -> None:
    data = [["Key", "Date"]] + [["K", "2025-01-01"]] * (MAX_ISSUE_DETAILS + 500)
    path = _csv(tmp_path / "dups.csv", data)
    _, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert report.issue_counts == {"duplicate_key": MAX_ISSUE_DETAILS + 499}
    assert len(report.issues) == MAX_ISSUE_DETAILS
    assert report.truncated


def test_many_blank_rows_beyond_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(
        "Key,Date\n" + "\n" * (MAX_ISSUE_DETAILS + 10) + "A,2025-01-01\n", encoding="utf-8"
    )
    _, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert report.issue_counts == {"blank_row": MAX_ISSUE_DETAILS + 10}
    assert len(report.issues) == MAX_ISSUE_DETAILS
    assert report.truncated


def test_dates_with_an_explicit_format(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "uk.csv",
        [["Key", "Date"], ["A", "03/04/2025"], ["B", "31/01/2025"], ["C", "2025-01-01"]],
    )
    preview = inspect_population_file(path)
    assert suggest_date_format(row[1] for row in preview.preview) == "%d/%m/%Y"
    automatic, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert automatic[0][2] == dt.date(2025, 3, 4)
    assert _kinds(report) == [("bad_date", 3)]
    explicit, report = _read(path, ColumnMapping(key="Key", date="Date", date_format="%d/%m/%Y"))
    assert [row[2] for row in explicit] == [dt.date(2025, 4, 3), dt.date(2025, 1, 31), None]
    assert [i.message for i in report.issues] == [
        "Line 4: the date '2025-01-01' does not match the date format %d/%m/%Y."
    ]


# -- batches, progress, cancellation ------------------------------------------------------


def test_batches_progress_and_convenience_functions(tmp_path: Path) -> None:
    data = [["Key", "Date", "Amount"]] + [[f"K{i}", "2025-06-01", str(i)] for i in range(10)]
    data.append(["K0", "2025-06-01", "x"])
    path = _csv(tmp_path / "ten.csv", data)
    reader = PopulationReader(path, MAPPING, START, END, batch_size=3)
    assert not reader.finished
    batches = list(reader.batches())
    assert all(len(b.rows) <= 3 for b in batches)
    assert sum(len(b.rows) for b in batches) == 11
    dones = [b.done for b in batches]
    assert dones == sorted(dones)
    assert batches[-1].done == batches[-1].total == path.stat().st_size
    progress = batches[-1].progress
    assert isinstance(progress, Progress)
    assert progress == Progress(path.stat().st_size, path.stat().st_size, "Reading ten.csv")
    assert reader.finished

    same = [
        row
        for batch in iter_population_rows(path, MAPPING, START, END, batch_size=4)
        for row in batch.rows
    ]
    assert same == [row for batch in batches for row in batch.rows]

    steps = validate_population_file(path, MAPPING, START, END)
    first = next(steps)
    assert isinstance(first, Progress)
    assert first.label == "Checking ten.csv"
    report = run(steps)
    assert report == reader.report
    assert report.issue_counts == {"duplicate_key": 1, "bad_amount": 1}


def _open_descriptors(path: Path) -> int:
    fd_dir = Path("/proc/self/fd")
    count = 0
    for fd in fd_dir.iterdir():
        try:
            if Path(os.readlink(fd)) == path:
                count += 1
        except OSError:
            continue
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_stopping_early_closes_the_file(tmp_path: Path) -> None:
    data = [["Key", "Date"]] + [[f"K{i}", "2025-06-01"] for i in range(5000)]
    path = _csv(tmp_path / "long.csv", data).resolve()
    batches = PopulationReader(
        path, ColumnMapping(key="Key", date="Date"), batch_size=100
    ).batches()
    next(batches)
    assert _open_descriptors(path) == 1
    batches.close()
    assert _open_descriptors(path) == 0
    steps = validate_population_file(path, ColumnMapping(key="Key", date="Date"))
    next(steps)
    del steps
    assert _open_descriptors(path) == 0


def test_reader_can_run_again(tmp_path: Path) -> None:
    path = _csv(tmp_path / "again.csv", [["Key", "Date"], ["A", "2025-01-01"], ["A", "2025-01-02"]])
    reader = PopulationReader(path, ColumnMapping(key="Key", date="Date"))
    first = [row for batch in reader.batches() for row in batch.rows]
    second = [row for batch in reader.batches() for row in batch.rows]
    assert first == second
    assert reader.report.issue_counts == {"duplicate_key": 1}


# -- CSV: refused files ---------------------------------------------------------------


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    assert _refused(tmp_path / "nope.csv") == "The file nope.csv does not exist."
    (tmp_path / "empty.csv").write_bytes(b"")
    assert _refused(tmp_path / "empty.csv") == "The file empty.csv is empty."
    (tmp_path / "folder.csv").mkdir()
    assert _refused(tmp_path / "folder.csv") == "The path folder.csv is a folder, not a file."


def test_binary_and_non_table_text_are_refused(tmp_path: Path) -> None:
    png = tmp_path / "image.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert "binary data" in _refused(png)
    controls = tmp_path / "controls.csv"
    controls.write_bytes(b"Key,Date\n" + bytes(range(1, 32)) * 10)
    assert "binary data" in _refused(controls)
    prose = tmp_path / "letter.csv"
    prose.write_text("Dear client\nPlease send the file\nThank you\n", encoding="utf-8")
    assert "does not look like a CSV table" in _refused(prose)
    wide = tmp_path / "utf16.csv"
    wide.write_bytes("Key,Date\nA,2025-01-01\n".encode("utf-16-le"))
    assert "UTF-16 text without a byte order mark" in _refused(wide)
    late_nul = tmp_path / "late.csv"
    late_nul.write_bytes(b"Key,Date\n" + b"A,2025-01-01\n" * 100_000 + b"B\x00,2025-01-01\n")
    assert "NUL character" in _refused(late_nul, ColumnMapping(key="Key", date="Date"))


def test_header_problems_are_refused(tmp_path: Path) -> None:
    cases = {
        "blank.csv": (
            "Key,,Date\nA,x,2025-01-01\n",
            "Column 2 of the header row in the file blank.csv",
        ),
        "dup.csv": ("Key,Date,Key\nA,2025-01-01,B\n", "names two columns 'Key' (columns 1 and 3)"),
        "data.csv": ("1001,2025-01-01,12.50\n1002,2025-01-02,13.00\n", "looks like data ('1001')"),
        "nothing.csv": ("\n\n\n", "does not look like a CSV table"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert expected in _refused(path, ColumnMapping(key="Key", date="Date")), name


def test_a_mapped_column_missing_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    path.write_text("Key,When\nA,2025-01-01\n", encoding="utf-8")
    assert inspect_population_file(path).headers == ("Key", "When")
    with pytest.raises(FileFormatError) as error:
        _read(path, ColumnMapping(key="Key", date="Date"))
    assert str(error.value) == (
        "The file missing.csv has no column named 'Date'; its columns are: Key, When."
    )


def test_bad_csv_syntax_is_refused(tmp_path: Path) -> None:
    previous = csv.field_size_limit(50)
    try:
        path = tmp_path / "huge.csv"
        good = "".join(f"K{i},2025-01-01\n" for i in range(60))
        path.write_text("Key,Date\n" + good + "B," + "x" * 100 + "\n", encoding="utf-8")
        expected = "^Line 62 of huge.csv: a value that starts on this line is longer than 50 characters"
        with pytest.raises(FileFormatError, match=expected):
            _read(path, ColumnMapping(key="Key", date="Date"))
        assert inspect_population_file(path).headers == ("Key", "Date")
        with pytest.raises(FileFormatError, match=expected):
            inspect_population_file(path, preview_rows=100)
    finally:
        csv.field_size_limit(previous)


def test_mapping_that_cannot_work_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "any.csv"
    with pytest.raises(ValidationError, match="mapped twice"):
        PopulationReader(path, ColumnMapping(key="A", date="A"))
    with pytest.raises(ValidationError, match="mapped twice"):
        PopulationReader(path, ColumnMapping(key="A", date="B", amount="B"))
    with pytest.raises(ValidationError, match="Choose both"):
        PopulationReader(path, ColumnMapping(key=" ", date="B"))
    with pytest.raises(ValidationError, match="cannot read dates back"):
        PopulationReader(path, ColumnMapping(key="A", date="B", date_format="%H:%M"))
    with pytest.raises(ValidationError, match="is after its end"):
        PopulationReader(path, ColumnMapping(key="A", date="B"), END, START)
    with pytest.raises(ValidationError, match="batch size"):
        PopulationReader(path, ColumnMapping(key="A", date="B"), batch_size=0)


# -- XLSX -------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "Population extracted 2026-01-05"
    sheet = book.create_sheet("Tickets")
    sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = "Key", "Date", "Amount", "Note"
    sheet.append([])
    rows = [
        (1001.0, dt.date(2025, 1, 31), 12.5, "plain"),  # 4: whole float key, date cell
        ("K-2", dt.datetime(2025, 2, 1, 10, 5), "=D4*2", "x"),  # 5: amount formula
        (1003, "2025-03-01", 3, '=HYPERLINK("http://x")'),  # 6: formula cell in a text column
        (None, None, None, None),  # 7: blank row
        (1001, 45000, True, 0.1 + 0.2),  # 8: duplicate, number for date, bool amount
        ("K-9", dt.date(2026, 1, 1), "1,000.00", dt.time(10, 30)),  # 9: after the period
    ]
    for offset, (key, day, amount, note) in enumerate(rows):
        line = 4 + offset
        sheet.cell(line, 2, key)
        sheet.cell(line, 3, day)
        sheet.cell(line, 4, amount)
        sheet.cell(line, 5, note)
    text = sheet.cell(10, 5, "=not a formula, just text")
    text.data_type = "s"
    sheet.cell(10, 2, "K-10")
    sheet.cell(10, 3, dt.date(2025, 4, 1))
    sheet.cell(10, 6, "stray")  # a value right of the header
    for column, value in enumerate(
        ("K-11", dt.date(2025, 4, 2), "12.50", dt.timedelta(hours=5)), 2
    ):
        sheet.cell(11, column, value)
    sheet.cell(12, 7, "=1+1")  # a formula right of the header, past the data
    book.save(path)
    return path


def test_xlsx_chosen_sheet_with_formulas_and_dates(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    preview = inspect_population_file(path, sheet="Tickets")
    assert preview.kind == "xlsx"
    assert preview.sheets == ("Notes", "Tickets")
    assert preview.sheet == "Tickets"
    assert (preview.encoding, preview.delimiter) == (None, None)
    assert preview.headers == ("Key", "Date", "Amount", "Note")
    assert preview.preview[0] == ("1001", "2025-01-31", "12.5", "plain")
    assert preview.preview[1][:2] == ("K-2", "2025-02-01 10:05:00")
    assert preview.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert preview.size == path.stat().st_size
    assert preview.approx_rows == 8
    assert len(inspect_population_file(path, sheet="Tickets", preview_rows=2).preview) == 2

    mapping = ColumnMapping(key="Key", date="Date", amount="Amount", sheet="Tickets")
    rows, report = _read(path, mapping)
    assert [row[:4] for row in rows] == [
        (4, "1001", dt.date(2025, 1, 31), "12.5"),
        (5, "K-2", dt.date(2025, 2, 1), None),
        (6, "1003", dt.date(2025, 3, 1), "3"),
        (8, "1001", None, None),
        (9, "K-9", dt.date(2026, 1, 1), "1000.00"),
        (10, "K-10", dt.date(2025, 4, 1), None),
        (11, "K-11", dt.date(2025, 4, 2), "12.50"),
    ]
    assert json.loads(rows[-1][4] or "") == {"Note": "5:00:00"}
    assert json.loads(rows[3][4] or "") == {"Note": "0.3"}
    assert json.loads(rows[4][4] or "") == {"Note": "10:30:00"}
    assert _kinds(report) == [
        ("formula", 5),
        ("bad_amount", 5),
        ("formula", 6),
        ("blank_row", 7),
        ("duplicate_key", 8),
        ("bad_date", 8),
        ("bad_amount", 8),
        ("outside_period", 9),
        ("extra_cells", 10),
        ("bad_amount", 10),
        ("formula", 10),
    ]
    _assert_sentences(report)
    messages = {(i.kind, i.line): i.message for i in report.issues}
    assert messages[("formula", 5)] == (
        "Row 5: the cell D5 in column 'Amount' is a formula (=D4*2), so its last calculated "
        "value was read."
    )
    assert messages[("bad_date", 8)] == (
        "Row 8: the date cell holds a number (45000) rather than a date."
    )
    assert messages[("extra_cells", 10)].startswith("Row 10: the cell F10 has a value")
    assert "starts with '='" in messages[("formula", 10)]
    assert report.sheet == "Tickets"
    assert report.sha256 == preview.sha256
    sized = PopulationReader(path, mapping)
    assert [row for batch in sized.batches() for row in batch.rows] == rows
    assert sized.size == path.stat().st_size
    small_rows, small_report = _read(path, mapping, batch_size=2)
    assert (small_rows, small_report) == (rows, report)


def test_xlsx_first_worksheet_by_default_and_unknown_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.create_chartsheet("Chart")
    book.move_sheet("Chart", offset=-1)
    book["Sheet"].append(["Key", "Date"])
    book["Sheet"].append(["A", dt.date(2025, 5, 1)])
    path = tmp_path / "first.xlsx"
    book.save(path)
    preview = inspect_population_file(path)
    assert (preview.sheet, preview.sheets) == ("Sheet", ("Sheet",))
    rows, _ = _read(path, ColumnMapping(key="Key", date="Date"))
    assert rows == [(2, "A", dt.date(2025, 5, 1), None, None)]
    message = _refused(path, ColumnMapping(key="Key", date="Date", sheet="Nope"))
    assert (
        message
        == "The workbook first.xlsx has no sheet named 'Nope'; its sheets are: Chart, Sheet."
    )
    assert "is a chart or macro sheet" in _refused(
        path, ColumnMapping(key="Key", date="Date", sheet="Chart")
    )


def test_xlsx_sheet_problems(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Empty"
    book.create_sheet("Blank header")["A1"] = "Key"
    book["Blank header"]["C1"] = "Date"
    path = tmp_path / "odd.xlsx"
    book.save(path)
    assert "has no header row" in _refused(path, ColumnMapping(key="Key", date="Date"))
    message = _refused(path, ColumnMapping(key="Key", date="Date", sheet="Blank header"))
    assert message == (
        "Column B of the header row in the sheet 'Blank header' in odd.xlsx has no name; "
        "give every column a name."
    )


def test_xlsx_formula_rows_past_the_data(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Key", "Date"])
    sheet.append(["A", dt.date(2025, 5, 1)])
    sheet["A3"] = "=A2"  # no saved value: beyond calamine's data range
    path = tmp_path / "tail.xlsx"
    book.save(path)
    _, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert _kinds(report) == [("formula", 3)]


def test_damaged_and_foreign_workbooks_are_refused(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx").read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good[: len(good) // 2])
    assert (
        _refused(truncated)
        == "The workbook truncated.xlsx cannot be read; it may be damaged or incomplete."
    )
    archive = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "is a ZIP archive but not an Excel .xlsx workbook" in _refused(archive)
    legacy = tmp_path / "legacy.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert "old .xls workbook or a password-protected workbook" in _refused(legacy)
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("Key,Date\nA,2025-01-01\n", encoding="utf-8")
    assert "is named like an Excel workbook but is not one" in _refused(renamed)


def test_damaged_worksheet_data_is_refused(tmp_path: Path) -> None:
    source = _workbook(tmp_path / "source.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"<sheetData>", b"<sheetData><row><c><broken")
            dst.writestr(item, data)
    mapping = ColumnMapping(key="Key", date="Date", sheet="Tickets")
    assert "cannot be read" in _refused(broken, mapping)


def _rewrite(source: Path, target: Path, part: str, changes: dict[bytes, bytes]) -> Path:
    """Copy a workbook, replacing bytes in one of its parts (what openpyxl cannot write)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == part:
                data = data.replace(b"<v></v>", b"<v />")  # openpyxl writes either, with lxml or without
                for old, new in changes.items():
                    assert old in data, old
                    data = data.replace(old, new)
            dst.writestr(item, data)
    return target


def test_xlsx_formula_cells_written_by_excel(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Key", "Date", "Note"])
    sheet.append(["A", dt.date(2025, 1, 1), "=1+1"])
    sheet.append(["B", dt.date(2025, 1, 2), "x"])
    book.save(tmp_path / "plain.xlsx")
    path = _rewrite(
        tmp_path / "plain.xlsx",
        tmp_path / "excel.xlsx",
        "xl/worksheets/sheet1.xml",
        {
            # a formula with its saved result, text that itself starts with "="
            b'<c r="C2"><f>1+1</f><v /></c>': b'<c r="C2" t="str"><f>"="&amp;"x"</f><v>=x</v></c>',
            # a formula cell without a cell reference (allowed, rare)
            b'<c r="C3" t="inlineStr">': b'<c t="inlineStr"><f>"x"</f>',
        },
    )
    rows, report = _read(path, ColumnMapping(key="Key", date="Date"))
    assert [json.loads(row[4] or "") for row in rows] == [{"Note": "=x"}, {"Note": "x"}]
    assert _kinds(report) == [("formula", None), ("formula", 2)]
    assert report.issues[1].value == '="="&"x"'
    assert report.issues[0].message == (
        "The sheet 'Sheet' has 1 formula cells without a cell reference; their last "
        "calculated values were read."
    )


def test_xlsx_without_a_findable_worksheet_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workpapers.population_file as module

    path = _workbook(tmp_path / "book.xlsx")
    monkeypatch.setattr(module, "worksheet_part", lambda archive, sheet: None)
    _, report = _read(path, ColumnMapping(key="Key", date="Date", sheet="Tickets"))
    assert report.issue_counts["formula"] == 1  # only the text starting with "="


def test_xlsx_without_worksheets_or_header(tmp_path: Path) -> None:
    charts = openpyxl.Workbook()
    charts.create_chartsheet("Chart")
    del charts["Sheet"]
    charts.save(tmp_path / "charts.xlsx")
    assert _refused(tmp_path / "charts.xlsx") == "The workbook charts.xlsx has no worksheet."
    spaces = openpyxl.Workbook()
    spaces.active["B2"] = " "
    spaces.active["C3"] = "  "
    spaces.save(tmp_path / "spaces.xlsx")
    assert _refused(tmp_path / "spaces.xlsx") == (
        "The sheet 'Sheet' in spaces.xlsx has no header row; it is empty."
    )


def test_xlsx_that_calamine_cannot_open(tmp_path: Path) -> None:
    path = tmp_path / "garbage.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "this is not xml")
    assert (
        _refused(path)
        == "The workbook garbage.xlsx cannot be read; it may be damaged or incomplete."
    )


def test_xlsx_control_characters_stay_valid_json(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Key", "Date", "Note"])
    book.active.append(["A", "2025-01-01", "aXb"])
    book.save(tmp_path / "plain.xlsx")
    path = _rewrite(
        tmp_path / "plain.xlsx",
        tmp_path / "escaped.xlsx",
        "xl/worksheets/sheet1.xml",
        {b"aXb": b"a_x0000_b_x0001_"},  # how Excel stores control characters
    )
    rows, _ = _read(path, ColumnMapping(key="Key", date="Date"))
    assert rows[0][4] == '{"Note":"a\\u0000b\\u0001"}'
    assert json.loads(rows[0][4] or "") == {"Note": "a\x00b\x01"}
