"""Rows left out of the sampling frame with a reason: import, selection, re-performance, CLI (AU-C 530)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from auditdesk import services
from auditdesk.errors import ValidationError
from auditdesk.services.populations import PopulationIssuesError
from auditdesk.services.workpaper_data import engagement_workpapers
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source, raw_sql, run_cli
from workpapers.excel_workpapers import export_workpapers
from workpapers.population_file import ColumnMapping

MAPPING = ColumnMapping(key="key", date="date", amount="amount")
EARLY = "CHG-EARLY"  # dated 2024-12-30, before the period


@pytest.fixture
def control(store: Store, engagement: str) -> str:
    services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(ref="CM-1", description="Changes approved", frequency="daily", criteria=("CC8.1",)),
    )
    services.set_test_plan(
        store.uow("PR"), engagement, "CM-1", procedures=[("inspection", "Inspect")], attributes=["Approved?"]
    )
    return "CM-1"


def _csv(path: Path, rows: int = 60) -> Path:
    """A change log with one row dated before the period, on line 2 (the first data line)."""
    lines = ["key,date,amount", f"{EARLY},2024-12-30,9999.00"]
    for i in range(rows):
        day = dt.date(2025, 1, 3) + dt.timedelta(days=(i * 6) % 360)
        lines.append(f"CHG-{i:04d},{day.isoformat()},{(i % 7) * 100 + 50}.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(store: Store, engagement: str, path: Path, **kwargs: object) -> services.Population:
    return services.import_population(
        store.uow("PR"), engagement, file_source(store, engagement, path, MAPPING), name="Changes", **kwargs
    )


def test_exclude_flagged_keeps_the_file_digest_and_records_who_why_and_when(
    store: Store, engagement: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "changes.csv")
    with pytest.raises(PopulationIssuesError):
        _import(store, engagement, path)
    whole = _import(store, engagement, path, accept_issues=True)
    services.delete_population(store.uow("PR"), engagement, whole.id)
    pop = _import(store, engagement, path, exclude_flagged="Deployed before the period; not in scope")
    assert pop.digest == whole.digest  # the digest of the whole file
    assert (pop.rows, pop.excluded, pop.frame_rows) == (61, 1, 60)
    assert pop.issue_count == 1  # the issue stays recorded
    (ex,) = services.list_exclusions(store.reader(), engagement, pop.id)
    assert (ex.line, ex.key, ex.reason, ex.excluded_by) == (2, EARLY, "Deployed before the period; not in scope", "PR")
    assert ex.excluded_at
    event = raw_sql(
        store, "SELECT after_json FROM trail_event WHERE action = 'population.import' ORDER BY id DESC LIMIT 1"
    )
    assert json.loads(str(event[0][0]))["exclusions"]["lines"] == [2]
    assert services.outside_period_warning(store.reader(), engagement, pop.id) is None


def test_refusals_are_one_sentence_and_store_nothing(store: Store, engagement: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "changes.csv")
    with pytest.raises(ValidationError, match="Line 999 is not a data row of changes.csv"):
        _import(store, engagement, path, accept_issues=True, exclude={999: "Not ours"})
    with pytest.raises(ValidationError, match="Give a reason for excluding line 2"):
        _import(store, engagement, path, accept_issues=True, exclude={2: "  "})
    with pytest.raises(ValidationError, match="reason for excluding the flagged rows cannot be empty"):
        _import(store, engagement, path, exclude_flagged="")
    assert services.list_populations(store.reader(), engagement) == ()


def test_selection_draws_from_the_frame_and_reperforms(
    store: Store, engagement: str, control: str, tmp_path: Path
) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), accept_issues=True, exclude={2: "Before the period"})
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="stratified", size=24, seed=7
    )
    assert EARLY not in sample.keys
    # No stratum for December 2024: the excluded row does not widen the period.
    assert min(str(st["start"]) for st in sample.strata) == "2025-01-01"
    frame = sample.receipt["frame"]
    assert frame["file_digest"] == pop.digest
    assert (frame["file_rows"], frame["excluded_lines"], frame["frame_size"]) == (61, [2], 60)
    assert sample.receipt["population_size"] == 60
    redo = services.reperform_sample(store.uow("DW"), engagement, sample.id)
    assert redo.identical, redo.reason
    assert redo.reperformed == sample.keys
    # PPS book value leaves the excluded row's 9,999.00 out too.
    pps = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="pps", size=10, seed=3
    )
    assert EARLY not in pps.keys
    assert services.reperform_sample(store.uow("DW"), engagement, pps.id).identical
    # A frame with samples drawn from it keeps its exclusions.
    with pytest.raises(ValidationError, match="its exclusions cannot change"):
        services.exclude_rows(store.uow("PR"), engagement, pop.id, {3: "Test"})
    with pytest.raises(ValidationError, match="its exclusions cannot change"):
        services.include_rows(store.uow("PR"), engagement, pop.id, [2])


def test_without_exclusions_the_early_row_is_drawable_and_warned_about(
    store: Store, engagement: str, control: str, tmp_path: Path
) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), accept_issues=True)
    warning = services.outside_period_warning(store.reader(), engagement, pop.id)
    assert warning is not None
    assert "1 item of the sampling frame is dated outside the period" in warning
    assert EARLY in warning
    assert "2024-12-30" in warning
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="stratified", size=13, seed=7
    )
    assert min(str(st["start"]) for st in sample.strata) == "2024-12-30"
    assert "frame" not in sample.receipt  # receipts without exclusions are as before
    assert EARLY in sample.keys  # its own stratum: the pick the issue complains about


def test_tampered_exclusions_are_named_by_reperformance(
    store: Store, engagement: str, control: str, tmp_path: Path
) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), exclude_flagged="Before the period")
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="random", size=15, seed=11
    )
    raw_sql(store, "DELETE FROM population_exclusion WHERE population_id = :p", p=pop.id)
    redo = services.reperform_sample(store.uow("DW"), engagement, sample.id)
    assert not redo.identical
    assert "line 2 is no longer excluded" in redo.reason
    assert "changed after selection" in redo.reason
    with pytest.raises(ValidationError, match="no longer excluded"):
        services.extend_sample(store.uow("PR"), engagement, sample.id, new_size=20)
    verification = services.verify_engagement(store.reader(), engagement)
    assert any("no longer excluded" in f for f in verification.failures)


def test_changed_reason_is_named_too(store: Store, engagement: str, control: str, tmp_path: Path) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), accept_issues=True, exclude={2: "Before the period"})
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="random", size=10, seed=5
    )
    raw_sql(store, "UPDATE population_exclusion SET reason = 'Other' WHERE population_id = :p", p=pop.id)
    redo = services.reperform_sample(store.uow("DW"), engagement, sample.id)
    assert not redo.identical
    assert "key or reason was changed" in redo.reason


def test_exclusions_after_import_before_any_sample(store: Store, engagement: str, tmp_path: Path) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), accept_issues=True)
    every = services.exclude_rows(store.uow("PR"), engagement, pop.id, {2: "Before the period", 5: "Test change"})
    assert [e.line for e in every] == [2, 5]
    with pytest.raises(ValidationError, match="Line 2 is already excluded"):
        services.exclude_rows(store.uow("PR"), engagement, pop.id, {2: "Again"})
    left = services.include_rows(store.uow("PR"), engagement, pop.id, [5])
    assert [e.line for e in left] == [2]
    assert services.get_population(store.reader(), engagement, pop.id).excluded == 1


def test_cli_exclude_options_and_json(store: Store, store_target: str, engagement: str, tmp_path: Path) -> None:
    db = store_target
    path = tmp_path / "changes.csv"
    path.write_text(
        "key,date\nOLD-1,2024-12-30\n" + "".join(f"N-{i},2025-0{1 + i % 9}-1{i % 9}\n" for i in range(30)),
        encoding="utf-8",
    )
    base = ("--db", db, "--json", "import-population", engagement, str(path), "--key", "key", "--date", "date")
    bad = run_cli(*base, "--name", "X", "--exclude", "2")
    assert bad.returncode != 0
    assert "is not LINE=REASON" in bad.stderr
    done = run_cli(*base, "--name", "Changes", "--exclude-flagged", "Before the period", "--exclude", "5=Test change")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["excluded"] == 2
    assert {"population", "rows", "lines", "digest", "file_sha256", "issues"} <= set(out)
    listed = {p["name"]: p for p in json.loads(run_cli("--db", db, "--json", "populations", engagement).stdout)}
    assert (listed["Changes"]["rows"], listed["Changes"]["excluded"]) == (31, 2)
    assert listed["Changes"]["digest"] == out["digest"]
    reasons = {e.line: e.reason for e in services.list_exclusions(store.reader(), engagement, out["population"])}
    assert reasons == {2: "Before the period", 5: "Test change"}


@pytest.mark.parametrize("kind", ["samples", "workbook"])
def test_sample_workpaper_lists_the_exclusions_and_the_frame(
    store: Store, engagement: str, control: str, tmp_path: Path, kind: str
) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), exclude_flagged="Before the period")
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="random", size=10, seed=9
    )
    data = engagement_workpapers(store.reader(), engagement)
    path = tmp_path / f"{kind}.xlsx"
    export_workpapers(path, data, kind, exported_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), exported_by="PR")
    book = openpyxl.load_workbook(path)
    rows = list(book["Samples"].iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Population digest (SHA-256)"] == pop.digest  # the whole file's
    assert record["Frame digest (SHA-256)"] == sample.receipt["population_digest"]
    assert (record["File rows"], record["Excluded rows"], record["Population size"]) == (61, 1, 60)
    assert record["Sampling frame"] == "61 file rows - 1 excluded = 60 in the frame"
    excluded = list(book["Frame exclusions"].iter_rows(values_only=True))
    header = excluded[0]
    assert header == ("Sample", "Population", "Line", "Key", "Reason", "Excluded by", "Excluded at")
    (row,) = excluded[1:]
    assert row[:6] == (sample.id, "Changes", 2, EARLY, "Before the period", "PR")
    assert row[6]


def test_every_frame_item_tested_is_the_whole_population(
    store: Store, engagement: str, control: str, tmp_path: Path
) -> None:
    pop = _import(store, engagement, _csv(tmp_path / "c.csv"), exclude_flagged="Before the period")
    sample = services.select_sample(
        store.uow("PR"), engagement, control, population_id=pop.id, method="random", size=60, seed=1
    )
    assert sample.test_all
    status = next(c for c in services.engagement_conclusions(store.reader(), engagement).controls if c.ref == control)
    (tally,) = status.samples
    assert tally.population_size == 60
    assert tally.whole_population
