"""Engagement > Import controls…: the matrix wizard shows each row's problem and stores nothing,
then imports the fixed file in one transaction and lists what changed; the welcome page and
the new-engagement wizard lead to it, or start from the firm's library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from auditdesk import services
from auditdesk.domain import Category
from auditdesk.library import library_for
from ui.context import AppContext
from ui.dialogs.import_controls import NOT_IN_FILE, ImportControlsWizard
from ui.dialogs.new_engagement import START_LIBRARY, START_MATRIX, NewEngagementWizard
from ui.main_window import MainWindow
from ui.models.controls_import import ImportChangeModel, ImportIssueModel, MatrixPreviewModel, import_changes
from ui.views.engagement_list import EngagementListView
from workpapers.control_matrix import read_control_matrix

HEADER = ["Control ID", "Control Activity", "Frequency", "TSC Mapping", "Control Owner", "Key?"]
ROWS = [
    ["AC-01", "Access to production is approved before it is granted.", "As needed", "CC6.1; CC6.2", "IT", "Y"],
    ["AC-02", "Access is reviewed every quarter.", "Quarterly", "CC6.2", "IT", "Y"],
    ["CH-01", "Changes are approved before deployment.", "Multiple times per day", "CC8.1", "Eng", "N"],
]


def write_matrix(path: Path, rows: list[list[str]]) -> Path:
    """The client's workbook: a title, a blank row, then the table."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "RCM"
    sheet.append(["Acme risk and control matrix"])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _engagement(ctx: AppContext) -> None:
    services.create_engagement(ctx.store.uow("PR"), ref="ACME", client="Acme", system_name="Acme Cloud",
                               engagement_type="type2", categories=[Category.SECURITY],
                               period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))


def _open_wizard(window: MainWindow, qtbot, path: Path) -> ImportControlsWizard:  # type: ignore[no-untyped-def]
    window.import_controls_action.trigger()
    wizard = window.import_wizard
    assert isinstance(wizard, ImportControlsWizard)
    qtbot.waitExposed(wizard)
    with qtbot.waitSignal(wizard.file_page.inspected) as blocker:
        wizard.file_page.set_path(path)
    assert blocker.args[0] is not None
    assert "header on row 3" in wizard.file_page.facts.text()
    wizard.next()
    assert wizard.currentPage() is wizard.mapping_page
    return wizard


def test_row_problems_are_shown_then_the_fixed_file_imports(ctx: AppContext, window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    _engagement(ctx)
    window.open_engagement("ACME")
    broken = [list(r) for r in ROWS]
    broken[1][3] = "CC6.2, CC99.1"  # row 5 of the sheet: not a criterion
    broken[2][2] = "Sometimes"  # row 6: not a frequency
    path = write_matrix(tmp_path / "rcm.xlsx", broken)
    wizard = _open_wizard(window, qtbot, path)
    mapping = wizard.mapping_page
    # The suggested mapping is prefilled from the header names.
    assert mapping.mapping() == {"ref": "Control ID", "description": "Control Activity", "frequency": "Frequency",
                                 "criteria": "TSC Mapping", "owner": "Control Owner", "key": "Key?"}
    assert mapping.combos["attributes"].currentText() == NOT_IN_FILE
    assert mapping.isComplete()
    assert mapping.preview_model.headerData(0, Qt.Orientation.Horizontal) == "Control ID  [Control reference]"

    check = wizard.check_page
    with qtbot.waitSignal(check.checked):
        wizard.next()
    problems = [(i.row, i.ref, i.field) for i in check.issue_model.records()]
    assert problems == [(5, "AC-02", "criteria"), (6, "CH-01", "frequency")]
    assert "'CC99.1' is not a Trust Services Criterion" in check.issue_model.record(0).reason
    assert "row(s) 5, 6" in check.status.text()
    assert not check.isComplete()  # Import stays off
    assert services.list_controls(ctx.store.reader(), "ACME") == ()

    # The auditor fixes the file and checks it again; then Import stores every control.
    write_matrix(path, ROWS)
    with qtbot.waitSignal(check.checked):
        check.recheck_button.click()
    assert check.issue_model.rowCount() == 0
    assert "Ready to import: 3 control(s) to add, 0 to update" in check.status.text()
    assert check.isComplete()
    with qtbot.waitSignal(wizard.controls_imported, timeout=10_000) as blocker:
        wizard.next()
    result = blocker.args[0]
    assert result.added == ("AC-01", "AC-02", "CH-01")
    assert wizard.currentPage() is wizard.result_page
    assert wizard.result_page.summary.text() == "3 control(s) added, 0 updated."
    controls = {c.ref: c for c in services.list_controls(ctx.store.reader(), "ACME")}
    assert controls["AC-01"].criteria == ("CC6.1", "CC6.2")
    assert window.statusBar().currentMessage() == "Controls imported: 3 added, 0 updated."
    wizard.button(QWizard.WizardButton.FinishButton).click()


def test_skipping_rows_and_reimporting_lists_the_changes(ctx: AppContext, window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    _engagement(ctx)
    window.open_engagement("ACME")
    write_matrix(tmp_path / "v1.xlsx", ROWS)
    wizard = _open_wizard(window, qtbot, tmp_path / "v1.xlsx")
    with qtbot.waitSignal(wizard.check_page.checked):
        wizard.next()
    with qtbot.waitSignal(wizard.controls_imported, timeout=10_000):
        wizard.next()
    wizard.accept()

    edited = [list(r) for r in ROWS]
    edited[2][2] = "Weekly"  # CH-01 changes frequency
    edited.append(["AC-03", "", "Monthly", "CC6.3", "IT", "N"])  # row 7: no description
    wizard = _open_wizard(window, qtbot, write_matrix(tmp_path / "v2.xlsx", edited))
    check = wizard.check_page
    with qtbot.waitSignal(check.checked):
        wizard.next()
    assert [(i.row, i.field) for i in check.issue_model.records()] == [(7, "description")]
    with qtbot.waitSignal(check.checked):
        check.skip_box.setChecked(True)
    assert check.isComplete()
    assert "row(s) 7 skipped" in check.status.text()
    with qtbot.waitSignal(wizard.controls_imported, timeout=10_000) as blocker:
        wizard.next()
    assert [u.ref for u in blocker.args[0].updated] == ["CH-01"]
    changes = [(c.ref, c.what, c.before, c.after) for c in wizard.result_page.change_model.records()]
    assert changes == [("CH-01", "Frequency", "multiple-daily", "weekly")]
    assert "row(s) 7 skipped" in wizard.result_page.summary.text()
    refs = [c.ref for c in services.list_controls(ctx.store.reader(), "ACME")]
    assert "AC-03" not in refs


def test_import_models_pass_the_model_tester(ctx: AppContext, tmp_path: Path, qtmodeltester: Any) -> None:
    _engagement(ctx)
    rows = [list(r) for r in ROWS]
    rows[1][3] = "CC99.1"
    matrix = read_control_matrix(write_matrix(tmp_path / "rcm.xlsx", rows))
    checked = services.check_control_import(ctx.store.reader(), "ACME", matrix.rows)
    issues = ImportIssueModel()
    issues.set_records(checked.issues)
    assert issues.rowCount() == 1
    changes = ImportChangeModel()
    changes.set_records(import_changes(checked))
    assert changes.rowCount() == 2
    preview = MatrixPreviewModel()
    preview.set_preview(matrix.headers, [list(r) for r in rows])
    preview.set_roles({"Control ID": "Control reference"})
    assert preview.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "Read as the control's control reference")
    for model in (issues, changes, preview):
        qtmodeltester.check(model, force_py=True)


def test_welcome_page_import_leads_to_a_new_engagement_then_the_matrix(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    home = window.show_view("engagements")
    assert isinstance(home, EngagementListView)
    assert home.welcome.import_card is not None
    home.welcome.import_card.button.click()
    wizard = window.wizard
    assert isinstance(wizard, NewEngagementWizard)
    assert wizard.scope_page.start == START_MATRIX
    wizard.client_page.client_edit.setText("Contoso")
    wizard.client_page.system_edit.setText("Contoso Portal")
    with qtbot.waitSignal(wizard.matrix_import_requested):
        wizard.accept()
    assert window.ctx.engagement is not None
    assert isinstance(window.import_wizard, ImportControlsWizard)
    assert window.import_wizard.isVisible()
    window.import_wizard.reject()


def test_new_engagement_can_start_from_the_firm_library(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.new_action.trigger()
    wizard = window.wizard
    assert isinstance(wizard, NewEngagementWizard)
    wizard.client_page.client_edit.setText("Fabrikam")
    wizard.client_page.system_edit.setText("Fabrikam Ledger")
    wizard.scope_page.boxes[Category.AVAILABILITY].setChecked(True)
    expected = library_for([Category.SECURITY, Category.AVAILABILITY])
    assert wizard.scope_page.library_note.text().startswith(f"{len(expected)} controls address the criteria in scope")
    wizard.scope_page.set_start(START_LIBRARY)
    with qtbot.waitSignal(wizard.engagement_created):
        wizard.accept()
    ref = wizard.created.ref  # type: ignore[union-attr]
    controls = services.list_controls(window.ctx.store.reader(), ref)
    # Each control comes with the library's test attributes, ready to test.
    assert {c.ref: tuple(a.question for a in c.test_plan.attributes) for c in controls} == {
        c.ref: c.attributes for c in expected}
