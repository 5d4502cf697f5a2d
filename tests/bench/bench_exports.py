"""Bench: the client request list export against a bare openpyxl write-only loop, in one run.

200,000 requests stream into the request list (cover sheet, protected auditor columns,
unlocked client columns, status drop-down, the safety rules on every text) and, as the
floor, into a bare write-only sheet that appends the same values as they are. Goal:
ratio <= 1.5. Each timing is the best CPU time of interleaved rounds.

Memory: a fresh interpreter exports the 200,000 requests (rows streamed from a
generator, as the store streams them) and reports its peak resident size, imports
included. Goal: under 150 MB.

``BENCH_EXPORT_ROWS`` and ``BENCH_REPEAT`` change the size and the rounds.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from openpyxl import Workbook

from auditdesk.services.requests import ClientRequest, RequestStatus
from workpapers.excel_requests import REQUEST_COLUMNS, ListCover, export_request_list, request_cells

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "2"))
RATIO_GOAL = 1.5
MEMORY_GOAL_MB = 150
COVER = ListCover(
    "BENCH-25", "Bench Client", "Bench System", "2025-01-01 to 2025-12-31", dt.datetime(2026, 1, 5, tzinfo=dt.UTC), "PR"
)
STATUSES = tuple(RequestStatus)
HOSTILE = ('=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)")


def requests(count: int) -> Iterator[ClientRequest]:
    """Requests as the store streams them: one at a time, a few with hostile client text."""
    start = dt.date(2025, 1, 1)
    for i in range(count):
        day = start + dt.timedelta(days=i % 365)
        key = f"CHG-{i:07d}"
        answered = i % 3 == 0
        yield ClientRequest(
            id=i + 1,
            ref=f"R-{i + 1:06d}",
            control_ref=f"CM-{i % 40 + 1}",
            sample_id=i // 25 + 1,
            item_key=key,
            item_date=day,
            walkthrough_id=None,
            population_id=None,
            description=f"Provide evidence for {key} dated {day.isoformat()}: A. Approved before deployment?; "
            "B. Tested by someone other than the developer?",
            assignee=f"Owner {i % 17}",
            due_date=dt.date(2026, 2, 1),
            status=STATUSES[i % 4],
            response=(HOSTILE[i % 4] if i % 1000 == 0 else f"Ticket {key} exported from the system")
            if answered
            else "",
            evidence_file_name=f"{key}.pdf" if answered else "",
            client_comment="",
            created_at="2026-01-05T09:00:00+00:00",
            created_by="PR",
        )


def bare(path: Path) -> None:
    """The floor: the same values appended to a write-only sheet, nothing else."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Requests")
    sheet.append([c.header for c in REQUEST_COLUMNS])
    for request in requests(ROWS):
        sheet.append(request_cells(request))
    book.save(path)


def export(path: Path) -> None:
    result = export_request_list(path, COVER, requests(ROWS), total=ROWS)
    assert result.rows == ROWS


def best_of(actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    times = {name: float("inf") for name in actions}
    for _ in range(REPEAT):
        for name, action in actions.items():
            started = time.process_time()
            action()
            times[name] = min(times[name], time.process_time() - started)
    return times


def peak_rss_mb(path: Path) -> tuple[float, float]:
    """(resident size after the imports, peak resident size after the export) of a fresh interpreter."""
    script = (
        "import resource, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from tests.bench import bench_exports as b\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "from pathlib import Path\n"
        "b.export(Path(sys.argv[1]))\n"
        "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script, str(path), str(root)], capture_output=True, text=True, check=True
    )
    before, after = out.stdout.split()
    return float(before), float(after)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = best_of({"bare": lambda: bare(folder / "bare.xlsx"), "export": lambda: export(folder / "list.xlsx")})
        ratio = t["export"] / t["bare"]
        print(f"Request list, {ROWS:,} rows: bare write-only loop {t['bare']:.2f} s")
        print(
            f"  export_request_list (cover, protection, validation, safe text): {t['export']:.2f} s, "
            f"ratio {ratio:.2f} (goal <= {RATIO_GOAL})"
        )
        imports, peak = peak_rss_mb(folder / "memory.xlsx")
        print(
            f"  peak memory of the export in a fresh interpreter: {peak:.0f} MB "
            f"({imports:.0f} MB after imports; goal < {MEMORY_GOAL_MB} MB)"
        )
        ok = ratio <= RATIO_GOAL and peak < MEMORY_GOAL_MB
        print("  within the goals" if ok else "  OUTSIDE THE GOALS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
