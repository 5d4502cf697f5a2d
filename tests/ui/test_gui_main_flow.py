"""The core loop driven through the real main window, against a tmp_path store."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from auditdesk import services
from auditdesk.domain import Category, ProcedureType
from ui.main_window import MainWindow
from ui.models.controls import PLAN_NONE, PLAN_READY
from ui.qt_compat import emit
from ui.views.controls import ControlsView
from ui.views.coverage import CoverageView
from ui.views.overview import COVERED, NO_PLAN, PLANNED, UNCOVERED, OverviewView


def _create_through_wizard(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.new_action.trigger()
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    wizard.client_page.client_edit.setText("Acme Payroll LLC")
    wizard.client_page.system_edit.setText("Acme Payroll Cloud")
    assert wizard.client_page.ref_edit.text() == f"ACME-{dt.date.today().year}"
    wizard.client_page.ref_edit.setText("ACME-24")
    wizard.next()
    dates = wizard.dates_page
    dates.start_edit.setDate(dates.start_edit.date().fromString("2024-01-01", "yyyy-MM-dd"))
    dates.end_edit.setDate(dates.end_edit.date().fromString("2024-12-31", "yyyy-MM-dd"))
    wizard.next()
    wizard.next()
    assert wizard.currentPage() is wizard.scope_page
    assert wizard.scope_page.boxes[Category.SECURITY].isChecked()
    wizard.scope_page.boxes[Category.AVAILABILITY].setChecked(True)
    with qtbot.waitSignal(wizard.engagement_created):
        wizard.button(QWizard.WizardButton.FinishButton).click()


def _coverage_of(window: MainWindow, criterion: str):  # type: ignore[no-untyped-def]
    view = window.show_view("coverage")
    assert isinstance(view, CoverageView)
    return next(c for c in view.model.leaves() if c.criterion_id == criterion)


def _overview(window: MainWindow) -> OverviewView:
    view = window.show_view("overview")
    assert isinstance(view, OverviewView)
    return view


def test_wizard_control_mapping_plan_undo_redo(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    store = window.ctx.store
    _create_through_wizard(window, qtbot)

    created = services.get_engagement(store.reader(), "ACME-24")
    assert created.client == "Acme Payroll LLC"
    assert created.categories == (Category.SECURITY, Category.AVAILABILITY)
    assert window.ctx.engagement == created
    assert window.current_view_name == "overview"
    overview = _overview(window)
    assert overview.controls_card.value == "0"
    in_scope = overview.overview.criteria_in_scope  # type: ignore[union-attr]
    assert overview.coverage_chart.values() == {COVERED: 0, UNCOVERED: in_scope}
    assert "ACME-24" in window.phase_label.text() or "Planning" in window.phase_label.text()

    # Add a control through the details editor.
    controls = window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.new_button.click()
    controls.details.ref_edit.setText("AC-01")
    controls.details.description_edit.setPlainText("Quarterly user access reviews are approved by managers.")
    controls.details.owner_edit.setText("IT Security")
    controls.details.key_check.setChecked(True)
    controls.details.save_button.click()
    assert [c.ref for c in services.list_controls(store.reader(), "ACME-24")] == ["AC-01"]
    assert controls.model.rowCount() == 1
    selected = controls.selected()
    assert selected is not None
    assert selected.ref == "AC-01"

    # Map it to CC6.1 with the catalog tree (only in-scope criteria are offered).
    controls.tabs.setCurrentWidget(controls.mapping)
    offered = {c.id for g in controls.mapping.model.groups() for c in g.children}
    assert "CC6.1" in offered
    assert "A1.1" in offered
    assert "C1.1" not in offered
    controls.mapping.check("CC6.1")
    assert controls.mapping.save_button.isEnabled()
    controls.mapping.save_button.click()
    assert services.get_control(store.reader(), "ACME-24", "AC-01").criteria == ("CC6.1",)
    assert controls.model.record(0).criteria == ("CC6.1",)

    # Plan the test: an inspection procedure and one attribute.
    controls.tabs.setCurrentWidget(controls.plan)
    assert controls.model.data(controls.model.index(0, 7)) == PLAN_NONE
    controls.plan.add_procedure(ProcedureType.INSPECTION, "Inspect the signed quarterly review for sampled quarters")
    controls.plan.add_attribute("Review signed by the system owner within 30 days of quarter end?")
    assert controls.plan.warnings.text() == ""
    controls.plan.save_button.click()
    stored = services.get_control(store.reader(), "ACME-24", "AC-01")
    assert [p.type for p in stored.test_plan.procedures] == [ProcedureType.INSPECTION]
    assert [a.letter for a in stored.test_plan.attributes] == ["A"]
    assert controls.model.data(controls.model.index(0, 7)) == PLAN_READY

    # Coverage and dashboard show the new state.
    covered = _coverage_of(window, "CC6.1")
    assert covered.covered
    assert covered.controls == ("AC-01",)
    overview = _overview(window)
    assert overview.controls_card.value == "1"
    assert overview.coverage_chart.values() == {COVERED: 1, UNCOVERED: in_scope - 1}
    assert overview.status_chart.values()[PLANNED] == 1

    # Undo belongs to the screen where the edits were made: not on the overview.
    assert not window.undo_action.isEnabled()
    # In Controls: undo the plan, then the mapping; the views follow the store.
    window.show_view("controls")
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert services.get_control(store.reader(), "ACME-24", "AC-01").test_plan.procedures == ()
    assert _overview(window).status_chart.values() == {NO_PLAN: 1, "Plan incomplete": 0, PLANNED: 0}
    window.show_view("controls")
    window.undo_action.trigger()
    assert services.get_control(store.reader(), "ACME-24", "AC-01").criteria == ()
    assert not _coverage_of(window, "CC6.1").covered
    assert _overview(window).coverage_chart.values() == {COVERED: 0, UNCOVERED: in_scope}

    # Redo brings the mapping back.
    window.show_view("controls")
    window.redo_action.trigger()
    assert services.get_control(store.reader(), "ACME-24", "AC-01").criteria == ("CC6.1",)
    assert _coverage_of(window, "CC6.1").controls == ("AC-01",)
    assert _overview(window).coverage_chart.values()[COVERED] == 1
    window.show_view("controls")
    window.redo_action.trigger()
    assert _overview(window).status_chart.values()[PLANNED] == 1
    window.show_view("controls")
    assert window.ctx.undo_stack.index() == window.ctx.undo_stack.count() == 3


def test_renaming_a_control_keeps_its_mapping_and_undo_restores_the_ref(demo_window: MainWindow) -> None:
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    assert controls.select("CE-01")
    before = controls.selected()
    assert before is not None
    controls.details.ref_edit.setText("CE-01A")
    emit(controls.details.ref_edit.textEdited, "CE-01A")
    controls.details.save_button.click()
    store = demo_window.ctx.store
    assert services.get_control(store.reader(), "DEMO", "CE-01A").criteria == before.criteria
    assert controls.selected().ref == "CE-01A"  # type: ignore[union-attr]
    demo_window.undo_action.trigger()
    assert services.get_control(store.reader(), "DEMO", "CE-01").criteria == before.criteria
    assert controls.model.row_of_ref("CE-01") >= 0
    assert controls.model.row_of_ref("CE-01A") < 0


def test_delete_control_and_undo_restores_plan(demo_window: MainWindow) -> None:
    store = demo_window.ctx.store
    # Every demo control holds evidence (and is retired, never deleted): add one that holds none.
    services.add_control(store.uow("PR"), "DEMO", services.ControlInput(
        ref="CE-99", description="Draft control", criteria=("CC2.1",)))
    services.set_test_plan(store.uow("PR"), "DEMO", "CE-99", procedures=[("inspection", "Look")],
                           attributes=["Done?"])
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.select("CE-99")
    original = controls.selected()
    assert original is not None
    count = controls.model.rowCount()
    controls.delete_button.click()
    assert controls.model.rowCount() == count - 1
    assert "CE-99" not in {c.ref for c in services.list_controls(store.reader(), "DEMO")}
    demo_window.undo_action.trigger()
    restored = services.get_control(store.reader(), "DEMO", "CE-99")
    assert restored.criteria == original.criteria
    assert restored.test_plan == original.test_plan
    assert controls.model.rowCount() == count


def test_refused_edit_shows_the_sentence_and_stays_off_the_stack(demo_window: MainWindow, messages) -> None:  # type: ignore[no-untyped-def]
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.new_control()
    controls.details.ref_edit.setText("CE-01")  # taken
    controls.details.description_edit.setPlainText("Duplicate")
    controls.details.save_button.click()
    assert "already exists" in messages.last
    assert demo_window.ctx.undo_stack.count() == 0


def test_filter_and_key_only(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    total = controls.model.rowCount()
    qtbot.keyClick(demo_window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert controls.filter_edit.hasFocus()
    qtbot.keyClicks(controls.filter_edit, "cc6.1")
    shown = {controls.proxy.index(r, 0).data() for r in range(controls.proxy.rowCount())}
    expected = {c.ref for c in controls.model.records() if "CC6.1" in c.criteria or "cc6.1" in c.description.lower()}
    assert shown == expected
    assert 0 < len(shown) < total
    controls.filter_edit.clear()
    controls.key_only.setChecked(True)
    assert controls.proxy.rowCount() == sum(1 for c in controls.model.records() if c.key)
    assert "shown" in controls.count_label.text()


def test_big_engagements_load_their_controls_in_the_background(
    demo_window: MainWindow, qtbot, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    import ui.views.controls as controls_module

    monkeypatch.setattr(controls_module, "BACKGROUND_LOAD_FROM", 10)  # the demo's 43 count as many
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    assert controls.loading
    assert controls.count_label.text().startswith("Loading 43 controls")
    # A change announced while the read runs makes the view read again when it is done.
    demo_window.ctx.announce_control_removed("CE-01")
    with qtbot.waitSignal(controls.loaded, timeout=20_000):
        pass
    assert not controls.loading
    assert controls.model.rowCount() == 43
    assert controls.selected() is not None
