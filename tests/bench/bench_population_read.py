"""Bench: reading population files against the bare parsers, in one run.

CSV: 1,000,000 rows (key, date, amount, 3 text columns) read by
``PopulationReader.batches()`` (rows kept, JSON data built, all checks, SHA-256)
against a bare ``csv.reader`` loop over the same file.  Goal: ratio <= 2.0.

XLSX: 200,000 rows of the same shape read by the reader against a bare
python-calamine ``iter_rows()`` loop.  Goal: ratio <= 1.5 (the import bench allows
2x including the database insert).

Each timing is the best CPU time of a few interleaved runs.  Set ``BENCH_ROWS`` /
``BENCH_XLSX_ROWS`` to change the sizes.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from python_calamine import CalamineWorkbook

from workpapers.population_file import ColumnMapping, PopulationReader, validate_population_file

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
XLSX_ROWS = int(os.environ.get("BENCH_XLSX_ROWS", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
MAPPING = ColumnMapping(key="Key", date="Date", amount="Amount")
START = date(2025, 1, 1)
END = date(2025, 12, 31)


def _records(count: int) -> Iterator[tuple[str, date, float, str, str, str]]:
    rng = random.Random(7)
    for i in range(count):
        yield (
            f"INV-{i:07d}",
            START + timedelta(days=rng.randrange(365)),
            rng.randrange(100, 1_000_000) / 100,
            f"Vendor {rng.randrange(500)}",
            f"Purchase of item {rng.randrange(10**6)} for department {rng.randrange(40)}",
            rng.choice(["alice", "bob", "carol, jr."]),
        )


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Key", "Date", "Amount", "Vendor", "Description", "Approver"])
        for key, day, amount, vendor, text, who in _records(count):
            writer.writerow([key, day.isoformat(), f"{amount:.2f}", vendor, text, who])


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
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
    '<sheets><sheet name="Population" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def write_xlsx(path: Path, count: int) -> None:
    """A plain XLSX (inline strings, date cells) written directly, fast for big sheets."""
    epoch = date(1899, 12, 30)

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            names = ["Key", "Date", "Amount", "Vendor", "Description", "Approver"]
            cells = "".join(text(f"{chr(65 + i)}1", name) for i, name in enumerate(names))
            sheet.write(f'<row r="1">{cells}</row>'.encode())
            for n, (key, day, amount, vendor, desc, who) in enumerate(_records(count), 2):
                row = (
                    f'<row r="{n}">{text(f"A{n}", key)}'
                    f'<c r="B{n}" s="1"><v>{(day - epoch).days}</v></c>'
                    f'<c r="C{n}"><v>{amount}</v></c>'
                    f"{text(f'D{n}', vendor)}{text(f'E{n}', desc)}{text(f'F{n}', who)}</row>"
                )
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")


def best_of(actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """CPU seconds of each action, best of REPEAT rounds run interleaved.

    CPU time rather than wall time, and interleaving, keep the ratios steady on a
    shared machine; the files are in the page cache after the first round.
    """
    times = {name: float("inf") for name in actions}
    for _ in range(REPEAT):
        for name, action in actions.items():
            started = time.process_time()
            action()
            times[name] = min(times[name], time.process_time() - started)
    return times


def bare_csv(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        for _ in csv.reader(fh):
            pass


def bare_xlsx(path: Path) -> None:
    with CalamineWorkbook.from_path(path) as book:
        for _ in book.get_sheet_by_index(0).iter_rows():
            pass


def read(path: Path, batch_size: int = 20000) -> None:
    reader = PopulationReader(path, MAPPING, START, END, batch_size=batch_size)
    rows = 0
    for batch in reader.batches():
        rows += len(batch.rows)
    assert reader.report.issue_count == 0, reader.report.issue_counts
    assert reader.report.rows == rows


def validate(path: Path) -> None:
    steps = validate_population_file(path, MAPPING, START, END)
    while True:
        try:
            next(steps)
        except StopIteration:
            return


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "population.csv"
        write_csv(csv_path, ROWS)
        size = csv_path.stat().st_size / 1e6
        t = best_of(
            {
                "bare": lambda: bare_csv(csv_path),
                "read": lambda: read(csv_path),
                "read2000": lambda: read(csv_path, 2000),
                "validate": lambda: validate(csv_path),
            }
        )
        floor = t["bare"]
        print(f"CSV {ROWS:,} rows, {size:.0f} MB: bare csv.reader loop {floor:.2f} s")
        print(
            f"  PopulationReader.batches (rows, JSON data, checks, SHA-256): {t['read']:.2f} s, "
            f"ratio {t['read'] / floor:.2f} (goal <= 2.0)"
        )
        ratio = t["read2000"] / floor
        print(f"  the same with batch_size=2000: {t['read2000']:.2f} s, ratio {ratio:.2f}")
        ratio = t["validate"] / floor
        print(f"  validate_population_file (checks only): {t['validate']:.2f} s, ratio {ratio:.2f}")
        xlsx_path = folder / "population.xlsx"
        write_xlsx(xlsx_path, XLSX_ROWS)
        t = best_of({"bare": lambda: bare_xlsx(xlsx_path), "read": lambda: read(xlsx_path)})
        print(f"XLSX {XLSX_ROWS:,} rows: bare calamine iter_rows loop {t['bare']:.2f} s")
        ratio = t["read"] / t["bare"]
        print(f"  PopulationReader.batches: {t['read']:.2f} s, ratio {ratio:.2f} (goal <= 1.5)")
        print(f"Peak memory of reading the CSV alone: {peak_rss_mb(csv_path):.0f} MB")
    return 0


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of a fresh interpreter that reads ``path`` (imports included)."""
    script = (
        "import resource, sys\n"
        "from workpapers.population_file import ColumnMapping, PopulationReader\n"
        "mapping = ColumnMapping(key='Key', date='Date', amount='Amount')\n"
        "for _ in PopulationReader(sys.argv[1], mapping).batches():\n"
        "    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
