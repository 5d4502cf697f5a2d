"""Population import benchmarks (issue [fieldwork]).

Each import runs in its own process so peak memory (max RSS) is its own.
Floors, measured in the same run on the same file:
- CSV: the csv module reading the file + sqlite3 executemany of the same rows
  into the same item table (WAL, synchronous=FULL, one transaction).
- XLSX: python-calamine's bare read of the sheet + the same executemany.
Goals: CSV within 3x, XLSX within 2x, peak memory under 400 MB.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CSV_ROWS = 1_000_000
XLSX_ROWS = 200_000

FLOOR = r'''
import csv, json, resource, sqlite3, sys, time
kind, source, db = sys.argv[1:4]
t0 = time.perf_counter()
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE item (population_id INTEGER, seq INTEGER, line INTEGER, key TEXT, date TEXT, "
             "amount TEXT, data TEXT, PRIMARY KEY (population_id, seq))")
conn.execute("BEGIN IMMEDIATE")
if kind == "csv":
    handle = open(source, newline="", encoding="utf-8")
    rows = csv.reader(handle)
else:
    from python_calamine import CalamineWorkbook
    rows = iter(CalamineWorkbook.from_path(source).get_sheet_by_index(0).to_python())
next(rows)
batch = []
for seq, r in enumerate(rows):
    batch.append((1, seq, seq + 2, str(r[0]), str(r[1]), str(r[2]), json.dumps({"a": r[3], "b": r[4], "c": r[5]})))
    if len(batch) == 20000:
        conn.executemany("INSERT INTO item VALUES (?,?,?,?,?,?,?)", batch); batch = []
conn.executemany("INSERT INTO item VALUES (?,?,?,?,?,?,?)", batch)
conn.execute("COMMIT")
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

OURS = r'''
import json, resource, sys, time, datetime as dt
from auditdesk import services
from workpapers.population_file import ColumnMapping, PopulationReader
source, db = sys.argv[1:3]
store = services.open_store(db)
services.add_person(store.uow("PR"), name="Bench", initials="PR", role="senior")
services.create_engagement(store.uow("PR"), ref="B", client="C", system_name="S", engagement_type="type2",
    categories=["security"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
t0 = time.perf_counter()
reader = PopulationReader(source, ColumnMapping(key="key", date="date", amount="amount"),
    period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
pop = services.import_population(store.uow("PR"), "B", reader, name="P")
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": pop.rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["key", "date", "amount", "a", "b", "c"])
        for i in range(rows):
            w.writerow([f"INV-{i:08d}", f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}", f"{(i * 37) % 100000}.{i % 100:02d}",
                        f"vendor {i % 977}", "approved", f"batch {i // 1000}"])


def _write_xlsx(path: Path, rows: int) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Population")
    sheet.append(["key", "date", "amount", "a", "b", "c"])
    for i in range(rows):
        sheet.append([f"INV-{i:08d}", dt.date(2025, i % 12 + 1, i % 28 + 1), (i * 37) % 100000 + (i % 100) / 100,
                      f"vendor {i % 977}", "approved", f"batch {i // 1000}"])
    book.save(path)


def _run(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "pop.csv"
        _write_csv(csv_path, CSV_ROWS)
        floor = _run(FLOOR, "csv", str(csv_path), str(folder / "floor.sqlite"))
        ours = _run(OURS, str(csv_path), str(folder / "ours.sqlite"))
        print(f"CSV import of {CSV_ROWS:,} rows: {ours['seconds']:.1f} s vs floor (csv + executemany) "
              f"{floor['seconds']:.1f} s -> ratio {ours['seconds'] / floor['seconds']:.2f} (goal <= 3.0); "
              f"peak memory {ours['rss_mb']:.0f} MB (goal < 400 MB)")
        xlsx_path = folder / "pop.xlsx"
        _write_xlsx(xlsx_path, XLSX_ROWS)
        floor = _run(FLOOR, "xlsx", str(xlsx_path), str(folder / "floor2.sqlite"))
        ours = _run(OURS, str(xlsx_path), str(folder / "ours2.sqlite"))
        print(f"XLSX import of {XLSX_ROWS:,} rows: {ours['seconds']:.1f} s vs floor (calamine + executemany) "
              f"{floor['seconds']:.1f} s -> ratio {ours['seconds'] / floor['seconds']:.2f} (goal <= 2.0); "
              f"peak memory {ours['rss_mb']:.0f} MB (goal < 400 MB)")


if __name__ == "__main__":
    main()
