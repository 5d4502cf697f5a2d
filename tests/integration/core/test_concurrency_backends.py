"""Four processes writing one engagement at once, 200 transactions each, on SQLite and PostgreSQL.

Every write is its own unit of work. Half of them add a control; the other half
create a client request, whose reference (R-0001, R-0002, ...) each writer
reads from what is stored and then takes: a read-modify-write on state all
writers share. Were two writers to read the same state, two requests would
get the same reference (or one would fail). Every write also appends to the
one audit trail, another shared read-modify-write (its head).
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest

from auditdesk import services
from auditdesk.storage.uow import Store

WRITERS = 4
WRITES = 200


def _writer(target: str, prefix: str, barrier: Any, results: Any) -> None:
    from auditdesk import services

    errors: list[str] = []
    try:
        store = services.open_store(target)
        barrier.wait(timeout=120)
        try:
            for i in range(WRITES):
                try:
                    if i % 2:
                        services.create_request(store.uow(prefix), "ACME-25", description=f"{prefix} request {i:03d}")
                    else:
                        services.add_control(
                            store.uow(prefix),
                            "ACME-25",
                            services.ControlInput(ref=f"{prefix}-{i:03d}", description=f"written by {prefix}"),
                        )
                except Exception as exc:  # reported to the test, which names it
                    errors.append(f"write {i}: {type(exc).__name__}: {exc}")
        finally:
            store.close()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    results.put((prefix, errors))


@pytest.mark.both_backends
@pytest.mark.slow
def test_four_writers_200_transactions_each_lose_nothing(store: Store, store_target: str, engagement: str) -> None:
    events_before = services.verify_trail(store.reader()).events
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    prefixes = [f"W{n}" for n in range(WRITERS)]
    procs = [context.Process(target=_writer, args=(store_target, p, barrier, results)) for p in prefixes]
    started = time.monotonic()
    for proc in procs:
        proc.start()
    outcomes = dict(results.get(timeout=600) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    elapsed = time.monotonic() - started
    assert outcomes == {p: [] for p in prefixes}, outcomes  # no write failed, none met "database is locked"

    controls = {c.ref for c in services.list_controls(store.reader(), engagement)}
    assert controls == {f"{p}-{i:03d}" for p in prefixes for i in range(0, WRITES, 2)}
    requests = services.list_requests(store.reader(), engagement)
    total = WRITERS * WRITES // 2
    assert sorted(r.ref for r in requests) == [f"R-{n:04d}" for n in range(1, total + 1)]  # no reference taken twice
    assert {r.description for r in requests} == {f"{p} request {i:03d}" for p in prefixes for i in range(1, WRITES, 2)}

    check = services.verify_trail(store.reader())
    assert check.ok, check.reason
    assert check.events - events_before >= WRITERS * WRITES  # every write left its event in the one chain
    print(f"{store.dialect}: {WRITERS} x {WRITES} writes in {elapsed:.1f}s")  # noqa: T201
