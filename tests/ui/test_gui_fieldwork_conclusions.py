"""Exceptions documented, control and criterion conclusions overridden with a rationale,
matters and the partner's opinion, the roll-forward, and the dashboard's test status."""

from __future__ import annotations

import datetime as dt

import pytest

from auditdesk import services
from auditdesk.conclusions import ControlConclusion, CriterionConclusion, MatterKind, Opinion
from auditdesk.services.dashboard import engagement_overview
from ui.context import AppContext
from ui.dialogs.roll_forward import RollForwardDialog, next_period, next_ref
from ui.main_window import MainWindow
from ui.models.conclusions import CRITERION_LABELS
from ui.models.exceptions import MANAGEMENT_RESPONSE
from ui.views.conclusions import ConclusionsView
from ui.views.exceptions import ExceptionsView
from ui.views.overview import OverviewView


def test_exceptions_are_documented_with_managements_response_unaudited(
    demo_window: MainWindow, messages  # type: ignore[no-untyped-def]
) -> None:
    view = demo_window.show_view("exceptions")
    assert isinstance(view, ExceptionsView)
    reader = demo_window.ctx.store.reader
    exception = view.selected()
    assert exception is not None
    assert (exception.control_ref, exception.attribute) == ("CM-02", "A")
    assert exception.compensating_control == "CM-01"  # the demo names CM-01's approval gate
    assert view.editor.response_label.text() == MANAGEMENT_RESPONSE
    assert "unaudited" in MANAGEMENT_RESPONSE
    assert view.editor.response_edit.toPlainText() == exception.management_response
    assert view.editor.evaluation_edit.toPlainText() == exception.evaluation
    # An untested control cannot be named as compensating: the service's sentence, nothing saved.
    view.editor.compensating_combo.setCurrentIndex(view.editor.compensating_combo.findData("OP-02"))
    view.editor.compensating_note_edit.setPlainText("OP-02's monitoring would catch an unapproved change.")
    view.editor.root_cause_edit.setPlainText("Leave cover was not arranged.")
    assert view.save() is None
    assert "OP-02 cannot compensate yet" in messages.last
    assert services.list_exceptions(reader(), "DEMO")[0] == exception
    # CM-01 (tested, effective) stays named; the root cause and the evaluation are saved.
    view.editor.compensating_combo.setCurrentIndex(view.editor.compensating_combo.findData("CM-01"))
    view.editor.compensating_note_edit.setPlainText("CM-01's approval gate addresses the same risk.")
    view.editor.evaluation_edit.setPlainText("Timing only, in a holiday week; compensated by CM-01.")
    saved = view.save()
    assert saved is not None
    stored = services.list_exceptions(reader(), "DEMO")[0]
    assert stored == saved
    assert (stored.compensating_control, stored.root_cause, stored.evaluation) == (
        "CM-01", "Leave cover was not arranged.", "Timing only, in a holiday week; compensated by CM-01.")
    assert view.model.data(view.model.index(0, 6)) == "Compensated"
    # A finding from outside a sample.
    before = view.model.rowCount()
    added = view.add("CE-02", "The code of conduct was not re-acknowledged in Q3.")
    assert added is not None
    assert view.selected() == added
    assert view.model.rowCount() == before + 1
    view.filter_edit.setText("conduct")
    assert view.proxy.rowCount() == 1
    assert view.focus_filter()


def _conclusions(demo_window: MainWindow) -> ConclusionsView:
    view = demo_window.show_view("conclusions")
    assert isinstance(view, ConclusionsView)
    return view


def test_control_and_criterion_conclusions_need_a_rationale_to_differ(
    demo_window: MainWindow, messages  # type: ignore[no-untyped-def]
) -> None:
    view = _conclusions(demo_window)
    assert view.select_control("OP-01")
    status = view.selected_control()
    assert status is not None
    assert status.computed is ControlConclusion.EXCEPTIONS_NOTED
    assert status.final is ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS
    assert view.control_combo.currentData() == ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS
    assert "Exceptions noted. 1 of 20 items: a critical finding was fixed after more than 15 days." in (
        view.control_result.text())
    # Not effective, without a rationale: refused with the service's sentence.
    view.control_combo.setCurrentIndex(view.control_combo.findData(ControlConclusion.NOT_EFFECTIVE))
    view.control_rationale.setPlainText("")
    assert view.save_control() is None
    assert "give your rationale" in messages.last
    view.control_rationale.setPlainText("Late fixes recur outside the sample; the control is not reliable.")
    saved = view.save_control()
    assert saved is not None
    assert saved.final is ControlConclusion.NOT_EFFECTIVE
    assert view.selected_control() == saved
    assert "(auditor)" in view.control_model.data(view.control_model.index(view.control_model.row_of("OP-01"), 2))
    # The criteria OP-01 addresses follow.
    conclusions = services.engagement_conclusions(demo_window.ctx.store.reader(), "DEMO")
    affected = [c for c in conclusions.criteria if "OP-01" in c.controls]
    assert affected
    assert view.criterion_model.records() == conclusions.criteria
    # Back to the computed conclusion.
    view.control_combo.setCurrentIndex(0)
    cleared = view.save_control()
    assert cleared is not None
    assert cleared.final is ControlConclusion.EXCEPTIONS_NOTED
    # A criterion overridden with a rationale, then returned to the computed one.
    criterion = affected[0]
    view.tabs.setCurrentIndex(1)
    view.criterion_table.setCurrentIndex(view.criterion_proxy.mapFromSource(
        view.criterion_model.index(view.criterion_model.row_of(criterion.id), 0)))
    view.criterion_combo.setCurrentIndex(view.criterion_combo.findData(CriterionConclusion.MET_WITH_EXCEPTIONS))
    view.criterion_rationale.setPlainText("OP-02 covers the late fixes.")
    overridden = view.save_criterion()
    assert overridden is not None
    assert overridden.final is CriterionConclusion.MET_WITH_EXCEPTIONS
    assert view.criterion_title.text().startswith(f"{criterion.id}: {CRITERION_LABELS[overridden.final]}")
    view.criterion_combo.setCurrentIndex(0)
    back = view.save_criterion()
    assert back is not None
    assert back.final is back.computed


def test_matters_move_the_proposal_and_only_the_partner_records_the_opinion(
    demo_store: services.Store, qtbot, messages  # type: ignore[no-untyped-def]
) -> None:
    engagement = services.get_engagement(demo_store.reader(), "DEMO")
    senior = AppContext(demo_store, explicit_actor="PR")
    senior.open_engagement(engagement)
    view = ConclusionsView(senior)
    qtbot.addWidget(view)
    view.load()
    view.tabs.setCurrentIndex(2)
    # The demo has open criteria and CC6.4 already not met: pending, at least qualified.
    assert view.proposal_label.text() == "Pending (at least qualified)"
    assert "Controls operated effectively: Pending" in view.proposal_reasons.text()
    assert view.recorded_label.text() == "Not recorded yet."
    view.matter_kind.setCurrentIndex(view.matter_kind.findData(MatterKind.SCOPE_LIMITATION))
    view.matter_description.setText("Backups of the EU region could not be examined.")
    view.matter_material.setChecked(True)
    matter = view.add_matter()
    assert matter is not None
    assert view.matter_model.records() == (matter,)
    assert "Backups of the EU region" in view.proposal_reasons.text()
    assert view.opinion_combo.currentData() == Opinion.QUALIFIED
    # The senior may not record it: the button is off and says why.
    assert not view.record_button.isEnabled()
    assert "Only the engagement partner (DW) records the opinion" in view.record_button.toolTip()
    assert "you are acting as PR" in view.partner_hint.text()
    view.basis_edit.setPlainText("Scope limitation: EU backups.")
    assert view.record_opinion() is None
    assert "Only the engagement partner records the opinion (DW)" in messages.last
    # The partner sees what still stands in the way.
    partner = AppContext(demo_store, explicit_actor="DW")
    partner.open_engagement(engagement)
    decided = ConclusionsView(partner)
    qtbot.addWidget(decided)
    decided.load()
    assert not decided.record_button.isEnabled()
    reasons = decided.record_button.toolTip()
    assert "Only the engagement partner" not in reasons
    assert "not concluded or marked not relevant" in reasons
    assert "representations are not recorded" in reasons
    assert "more: hover over Record opinion" in decided.partner_hint.text()
    assert decided.record_opinion() is None
    assert "cannot be recorded yet" in messages.last
    # Deleting the matter takes its reason out of the proposal.
    decided.matter_table.setCurrentIndex(decided.matter_model.index(0, 0))
    decided.delete_matter()
    assert decided.matter_model.rowCount() == 0
    assert "Backups of the EU region" not in decided.proposal_reasons.text()


def test_roll_forward_opens_the_next_period(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = _conclusions(demo_window)
    view.roll_button.click()
    dialog = view.roll_dialog
    assert isinstance(dialog, RollForwardDialog)
    prior = demo_window.ctx.engagement
    assert prior is not None
    assert prior.period_end is not None
    assert dialog.ref_edit.text() == f"DEMO-{prior.period_end.year + 1}"
    with qtbot.waitSignal(dialog.engagement_created) as created:
        dialog.roll_forward()
    new = created.args[0]
    assert new.period_start == prior.period_end + dt.timedelta(days=1)
    assert demo_window.ctx.engagement is not None
    assert demo_window.ctx.engagement.ref == new.ref
    reader = demo_window.ctx.store.reader
    assert len(services.list_controls(reader(), new.ref)) == len(services.list_controls(reader(), "DEMO"))
    assert services.list_samples(reader(), new.ref) == ()
    assert services.list_populations(reader(), new.ref) == ()
    # The same reference again is refused on the dialog.
    demo_window.open_engagement("DEMO")
    again = RollForwardDialog(demo_window.ctx, demo_window)
    qtbot.addWidget(again)
    again.ref_edit.setText(new.ref)
    assert again.roll_forward() is None
    assert again.error.text()


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        (dt.date(2025, 4, 1), dt.date(2025, 9, 30), (dt.date(2025, 10, 1), dt.date(2026, 3, 31))),
        (dt.date(2023, 3, 1), dt.date(2024, 2, 29), (dt.date(2024, 3, 1), dt.date(2025, 2, 28))),
    ],
)
def test_next_period(start: dt.date, end: dt.date, expected: tuple[dt.date, dt.date]) -> None:
    assert next_period(start, end) == expected


def test_next_ref() -> None:
    assert next_ref("NORTHWIND-2025", 2026) == "NORTHWIND-2026"
    assert next_ref("DEMO", 2026) == "DEMO-2026"


def test_dashboard_counts_controls_by_test_status(demo_window: MainWindow) -> None:
    overview = engagement_overview(demo_window.ctx.store.reader(), "DEMO")
    tests = overview.test_status
    # CM-01, AV-01, AV-02, AV-03, CE-05 effective; OP-01 with exceptions; CM-02 and PA-01 not.
    assert (tests.effective, tests.effective_with_exceptions, tests.not_effective, tests.sampled) == (5, 1, 2, 8)
    assert tests.total == overview.controls
    view = demo_window.show_view("overview")
    assert isinstance(view, OverviewView)
    assert view.status_chart.title == "Controls by test status"
    values = view.status_chart.values()
    assert (values["Effective"], values["Effective, with exceptions"], values["Not effective"]) == (5, 1, 2)
    # Override a conclusion in the Conclusions view: the dashboard follows.
    conclusions = _conclusions(demo_window)
    conclusions.select_control("AV-02")
    conclusions.control_combo.setCurrentIndex(conclusions.control_combo.findData(ControlConclusion.NOT_EFFECTIVE))
    conclusions.control_rationale.setPlainText("Restores were not tested.")
    assert conclusions.save_control() is not None
    view = demo_window.show_view("overview")
    assert view.status_chart.values()["Not effective"] == 3  # type: ignore[attr-defined]
    assert view.status_chart.values()["Effective"] == 4  # type: ignore[attr-defined]
