"""Two processes writing one store at once: both succeed, the chain stays whole."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from auditdesk import services
from auditdesk.storage.uow import Store

WRITER = textwrap.dedent(
    """
    import sys
    from auditdesk import services
    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = services.open_store(path)
    for i in range(count):
        services.add_control(
            store.uow(prefix),
            "ACME-25",
            services.ControlInput(ref=f"{prefix}-{i:03d}", description=f"written by {prefix}"),
        )
        # a read between writes, as a real session does
        services.list_controls(store.reader(), "ACME-25")
    store.close()
    print("done", prefix)
    """
)


def test_two_processes_write_concurrently(store: Store, store_path: Path, engagement: str) -> None:
    count = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_path), prefix, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("PA", "PB")
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "database is locked" not in err
        assert out.startswith("done")
    refs = [c.ref for c in services.list_controls(store.reader(), engagement)]
    assert len(refs) == 2 * count
    check = services.verify_trail(store.reader())
    assert check.ok, check.reason


def test_two_demos_at_once_get_distinct_references(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.sqlite")
    exe = Path(sys.executable).with_name("auditdesk")
    procs = [
        subprocess.Popen(
            [str(exe), "--db", db, "--json", "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    refs = sorted(json.loads(out)["engagement"] for out, _ in outputs)
    assert refs == ["DEMO", "DEMO-2"]
