"""The SOC 2 Type 2 report for 300 controls with 25 sampled items each ([report] issue).

Builds one engagement of 300 controls (written with Core bulk inserts), each
with two test procedures, a 25-item sample and its results (every tenth
control with two deviations), then times, median of 3:

- generation: ``render_report`` of the report data (the data read is printed apart);
- floor: a bare reportlab build of the same flowables (the same headings,
  paragraphs and tables, no page furniture, no contents, no properties);
- signing: PAdES signing of the generated PDF with the firm's EC P-256 key.

Targets: generation within 2x the floor; signing under 10% of generation.

Run: .venv/bin/python tests/bench/bench_report.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CONTROLS = 300
ITEMS = 25
ROUNDS = 3
GENERATION_FLOOR_RATIO = 2.0
SIGNING_SHARE = 0.10


def _median(action: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        os.environ["AUDITDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["AUDITDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        from reportlab.platypus import NextPageTemplate, SimpleDocTemplate
        from sqlalchemy import insert

        from auditdesk import services
        from auditdesk.catalog import criteria_in_scope
        from auditdesk.domain import Category
        from auditdesk.storage.schema import (
            AttributeRow,
            ControlCriterionRow,
            ControlRow,
            PopulationItemRow,
            PopulationRow,
            ProcedureRow,
            SampleItemRow,
            SampleRow,
            TestResultRow,
            WalkthroughRow,
        )
        from workpapers import pdf_signing
        from workpapers.report_pdf import _Writer, render_report

        store = services.open_store(Path(tmp) / "bench.sqlite")
        services.set_firm(store.uow("PR"), name="Harbor & Finch LLP", city="Boston, Massachusetts")
        services.add_person(store.uow("PR"), name="Dana Whitfield", initials="DW", role="partner")
        services.create_engagement(
            store.uow("PR"), ref="BIG", client="Big Co", system_name="System", engagement_type="type2",
            categories=["security"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
            team=[("DW", "partner")],
        )
        eng_id = services.get_engagement(store.reader(), "BIG").id
        criteria = [c.id for c in criteria_in_scope((Category.SECURITY,))]
        now = "2026-01-01T00:00:00+00:00"
        description = ("The control owner reviews each change ticket for approval before it is deployed to "
                       "production, and the evidence of the review is kept in the ticketing system.")
        started = time.perf_counter()
        with store.engine.begin() as conn:
            conn.execute(insert(ControlRow), [
                {"id": n, "uid": f"c{n:031d}", "engagement_id": eng_id, "ref": f"C-{n:03d}",
                 "description": description, "owner": "", "frequency": "daily", "nature": "manual",
                 "control_type": "preventive", "key": False}
                for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(ControlCriterionRow), [
                {"control_id": n, "criterion_id": criteria[n % len(criteria)]} for n in range(1, CONTROLS + 1)
            ])
            conn.execute(insert(ProcedureRow), [
                {"control_id": n, "seq": seq, "type": kind, "description": text}
                for n in range(1, CONTROLS + 1)
                for seq, kind, text in (
                    (1, "inquiry", "Inquired of the control owner about how the review is performed."),
                    (2, "inspection", "Inspected the sampled tickets for evidence of approval before deployment."),
                )
            ])
            conn.execute(insert(AttributeRow), [
                {"control_id": n, "letter": "A", "question": "Approved before deployment?"}
                for n in range(1, CONTROLS + 1)
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
                {"sample_id": n, "item_key": f"K{i}", "attribute": "A",
                 "outcome": "deviation" if n % 10 == 0 and i < 2 else "pass", "recorded_at": now,
                 "recorded_by": "PR"}
                for n in range(1, CONTROLS + 1) for i in range(ITEMS)
            ])
        print(f"built {CONTROLS} controls x {ITEMS} results in {time.perf_counter() - started:.1f} s")

        began = time.perf_counter()
        data = services.report_data(store.reader(), "BIG", by="DW")
        print(f"report data read from the store: {(time.perf_counter() - began) * 1000:.0f} ms")
        assert sum(len(c.controls) for cat in data.criteria for c in cat.criteria) == CONTROLS

        def bare() -> bytes:
            buffer = io.BytesIO()
            story = [f for f in _Writer(data).build() if not isinstance(f, NextPageTemplate)]
            SimpleDocTemplate(buffer).build(story)
            return buffer.getvalue()

        pdf = render_report(data)
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        floor = _median(bare)
        generation = _median(lambda: render_report(data))
        services.create_signing_identity(store.uow("DW"), firm="Harbor & Finch LLP", signer="Dana Whitfield",
                                         passphrase="bench-passphrase")
        material = services.signing_material(store.reader(), "BIG", "DW")
        signing = _median(lambda: pdf_signing.sign_pdf(pdf, material))
        ratio = generation / floor
        share = signing / generation
        print(f"report: {len(pdf) / 1024:.0f} KiB, about {pages} pages")
        print(f"bare reportlab build of the same flowables (floor): {floor * 1000:.0f} ms")
        verdict = "met" if ratio <= GENERATION_FLOOR_RATIO else "NOT met"
        print(f"generation: {generation * 1000:.0f} ms = {ratio:.2f}x the floor "
              f"(target within {GENERATION_FLOOR_RATIO:.0f}x: {verdict})")
        print(f"signing: {signing * 1000:.0f} ms = {share * 100:.1f}% of generation "
              f"(target under {SIGNING_SHARE * 100:.0f}%: {'met' if share < SIGNING_SHARE else 'NOT met'})")
        store.close()


if __name__ == "__main__":
    main()
