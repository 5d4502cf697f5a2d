"""Flagged rows left out of the sampling frame in the import wizard, with a reason; the
stratified sample drawn from the frame, re-performed; the sampling dialog's warning
about items dated outside the period (AU-C 530)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QWizard
from sqlalchemy import text

from auditdesk import services
from ui.dialogs.population_import import IMPORT_ANYWAY, IMPORT_EXCLUDING, PopulationImportWizard
from ui.dialogs.sampling import SamplingDialog
from ui.main_window import MainWindow
from ui.views.populations import PopulationsView
from workpapers.population_file import ColumnMapping, PopulationReader

EARLY = "CHG-EARLY"
REASON = "Deployed before the period; belongs to the prior examination"


def _period(window: MainWindow) -> tuple[dt.date, dt.date]:
    engagement = window.ctx.engagement
    assert engagement is not None
    assert engagement.period_start is not None
    assert engagement.period_end is not None
    return engagement.period_start, engagement.period_end


def _write_csv(path: Path, start: dt.date, end: dt.date) -> Path:
    """Forty changes spread over the period and one dated three days before it (line 2)."""
    lines = ["Change,Deployed", f"{EARLY},{(start - dt.timedelta(days=3)).isoformat()}"]
    span = (end - start).days
    for n in range(40):
        lines.append(f"CHG-{n:03d},{(start + dt.timedelta(days=n * span // 40)).isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _view(window: MainWindow) -> PopulationsView:
    view = window.show_view("populations")
    assert isinstance(view, PopulationsView)
    return view


def _sampling_dialog(view: PopulationsView, qtbot, population_id: int) -> SamplingDialog:  # type: ignore[no-untyped-def]
    assert view.select_population(population_id)
    view.new_sample("CM-01")
    dialog = view.sampling_dialog
    assert isinstance(dialog, SamplingDialog)
    qtbot.waitExposed(dialog)
    population = dialog.population()
    assert population is not None
    assert population.id == population_id
    return dialog


def test_excluded_rows_reproduced_by_reperformance(
    demo_window: MainWindow,
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    start, end = _period(demo_window)
    path = _write_csv(tmp_path / "changes.csv", start, end)
    view = _view(demo_window)
    view.tabs.setCurrentIndex(1)
    view.import_button.click()
    wizard = view.import_wizard
    assert isinstance(wizard, PopulationImportWizard)
    qtbot.waitExposed(wizard)
    with qtbot.waitSignal(wizard.file_page.inspected, timeout=10_000):
        wizard.file_page.set_path(path)
    wizard.file_page.name_edit.setText("Changes with an early one")
    wizard.next()
    with qtbot.waitSignal(wizard.validation_page.validated, timeout=20_000):
        wizard.next()
    page = wizard.validation_page
    assert page.report is not None
    assert page.report.issue_counts == {"outside_period": 1}
    # The flagged row is listed to tick; ticked without a reason, nothing can be imported.
    assert page.exclude_group.isVisibleTo(wizard)
    assert page.flagged_list.count() == 1
    assert page.flagged_list.item(0).text().startswith("Line 2:")
    assert wizard.buttonText(QWizard.WizardButton.FinishButton) == IMPORT_ANYWAY
    page.tick_outside_button.click()
    assert page.ticked_lines() == [2]
    assert not page.isComplete()
    assert "give the reason" in page.exclude_hint.text()
    page.exclude_reason.setText(REASON)
    assert page.isComplete()
    assert wizard.buttonText(QWizard.WizardButton.FinishButton) == IMPORT_EXCLUDING
    with qtbot.waitSignal(wizard.population_imported, timeout=20_000) as imported:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    population = imported.args[0]
    assert (population.rows, population.excluded, population.frame_rows) == (41, 1, 40)
    reader = demo_window.ctx.store.reader
    (exclusion,) = services.list_exclusions(reader(), "DEMO", population.id)
    assert (exclusion.line, exclusion.key, exclusion.reason) == (2, EARLY, REASON)
    assert exclusion.excluded_by == demo_window.ctx.actor

    # The sampling dialog counts the frame, and has nothing outside the period to warn about.
    dialog = _sampling_dialog(view, qtbot, population.id)
    assert "40 items" in dialog.population_combo.currentText()
    assert not dialog.period_warning.isVisible()
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("stratified"))
    dialog.strata_combo.setCurrentIndex(dialog.strata_combo.findData("month"))
    dialog.own_size.setChecked(True)
    dialog.size_spin.setValue(12)
    dialog.seed_edit.setText("20250101")
    with qtbot.waitSignal(dialog.sample_selected, timeout=20_000) as selected:
        dialog.select_button.click()
    sample = selected.args[0]
    assert EARLY not in sample.keys  # no pick falls on the excluded row
    assert min(str(s["start"]) for s in sample.strata) == start.isoformat()  # no stratum before the period
    assert sample.receipt["frame"]["excluded_lines"] == [2]
    assert sample.receipt["frame"]["file_digest"] == population.digest

    # Re-performance from the receipt rebuilds the same frame and the same picks.
    assert view.select_sample(sample.id)
    result = view.reperform_selected()
    assert result is not None
    assert result.identical, result.reason
    assert result.reperformed == sample.keys
    assert view.reperform_label.text().startswith("Identical.")

    # Deleting the exclusion behind the application's back is named, not a silent new frame.
    with demo_window.ctx.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM population_exclusion WHERE population_id = :p"), {"p": population.id})
    again = view.reperform_selected()
    assert again is not None
    assert not again.identical
    assert "line 2 is no longer excluded" in again.reason
    assert view.reperform_label.text().startswith("Not identical.")


def test_sampling_dialog_warns_about_items_outside_the_period(
    demo_window: MainWindow,
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    start, end = _period(demo_window)
    path = _write_csv(tmp_path / "changes.csv", start, end)
    store = demo_window.ctx.store
    reader = PopulationReader(path, ColumnMapping(key="Change", date="Deployed"), period_start=start, period_end=end)
    population = services.import_population(
        store.uow("PR"), "DEMO", reader, name="Changes imported anyway", accept_issues=True
    )
    assert population.excluded == 0
    dialog = _sampling_dialog(_view(demo_window), qtbot, population.id)
    assert dialog.period_warning.isVisible()
    warning = dialog.period_warning.text()
    assert "1 item of the sampling frame is dated outside the period" in warning
    assert EARLY in warning
    assert (start - dt.timedelta(days=3)).isoformat() in warning
