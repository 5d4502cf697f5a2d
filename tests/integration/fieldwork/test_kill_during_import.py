"""SIGKILL in the middle of a million-row import leaves no partial population."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.storage.uow import Store

IMPORTER = textwrap.dedent(
    """
    import sys
    from auditdesk import services
    from workpapers.population_file import ColumnMapping, PopulationReader
    store = services.open_store(sys.argv[1])
    start, end = services.import_period(store.reader(), "ACME-25")
    reader = PopulationReader(sys.argv[2], ColumnMapping(key="id", date="date", amount="amount"),
                              period_start=start, period_end=end)
    gen = services.iter_import_population(store.uow("PR"), "ACME-25", reader, name="Big")
    for progress in gen:
        print(progress.done, progress.total, flush=True)
    """
)


def _million_rows(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,date,amount,a,b,c\n")
        for i in range(1_000_000):
            handle.write(f"K{i:07d},2025-{(i % 12) + 1:02d}-15,{i % 997}.25,x{i % 7},y,z\n")
    return path


@pytest.mark.slow
def test_sigkill_mid_import_leaves_nothing(store: Store, store_path: Path, engagement: str, tmp_path: Path) -> None:
    source = _million_rows(tmp_path / "big.csv")
    before = services.verify_trail(store.reader()).events
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(store_path), str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    # Wait until a good part of the file is written into the open transaction.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        done, total = (int(x) for x in line.split())
        if done * 3 >= total:
            break
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store.close()
    reopened = services.open_store(store_path)
    try:
        assert services.list_populations(reopened.reader(), engagement) == ()
        assert services.verify_trail(reopened.reader()).events == before
    finally:
        reopened.close()
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT count(*) FROM population_item").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM population").fetchone()[0] == 0
