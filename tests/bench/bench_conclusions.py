"""Engagement conclusions for 5,000 controls with 25 results each ([method] issue).

Builds one Type 2 engagement of 5,000 controls, each with one attribute, a
walkthrough, a 25-item sample and 25 results (written with Core bulk inserts),
then times ``services.engagement_conclusions`` (median of 5 calls).
Floor, in the same run: a bare SQL count of the same result rows grouped the
way the conclusions need them (sample, attribute, outcome). The target is
under 100 ms per call; the ratio to the floor is printed.

Run: .venv/bin/python tests/bench/bench_conclusions.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CONTROLS = 5_000
ITEMS = 25
ROUNDS = 5
TARGET_MS = 100.0


def _median(action: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-conclusions-") as tmp:
        os.environ["AUDITDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["AUDITDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        from sqlalchemy import func, insert, select

        from auditdesk import services
        from auditdesk.storage.schema import (
            AttributeRow,
            ControlCriterionRow,
            ControlRow,
            PopulationItemRow,
            PopulationRow,
            SampleItemRow,
            SampleRow,
            TestResultRow,
            WalkthroughRow,
        )

        store = services.open_store(Path(tmp) / "bench.sqlite")
        services.create_engagement(
            store.uow("PR"), ref="BIG", client="Big Co", system_name="System", engagement_type="type2",
            categories=["security"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
        )
        eng_id = services.get_engagement(store.reader(), "BIG").id
        criteria = ("CC6.1", "CC6.2", "CC7.2", "CC8.1")
        now = "2026-01-01T00:00:00+00:00"
        started = time.perf_counter()
        with store.engine.begin() as conn:
            conn.execute(insert(ControlRow), [
                {"id": n, "uid": f"c{n:031d}", "engagement_id": eng_id, "ref": f"C-{n:05d}", "description": "x",
                 "owner": "", "frequency": "daily", "nature": "manual", "control_type": "preventive", "key": False}
                for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(ControlCriterionRow), [
                {"control_id": n, "criterion_id": criteria[n % len(criteria)]} for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(AttributeRow), [
                {"control_id": n, "letter": "A", "question": "Approved?"} for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(WalkthroughRow), [
                {"uid": f"w{n:031d}", "engagement_id": eng_id, "control_id": n, "procedure": "Inspected one.",
                 "conclusion": "designed", "note": "", "performed_by": "PR", "recorded_at": now}
                for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(PopulationRow), [{
                "id": 1, "uid": "p" * 32, "engagement_id": eng_id, "name": "Pop", "source": "file", "digest": "0" * 64,
                "rows": 100_000, "imported_at": now, "imported_by": "PR",
            }])
            conn.execute(insert(PopulationItemRow), [
                {"population_id": 1, "seq": i, "line": i + 2, "key": f"K{i}"} for i in range(ITEMS)
            ])
            conn.execute(insert(SampleRow), [
                {"id": n, "uid": f"s{n:031d}", "engagement_id": eng_id, "control_id": n, "population_id": 1,
                 "method": "random", "statistical": False, "size": ITEMS, "plan_json": json.dumps({}),
                 "receipt_json": "{}", "selected_at": now, "selected_by": "PR"}
                for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(SampleItemRow), [
                {"sample_id": n, "seq": i, "key": f"K{i}"} for n in range(1, CONTROLS + 1) for i in range(ITEMS)
            ])
            conn.execute(insert(TestResultRow), [
                {"sample_id": n, "item_key": f"K{i}", "attribute": "A", "outcome": "pass", "recorded_at": now,
                 "recorded_by": "PR"}
                for n in range(1, CONTROLS + 1) for i in range(ITEMS)
            ])
        print(f"built {CONTROLS} controls x {ITEMS} results in {time.perf_counter() - started:.1f} s")

        def floor() -> object:
            with store.engine.connect() as conn:
                return conn.execute(
                    select(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome, func.count())
                    .join(SampleRow, SampleRow.id == TestResultRow.sample_id)
                    .where(SampleRow.engagement_id == eng_id)
                    .group_by(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome)
                ).all()

        result = services.engagement_conclusions(store.reader(), "BIG")
        assert len(result.controls) == CONTROLS
        assert all(c.final.value == "effective" for c in result.controls)
        base = _median(floor)
        took = _median(lambda: services.engagement_conclusions(store.reader(), "BIG"))
        print(f"bare SQL count of the {CONTROLS * ITEMS} results (floor): {base * 1000:.1f} ms")
        print(f"engagement_conclusions: {took * 1000:.1f} ms = {took / base:.1f}x the floor "
              f"(target under {TARGET_MS:.0f} ms: {'met' if took * 1000 < TARGET_MS else 'NOT met'})")
        store.close()


if __name__ == "__main__":
    main()
