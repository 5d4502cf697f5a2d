"""The Walkthroughs screen by keyboard: arrows move in the list, D/N/I choose the conclusion,
Ctrl+Enter records the walkthrough with its evidence (hashed); retired controls are left out,
and the design status reaches the conclusions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from auditdesk import services
from auditdesk.conclusions import ControlConclusion
from auditdesk.domain import Category, Nature
from auditdesk.services import controls as control_services
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.models.walkthroughs import WalkthroughTableModel, control_designs
from ui.views.walkthroughs import WalkthroughsView
from ui.widgets.tables import RecordFilterProxy

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def ctrl_lifted(qtbot) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A simulated Ctrl+key click leaves Ctrl down in the application's modifier state (offscreen);
    lift it, or the next test's grid would select cells as if Ctrl were held."""
    yield
    if QApplication.keyboardModifiers() & CTRL:
        probe = QWidget()
        qtbot.addWidget(probe)
        probe.show()
        qtbot.waitExposed(probe)
        qtbot.keyRelease(probe, Qt.Key.Key_Control)
    assert not QApplication.keyboardModifiers() & CTRL


def _type1(ctx: AppContext) -> None:
    uow = ctx.store.uow
    services.create_engagement(uow("PR"), ref="T1", client="Design Co", system_name="Design System",
                               engagement_type="type1", categories=[Category.SECURITY],
                               as_of_date=dt.date(2025, 6, 30))
    for ref, text, nature in (("AC-01", "Quarterly access review", Nature.MANUAL),
                              ("AC-02", "Sign-in requires multi-factor authentication", Nature.AUTOMATED),
                              ("CH-01", "Changes are approved before deployment", Nature.MANUAL),
                              ("OLD-1", "Superseded badge review", Nature.MANUAL)):
        services.add_control(uow("PR"), "T1", services.ControlInput(ref=ref, description=text, nature=nature,
                                                                     criteria=("CC6.1",)))
    control_services.retire_control(uow("PR"), "T1", "OLD-1", reason="Replaced by AC-01")


def _screen(window: MainWindow) -> WalkthroughsView:
    window.open_engagement("T1", "walkthroughs")
    view = window.current_view()
    assert isinstance(view, WalkthroughsView)
    return view


def test_a_design_conclusion_is_recorded_from_the_keyboard(ctx: AppContext, window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path, qtmodeltester: Any) -> None:
    _type1(ctx)
    view = _screen(window)
    assert [r.ref for r in view.model.records()] == ["AC-01", "AC-02", "CH-01"]  # the retired control is left out
    assert "as of 30 June 2025" in view.header.subtitle_label.text()
    assert view.summary.text() == "0 of 3 controls walked through"
    assert view.selected().ref == "AC-01"  # type: ignore[union-attr]
    # The automated control's test of one needs its IT general controls: the form says so.
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.selected().ref == "AC-02"  # type: ignore[union-attr]
    assert "no IT general controls linked" in view.reliance_label.text()
    qtbot.keyClick(view.table, Qt.Key.Key_Up)

    # Write the procedure, attach a file, then D and Ctrl+Enter from the list.
    qtbot.keyClicks(view.procedure_edit, "Inquired of the IT lead; inspected the Q2 review and its sign-off.")
    screenshot = tmp_path / "q2-review.png"
    screenshot.write_bytes(b"\x89PNG q2 access review sign-off")
    view.add_files([screenshot])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_D)
    assert view.conclusion_buttons[services.DesignConclusion.DESIGNED].isChecked()
    qtbot.keyClick(view.table, Qt.Key.Key_Return, CTRL)

    status = services.design_status(ctx.store.reader(), "T1")["AC-01"]
    assert status.conclusion is services.DesignConclusion.DESIGNED
    assert status.procedure.startswith("Inquired of the IT lead")
    [walkthrough] = services.list_walkthroughs(ctx.store.reader(), "T1", "AC-01")
    assert [(e.file_name, e.sha256) for e in walkthrough.evidence] == [
        ("q2-review.png", hashlib.sha256(screenshot.read_bytes()).hexdigest())]
    assert view.message.text() == "AC-01 recorded: suitably designed and implemented with 1 evidence file(s)."
    row = view.model.record(view.model.row_of("AC-01"))
    assert (row.word, row.evidence) == ("Designed", 1)
    assert view.summary.text() == "1 of 3 controls walked through · 1 designed"
    # The list moved on to the next control, ready for the next key.
    assert view.selected().ref == "AC-02"  # type: ignore[union-attr]

    # Down to CH-01: N, then Ctrl+Enter from inside the note keeps the note.
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.selected().ref == "CH-01"  # type: ignore[union-attr]
    view.procedure_edit.setPlainText("Inquired of the release manager; inspected the pipeline configuration.")
    qtbot.keyClick(view.table, Qt.Key.Key_N)
    qtbot.keyClicks(view.note_edit, "Approvals can be bypassed by administrators.")
    qtbot.keyClick(view.note_edit, Qt.Key.Key_Return, CTRL)
    status = services.design_status(ctx.store.reader(), "T1")["CH-01"]
    assert status.conclusion is services.DesignConclusion.NOT_DESIGNED
    assert status.note == "Approvals can be bypassed by administrators."

    # The stored evidence of AC-01's walkthrough is listed with its hash.
    view.select("AC-01")
    assert [e.file_name for e in view.evidence_model.records()] == ["q2-review.png"]
    qtmodeltester.check(view.evidence_model, force_py=True)

    # Type 1: the control conclusions come from the walkthroughs.
    finals = {c.ref: c.final for c in services.engagement_conclusions(ctx.store.reader(), "T1").controls}
    assert finals["AC-01"] is ControlConclusion.DESIGNED
    assert finals["CH-01"] is ControlConclusion.NOT_DESIGNED


def test_the_form_keeps_drafts_and_explains_refusals(ctx: AppContext, window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    _type1(ctx)
    view = _screen(window)
    view.table.setFocus()
    # Ctrl+Enter without a conclusion: the form says what is missing, nothing is stored.
    view.procedure_edit.setPlainText("Inquired of the IT lead.")
    qtbot.keyClick(view.table, Qt.Key.Key_Return, CTRL)
    assert view.error.text() == "Choose the conclusion first: D designed, N not designed, I not implemented."
    # Inquiry alone does not support 'designed': the service's sentence is shown in the form.
    qtbot.keyClick(view.table, Qt.Key.Key_D)
    qtbot.keyClick(view.table, Qt.Key.Key_Return, CTRL)
    assert view.error.text().startswith("Inquiry alone does not support a conclusion")
    assert services.list_walkthroughs(ctx.store.reader(), "T1") == ()
    # Moving away and back keeps what was written for the control.
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.procedure_edit.toPlainText() == ""
    qtbot.keyClick(view.table, Qt.Key.Key_Up)
    assert view.procedure_edit.toPlainText() == "Inquired of the IT lead."
    assert view.conclusion() is services.DesignConclusion.DESIGNED
    # I: not implemented, then recorded; the detail panel describes the control.
    qtbot.keyClick(view.table, Qt.Key.Key_I)
    qtbot.keyClick(view.procedure_edit, Qt.Key.Key_Enter, CTRL)  # the keypad's Enter works too
    assert services.design_status(ctx.store.reader(), "T1")["AC-01"].design == "not_implemented"
    view.select("AC-01")
    assert window.detail_panel.selection_title.text() == "AC-01: Not implemented"


def test_walkthrough_models_pass_the_model_tester(demo_store: services.Store, qtmodeltester: Any) -> None:
    reader = demo_store.reader
    rows = control_designs(services.list_controls(reader(), "DEMO"), services.design_status(reader(), "DEMO"),
                           services.list_walkthroughs(reader(), "DEMO"))
    assert rows
    model = WalkthroughTableModel()
    model.set_records(rows)
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_text("designed")
    qtmodeltester.check(proxy, force_py=True)
