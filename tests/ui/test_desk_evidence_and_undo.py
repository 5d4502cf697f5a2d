"""No click destroys evidence, and Ctrl+Z stays on its screen.

Deleting a control asks first and Edit > Undo restores the store content-identically;
a control with evidence is refused and offered retirement (greyed, hidden unless shown,
restorable); results typed in the grid are undone by Ctrl+Z there, which never reaches
an edit made in another screen; Edit > Undo names the action and its screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from auditdesk import services
from auditdesk.errors import EvidenceHeldError
from auditdesk.services import controls as control_services
from tests.store_content import store_content_hash
from ui import theme
from ui.main_window import MainWindow
from ui.views.controls import ControlsView
from ui.views.testing import TestingView

Outcome = services.Outcome
ENG = "ACME-25"


@pytest.fixture
def fieldwork_window(window: MainWindow) -> MainWindow:
    """An engagement with a tested control (CM-1, a sample of 5 with one result) and an untested one (CM-2)."""
    store = window.ctx.store
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="partner")
    services.create_engagement(
        store.uow("PR"), ref=ENG, client="Acme Hosting", system_name="Acme Cloud", engagement_type="type2",
        categories=["security"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
    )
    for ref in ("CM-1", "CM-2"):
        services.add_control(store.uow("PR"), ENG, services.ControlInput(
            ref=ref, description="Changes are approved", frequency="weekly", criteria=("CC8.1",)))
        services.set_test_plan(store.uow("PR"), ENG, ref, procedures=[("inspection", "Inspect tickets")],
                               attributes=["Approved?"])
    population = services.generate_population(store.uow("PR"), ENG, "CM-1")
    sample = services.select_sample(store.uow("PR"), ENG, "CM-1", population_id=population.id, method="random",
                                    size=5, seed=3)
    services.save_tickmark(store.uow("PR"), "I", "Inspected")
    services.record_result(store.uow("PR"), ENG, sample.id, sample.items[0].key, "A", "pass", tickmark="I",
                           note="Ticket signed")
    assert window.open_engagement(ENG, "overview")
    return window


def _controls(window: MainWindow) -> ControlsView:
    view = window.show_view("controls")
    assert isinstance(view, ControlsView)
    return view


def _testing(window: MainWindow) -> tuple[TestingView, services.Sample]:
    view = window.show_view("testing")
    assert isinstance(view, TestingView)
    sample = view.current_sample()
    assert sample is not None
    return view, sample


def _results(window: MainWindow, sample_id: int) -> dict[tuple[str, str], services.Result]:
    return {(r.item_key, r.attribute): r for r in services.list_results(window.ctx.store.reader(), ENG, sample_id)}


def _undo_text(window: MainWindow) -> str:
    return window.undo_action.text().replace("&", "")


# ---- deleting and retiring controls ---------------------------------------------


def test_delete_asks_first_and_undo_restores_the_store_content_identically(
    fieldwork_window: MainWindow, tmp_path: Path, messages  # type: ignore[no-untyped-def]
) -> None:
    window = fieldwork_window
    store_file = tmp_path / "store.sqlite"
    controls = _controls(window)
    assert controls.select("CM-2")
    before = store_content_hash(store_file)

    messages.reply = "reject"
    controls.delete_button.click()
    assert messages.last.startswith("Delete control CM-2")  # asked first
    assert store_content_hash(store_file) == before  # and Cancel kept it

    messages.reply = "accept"
    controls.delete_button.click()
    assert "CM-2" not in {c.ref for c in services.list_controls(window.ctx.store.reader(), ENG)}
    assert controls.model.row_of_ref("CM-2") < 0
    assert _undo_text(window) == "Undo Delete control CM-2 (Controls)"

    window.undo_action.trigger()
    assert store_content_hash(store_file) == before
    assert controls.model.row_of_ref("CM-2") >= 0
    window.redo_action.trigger()
    assert controls.model.row_of_ref("CM-2") < 0


def test_a_control_with_evidence_is_retired_not_deleted(
    fieldwork_window: MainWindow, tmp_path: Path, messages  # type: ignore[no-untyped-def]
) -> None:
    window = fieldwork_window
    store_file = tmp_path / "store.sqlite"
    controls = _controls(window)
    assert controls.select("CM-1")
    before = store_content_hash(store_file)

    # Whoever calls it, the service refuses with one sentence that offers retirement.
    with pytest.raises(EvidenceHeldError, match=r"^Control CM-1 holds evidence \(1 sample, 1 result\), so it "
                                                r"cannot be deleted; retire it instead"):
        control_services.delete_control(window.ctx.store.uow("PR"), ENG, "CM-1")

    messages.reply = "reject"
    controls.delete_button.click()
    assert messages.last.startswith("CM-1 holds evidence (1 sample, 1 result), so it cannot be deleted.")
    assert "Retire it instead?" in messages.last
    assert store_content_hash(store_file) == before
    assert not window.undo_action.isEnabled()

    messages.reply = "accept"
    controls.delete_button.click()
    dialog = controls.retire_dialog
    assert not dialog.retire_button.isEnabled()  # a reason is required
    dialog.reason_edit.setText("Replaced by CM-2 from March")
    dialog.retire_button.click()
    stored = services.get_control(window.ctx.store.reader(), ENG, "CM-1")
    assert (stored.retired, stored.retired_reason, stored.retired_by) == (True, "Replaced by CM-2 from March", "PR")
    sample_id = services.list_samples(window.ctx.store.reader(), ENG)[0].id
    assert len(_results(window, sample_id)) == 1  # the evidence is all still there
    coverage = {c.criterion_id: c.controls for c in services.coverage(window.ctx.store.reader(), ENG).criteria}
    assert coverage["CC8.1"] == ("CM-2",)  # a retired control leaves coverage

    # Hidden unless shown; shown greyed, with the reason.
    shown = {controls.proxy.index(r, 0).data() for r in range(controls.proxy.rowCount())}
    assert shown == {"CM-2"}
    assert "1 retired" in controls.header.subtitle_label.text()
    controls.show_retired.setChecked(True)
    assert controls.select("CM-1")
    row = controls.proxy.mapFromSource(controls.model.index(controls.model.row_of_ref("CM-1"), 0))
    assert row.isValid()
    assert row.data(Qt.ItemDataRole.ForegroundRole) == theme.colors().neutral
    assert "Replaced by CM-2 from March" in row.data(Qt.ItemDataRole.ToolTipRole)
    assert controls.retire_button.text() == "Restore"
    assert not controls.tabs.isEnabled()

    # Undo brings it back; Restore does too.
    assert _undo_text(window) == "Undo Retire control CM-1 (Controls)"
    window.undo_action.trigger()
    assert not services.get_control(window.ctx.store.reader(), ENG, "CM-1").retired
    window.redo_action.trigger()
    assert services.get_control(window.ctx.store.reader(), ENG, "CM-1").retired
    assert controls.select("CM-1")
    controls.retire_button.click()
    assert not services.get_control(window.ctx.store.reader(), ENG, "CM-1").retired
    assert controls.retire_button.text() == "Retire…"


def test_removing_an_attribute_that_holds_results_is_refused_and_it_can_be_retired(
    fieldwork_window: MainWindow, messages  # type: ignore[no-untyped-def]
) -> None:
    window = fieldwork_window
    controls = _controls(window)
    assert controls.select("CM-1")
    plan = controls.plan
    plan.attribute_table.setCurrentIndex(plan.attributes.index(0, 1))
    plan.attributes.remove_row(0)
    plan.save_button.click()
    assert messages.last == "Attribute A of CM-1 (Approved) holds 1 result, so it cannot be removed or re-lettered; " \
                            "retire it instead."
    assert [a.letter for a in services.get_control(window.ctx.store.reader(), ENG, "CM-1").test_plan.attributes] \
        == ["A"]
    plan.revert_button.click()
    plan.attribute_table.setCurrentIndex(plan.attributes.index(0, 1))
    assert plan.retire_attribute_button.isEnabled()
    plan.retire_attribute_button.click()
    stored = services.get_control(window.ctx.store.reader(), ENG, "CM-1")
    assert stored.test_plan.attributes[0].retired
    assert plan.attributes.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) == theme.colors().neutral
    assert _undo_text(window) == "Undo Retire attribute A of CM-1 (Controls)"
    window.undo_action.trigger()
    assert not services.get_control(window.ctx.store.reader(), ENG, "CM-1").test_plan.attributes[0].retired


# ---- undo in the testing grid -------------------------------------------------------


def test_ctrl_z_in_the_grid_undoes_the_last_result_and_never_another_screens_edit(
    fieldwork_window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    window = fieldwork_window
    # An edit in Controls: a second attribute for CM-1.
    controls = _controls(window)
    assert controls.select("CM-1")
    controls.plan.add_attribute("Tested before deploy?")
    controls.plan.save_button.click()
    assert len(services.get_control(window.ctx.store.reader(), ENG, "CM-1").test_plan.attributes) == 2
    assert _undo_text(window) == "Undo Edit the test plan of CM-1 (Controls)"

    # In Testing, nothing of Controls can be undone.
    view, sample = _testing(window)
    assert not window.undo_action.isEnabled()
    grid, model = view.grid, view.grid_model
    grid.setFocus()
    second = sample.items[1].key
    grid.setCurrentIndex(model.index(1, model.first_attribute_column))
    qtbot.keyClick(grid, Qt.Key.Key_X)
    assert _results(window, sample.id)[(second, "A")].outcome is Outcome.DEVIATION
    assert len(services.list_exceptions(window.ctx.store.reader(), ENG)) == 1
    assert _undo_text(window) == f"Undo result A on item {second} (Testing)"

    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (second, "A") not in _results(window, sample.id)
    assert model.result(second, "A") is None  # the grid shows it at once
    assert grid.currentIndex() == model.index(1, model.first_attribute_column)  # on the undone cell
    assert services.list_exceptions(window.ctx.store.reader(), ENG) == ()  # the exception it opened is withdrawn
    assert not window.undo_action.isEnabled()

    # A second Ctrl+Z has nothing left on this screen: the test plan edit stays.
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(services.get_control(window.ctx.store.reader(), ENG, "CM-1").test_plan.attributes) == 2

    # Redo records it again; back in Controls, that screen's own history is intact.
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _results(window, sample.id)[(second, "A")].outcome is Outcome.DEVIATION
    _controls(window)
    assert _undo_text(window) == "Undo Edit the test plan of CM-1 (Controls)"


def test_undo_puts_back_the_earlier_outcome_tickmark_and_comment(
    fieldwork_window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    window = fieldwork_window
    view, sample = _testing(window)
    first = sample.items[0].key
    earlier = _results(window, sample.id)[(first, "A")]
    grid, model = view.grid, view.grid_model
    grid.setFocus()
    grid.setCurrentIndex(model.index(0, model.first_attribute_column))
    qtbot.keyClick(grid, Qt.Key.Key_N)
    assert _results(window, sample.id)[(first, "A")].outcome is Outcome.NA
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    restored = _results(window, sample.id)[(first, "A")]
    assert (restored.outcome, restored.tickmark, restored.note) == (earlier.outcome, "I", "Ticket signed")
    assert model.result(first, "A") == restored
