"""The auditor's day on the demo engagement, from a client file to the partner's opinion."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.conclusions import ControlConclusion, ProposedOpinion
from auditdesk.demo import build_demo
from auditdesk.errors import ValidationError
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from workpapers.population_file import ColumnMapping, PopulationReader


def _access_file(path: Path, year: int) -> Path:
    """New-access tickets for the year, with the problems a real extract has."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["Request", "Granted", "Amount", "System"])
        day = dt.date(year, 1, 1)
        for i in range(600):
            w.writerow([f"REQ-{i:04d}", (day + dt.timedelta(days=i * 365 // 600)).isoformat(), "1.00", "prod"])
        w.writerow(["REQ-0007", f"{year}-03-03", "1.00", "prod"])  # duplicate key
        w.writerow([])  # blank row
        w.writerow(["REQ-9001", f"{year + 1}-02-01", "1.00", "prod"])  # after the period
        w.writerow(["REQ-9002", f"{year}-06-30", "n/a", "=cmd|' /C calc'!A0"])  # bad amount, formula
        w.writerow(["REQ-9003", f"{year}-02-30", "1.00", "prod"])  # no such date
    return path


def test_demo_engagement_from_population_to_opinion(store: Store, tmp_path: Path) -> None:
    ref = build_demo(store)
    eng = services.get_engagement(store.reader(), ref)
    assert eng.period_start is not None
    path = _access_file(tmp_path / "access.csv", eng.period_start.year)
    mapping = ColumnMapping(key="Request", date="Granted", amount="Amount")

    # The validation report, before anything is stored.
    reader = PopulationReader(path, mapping, period_start=eng.period_start, period_end=eng.period_end)
    for _batch in reader.batches():
        pass
    kinds = reader.report.issue_counts
    assert kinds == {
        "duplicate_key": 1,
        "blank_row": 1,
        "outside_period": 1,
        "bad_amount": 1,
        "formula": 1,
        "bad_date": 1,
    }
    with pytest.raises(services.PopulationIssuesError, match="6 problem"):
        services.import_population(store.uow("PR"), ref, file_source(store, ref, path, mapping), name="New access")
    assert [p.name for p in services.list_populations(store.reader(), ref)].count("New access") == 0

    # Import anyway, issues recorded with the population.
    pop = services.import_population(
        store.uow("PR"), ref, file_source(store, ref, path, mapping), name="New access", accept_issues=True
    )
    assert pop.rows == 604
    assert pop.issue_count == 6
    assert len(pop.digest) == 64

    # A stratified statistical sample: 95% confidence, 5% tolerable, 1% expected -> 93.
    sample = services.select_sample(
        store.uow("PR"),
        ref,
        "LA-02",
        population_id=pop.id,
        method="stratified",
        confidence="0.95",
        tolerable="0.05",
        expected="0.01",
        seed=123456789,
    )
    assert sample.size == 93
    assert len(sample.strata) >= 12
    assert all(s["sample_count"] >= 1 for s in sample.strata if s["population_count"])
    undated = sample.strata[-1]  # the item whose date could not be read keeps its chance
    assert (undated["label"], undated["start"], undated["population_count"]) == ("Undated", None, 1)
    assert services.reperform_sample(store.uow("HB"), ref, sample.id).identical

    def control_status() -> services.ControlStatus:
        c = services.engagement_conclusions(store.reader(), ref)
        return next(s for s in c.controls if s.ref == "LA-02")

    letters = ["A", "B", "C"]
    keys = list(sample.keys)
    # Everything passes but the first item's attribute B.
    services.record_results(
        store.uow("TA"),
        ref,
        sample.id,
        [services.ResultInput(k, a, "pass") for k in keys for a in letters if not (a == "B" and k == keys[0])],
    )
    assert control_status().computed is ControlConclusion.PENDING
    services.record_result(store.uow("TA"), ref, sample.id, keys[0], "B", "deviation", note="Approved after grant.")
    one = control_status()
    assert one.computed is ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS  # 1 of 93: upper limit under 5%
    services.record_result(store.uow("TA"), ref, sample.id, keys[1], "B", "deviation", note="No approval on file.")
    two = control_status()
    assert two.computed is ControlConclusion.NOT_EFFECTIVE  # 2 of 93: upper limit above 5%
    assert "above the tolerable rate" in two.explanation
    assert two.result_text.startswith("Exceptions noted. 2 of 93 items: ")

    conclusions = services.engagement_conclusions(store.reader(), ref)
    by_id = {c.id: c for c in conclusions.criteria}
    assert by_id["CC6.2"].final.failing
    assert by_id["CC6.3"].final.failing
    # The demo still has open criteria: the proposal waits, but is already at least qualified.
    assert conclusions.proposal.opinion is ProposedOpinion.PENDING
    assert conclusions.proposal.at_least is ProposedOpinion.QUALIFIED
    assert any("CC6.2" in r for r in conclusions.proposal.reasons)
    assert len(services.list_exceptions(store.reader(), ref, control="LA-02")) == 2

    # Only the partner records the opinion, and only once its preconditions hold.
    with pytest.raises(ValidationError, match="Only the engagement partner"):
        services.record_opinion(store.uow("PR"), ref, "qualified", basis="x")
    with pytest.raises(ValidationError, match="cannot be recorded yet"):
        services.record_opinion(
            store.uow("DW"),
            ref,
            "qualified",
            basis="Controls over approval of new access (LA-02) did not operate effectively; CC6.2 and CC6.3 not met.",
        )
    assert services.engagement_conclusions(store.reader(), ref).recorded is None
    assert services.verify_trail(store.reader()).ok
