"""The population import wizard, driven like a user: file, mapping, validation report,
then "import anyway" (the issues recorded) or Cancel (nothing stored)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Generator, Iterator
from pathlib import Path

from PySide6.QtWidgets import QWizard

from auditdesk import services
from auditdesk.progress import Progress
from ui.actions import populations as population_actions
from ui.dialogs.population_import import IMPORT, IMPORT_ANYWAY, PopulationImportWizard, guess_mapping
from ui.main_window import MainWindow
from ui.models.populations import ROLE_DATE, ROLE_KEY
from ui.views.populations import PopulationsView


def _period(window: MainWindow) -> tuple[dt.date, dt.date]:
    engagement = window.ctx.engagement
    assert engagement is not None
    assert engagement.period_start is not None
    assert engagement.period_end is not None
    return engagement.period_start, engagement.period_end


def _write_csv(path: Path, start: dt.date, rows: int, *, problems: bool) -> Path:
    lines = ["Invoice No,Posting date,Amount,Customer"]
    for n in range(1, rows + 1):
        day = start + dt.timedelta(days=n % 300)
        lines.append(f"INV-{n:05d},{day.isoformat()},{n * 10}.50,Customer {n % 7}")
    if problems:
        lines.append(f"INV-00002,{start.isoformat()},12.00,Again")  # duplicate key
        lines.append("INV-90001,not a date,5.00,Bad date")
        lines.append(f"INV-90002,{(start - dt.timedelta(days=3)).isoformat()},5.00,Before the period")
        lines.append(",,,")  # blank row
        lines.append(f"INV-90003,{start.isoformat()},twelve,Bad amount")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _open_wizard(window: MainWindow, qtbot) -> tuple[PopulationsView, PopulationImportWizard]:  # type: ignore[no-untyped-def]
    view = window.show_view("populations")
    assert isinstance(view, PopulationsView)
    view.tabs.setCurrentIndex(1)
    view.import_button.click()
    wizard = view.import_wizard
    assert isinstance(wizard, PopulationImportWizard)
    qtbot.waitExposed(wizard)
    return view, wizard


def _to_report(wizard: PopulationImportWizard, path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(wizard.file_page.inspected, timeout=10_000) as inspected:
        wizard.file_page.set_path(path)
    assert inspected.args[0] is not None
    assert wizard.file_page.preview is not None
    assert wizard.file_page.preview.headers == ("Invoice No", "Posting date", "Amount", "Customer")
    wizard.file_page.name_edit.setText("Invoices FY")
    wizard.next()
    page = wizard.mapping_page
    assert wizard.currentPage() is page
    # The guess maps the obvious columns; the preview marks them; the rest is kept as data.
    assert (page.key_combo.currentText(), page.date_combo.currentText(), page.amount_combo.currentText()) == (
        "Invoice No", "Posting date", "Amount")
    assert page.preview_model.role_of(0) == ROLE_KEY
    assert page.preview_model.role_of(1) == ROLE_DATE
    assert page.preview_model.rowCount() == 20
    assert "Customer" in page.kept.text()
    with qtbot.waitSignal(wizard.validation_page.validated, timeout=20_000):
        wizard.next()
    assert wizard.currentPage() is wizard.validation_page


def test_a_file_with_problems_shows_its_report_and_imports_anyway(
    demo_window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    start, _end = _period(demo_window)
    path = _write_csv(tmp_path / "invoices.csv", start, 120, problems=True)
    view, wizard = _open_wizard(demo_window, qtbot)
    _to_report(wizard, path, qtbot)
    page = wizard.validation_page
    report = page.report
    assert report is not None
    kinds = {label: n for label, n in page.count_model.records()}
    assert kinds["Duplicate key"] == 1
    assert kinds["Unreadable date"] == 1
    assert kinds["Date outside the period"] == 1
    assert kinds["Non-numeric amount"] == 1
    assert page.issue_model.rowCount() == report.issue_count >= 4
    assert "problem(s) found" in page.status.text()
    # Problems: not importable until the auditor accepts them, and the button says so.
    assert not page.isComplete()
    assert wizard.buttonText(QWizard.WizardButton.FinishButton) == IMPORT_ANYWAY
    page.accept_box.setChecked(True)
    assert page.isComplete()
    with qtbot.waitSignal(wizard.population_imported, timeout=20_000) as imported:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    population = imported.args[0]
    stored = {p.name: p for p in services.list_populations(demo_window.ctx.store.reader(), "DEMO")}
    assert stored["Invoices FY"] == population
    assert population.issue_count == report.issue_count
    assert population.file_name == "invoices.csv"
    assert population.extra_columns == ("Customer",)
    # The view lists it, selected, with its items read lazily.
    assert view.selected_population() == population
    assert view.item_model.total == population.rows
    assert 0 < view.item_model.loaded <= view.item_model.total
    assert "recorded issue" in view.issues_label.text()


def _paused_after_first(inner: Generator[Progress, None, object], gate: threading.Event
                        ) -> Generator[Progress, None, object]:
    """Hold the import after its first batch until the test has pressed Cancel."""
    try:
        first = True
        for step in inner:
            yield step
            if first:
                first = False
                gate.wait(10)
    finally:
        inner.close()
    return None


def test_cancel_during_the_import_stores_nothing(
    demo_window: MainWindow, qtbot, tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    start, _end = _period(demo_window)
    path = _write_csv(tmp_path / "clean.csv", start, 300, problems=False)
    before = services.list_populations(demo_window.ctx.store.reader(), "DEMO")
    gate = threading.Event()
    real = population_actions.import_population_job

    def paused(**kwargs: object) -> Iterator[Progress]:
        return _paused_after_first(real(**kwargs), gate)  # type: ignore[arg-type]

    monkeypatch.setattr(population_actions, "import_population_job", paused)
    _view, wizard = _open_wizard(demo_window, qtbot)
    wizard.batch_size = 50
    _to_report(wizard, path, qtbot)
    page = wizard.validation_page
    assert page.report is not None
    assert page.report.issue_count == 0
    assert page.isComplete()
    assert not page.accept_box.isVisible()
    assert wizard.buttonText(QWizard.WizardButton.FinishButton) == IMPORT
    try:
        wizard.button(QWizard.WizardButton.FinishButton).click()
        task = wizard.import_task
        assert task is not None
        # The rows are written (uncommitted) and the import waits at its next step.
        qtbot.waitUntil(lambda: task.last_progress is not None, timeout=10_000)
        assert not wizard.isEnabled()
        with qtbot.waitSignal(task.cancelled, timeout=10_000):
            task.cancel()
            gate.set()
    finally:
        gate.set()
    assert services.list_populations(demo_window.ctx.store.reader(), "DEMO") == before
    assert "nothing was stored" in page.status.text()
    assert wizard.isVisible()  # the auditor may try again or close
    wizard.reject()


def test_cancel_on_the_report_page_stores_nothing(
    demo_window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    start, _end = _period(demo_window)
    path = _write_csv(tmp_path / "invoices.csv", start, 40, problems=True)
    before = services.list_populations(demo_window.ctx.store.reader(), "DEMO")
    _view, wizard = _open_wizard(demo_window, qtbot)
    _to_report(wizard, path, qtbot)
    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert not wizard.isVisible()
    assert services.list_populations(demo_window.ctx.store.reader(), "DEMO") == before


def test_unusable_files_and_names_are_said_on_the_page(
    demo_window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    _view, wizard = _open_wizard(demo_window, qtbot)
    bogus = tmp_path / "notes.csv"
    bogus.write_text("just one line of text without separators\n", encoding="utf-8")
    with qtbot.waitSignal(wizard.file_page.inspected, timeout=10_000) as inspected:
        wizard.file_page.set_path(bogus)
    assert inspected.args[0] is None
    assert wizard.file_page.error.isVisible()
    assert not wizard.file_page.isComplete()
    start, _end = _period(demo_window)
    good = _write_csv(tmp_path / "ok.csv", start, 10, problems=False)
    with qtbot.waitSignal(wizard.file_page.inspected, timeout=10_000):
        wizard.file_page.set_path(good)
    wizard.file_page.name_edit.setText("Change tickets (client extract)")  # the demo's name
    wizard.next()
    assert wizard.currentPage() is wizard.file_page
    assert "already exists" in wizard.file_page.error.text()
    wizard.file_page.name_edit.setText("Invoices")
    wizard.next()
    page = wizard.mapping_page
    page.date_combo.setCurrentText(page.key_combo.currentText())  # the same column twice
    wizard.next()
    assert wizard.currentPage() is page
    assert "mapped twice" in page.error.text()
    wizard.reject()


def test_the_mapping_guess() -> None:
    assert guess_mapping(("Ticket", "Deployed on", "Service")) == ("Ticket", "Deployed on", None)
    assert guess_mapping(("invoice_no", "posting_date", "amount_usd")) == ("invoice_no", "posting_date", "amount_usd")
    assert guess_mapping(("a", "b")) == ("a", "b", None)
