"""Two processes writing one store at once: both succeed, the chain stays whole."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

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


def _first_opener(folder: str, worker: int, rounds: int, barrier: Any, results: Any) -> None:
    """One of several processes opening the same brand-new store at the same moment, round after round."""
    from auditdesk import services

    for round_no in range(rounds):
        barrier.wait(timeout=120)
        try:
            store = services.open_store(Path(folder) / f"round-{round_no:02d}.sqlite")
            try:
                services.list_people(store.reader())
            finally:
                store.close()
            results.put((round_no, worker, "ok"))
        except Exception as exc:  # reported to the test, which names it
            results.put((round_no, worker, f"{type(exc).__name__}: {exc}"))


def test_eight_first_openers_of_a_new_store_all_succeed(tmp_path: Path) -> None:
    openers, rounds = 8, 20
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(openers)
    results = context.Queue()
    procs = [
        context.Process(target=_first_opener, args=(str(tmp_path), worker, rounds, barrier, results))
        for worker in range(openers)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=300) for _ in range(openers * rounds)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    failures = [o for o in outcomes if o[2] != "ok"]
    assert failures == []
    for round_no in range(rounds):
        store = services.open_store(tmp_path / f"round-{round_no:02d}.sqlite")
        try:
            services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
            assert services.verify_trail(store.reader()).ok
        finally:
            store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"round-{r:02d}.sqlite" for r in range(rounds)]
