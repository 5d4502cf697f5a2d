"""The completion checklist on the overview: state, date and who per line; completing a line from the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt

from auditdesk import services
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.views.overview import OverviewView


def _overview(window: MainWindow) -> OverviewView:
    view = window.show_view("overview")
    assert isinstance(view, OverviewView)
    return view


def _row(view: OverviewView, key: str) -> int:
    model = view.checklist_model
    return next(r for r in range(model.rowCount()) if model.record(r).key == key)


def test_the_overview_shows_the_demos_partly_done_checklist(demo_window: MainWindow, qtmodeltester: Any) -> None:
    view = _overview(demo_window)
    model = view.checklist_model
    qtmodeltester.check(model, force_py=True)
    acceptance = _row(view, "acceptance")
    assert model.index(acceptance, 1).data() == "Done"
    assert model.index(acceptance, 3).data() == "DW"
    assert model.index(acceptance, 2).data()  # dated
    events = _row(view, "subsequent_events")
    assert model.index(events, 1).data() == "Open"
    assert model.index(events, 2).data() == ""
    assert "of" in view.checklist_summary.text()
    assert view.complete_button.isEnabled()


def test_completing_a_line_signs_it_as_the_acting_person_and_refusals_are_messages(
    demo_window: MainWindow, demo_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr("ui.feedback.show_error", lambda _parent, sentence, **_: shown.append(sentence))
    view = _overview(demo_window)
    acceptance_open = services.list_checklist(demo_ctx.store.reader(), "DEMO")
    other = next(i for i in acceptance_open if i.item == "independence" and not i.done)
    assert other.subject != demo_ctx.actor
    assert view.complete_item(other, dt.date(2024, 12, 20), "") is False
    assert shown
    assert f"Only {other.subject} can confirm their own independence" in shown[-1]
    row = _row(view, "description_review:services")
    item = view.checklist_model.record(row)
    assert view.complete_item(item, dt.date(2024, 12, 20), "Reviewed.") is False
    assert "completed by a manager or partner" in shown[-1]
    # The partner completes it: the row shows the date and who.
    demo_ctx._explicit_actor = "DW"  # noqa: SLF001 - switch the acting person for this test
    assert view.complete_item(item, dt.date(2025, 1, 20), "Services section read against the contract.") is True
    row = _row(view, "description_review:services")
    model = view.checklist_model
    assert model.index(row, 1).data() == "Done"
    assert model.index(row, 2).data() == "2025-01-20"
    assert model.index(row, 3).data() == "DW"
    assert model.index(row, 1).data(Qt.ItemDataRole.ForegroundRole) is not None


def _representations(ctx: AppContext) -> services.ChecklistItem:
    return next(i for i in services.list_checklist(ctx.store.reader(), "DEMO") if i.item == "representations")


def _pick(view: OverviewView, key: str) -> None:
    view.checklist_table.selectRow(_row(view, key))


def test_the_representations_line_is_recorded_from_the_window(
    demo_window: MainWindow, demo_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QDate

    from ui.dialogs.representations import RepresentationsDialog

    shown: list[str] = []
    monkeypatch.setattr("ui.feedback.show_error", lambda _parent, sentence, **_: shown.append(sentence))
    view = _overview(demo_window)
    line = view.checklist_model.record(_row(view, "representations"))
    assert not line.done
    engagement = services.get_engagement(demo_ctx.store.reader(), "DEMO")
    end = engagement.period_end or engagement.as_of_date
    assert end is not None
    choice: list[dt.date] = []

    def fake_exec(dialog: RepresentationsDialog) -> int:
        d = choice[-1]
        dialog.date_edit.setDate(QDate(d.year, d.month, d.day))
        return RepresentationsDialog.DialogCode.Accepted.value

    monkeypatch.setattr(RepresentationsDialog, "exec", fake_exec)
    # Dated before the end of the period: refused with the service's sentence, nothing recorded.
    choice.append(end - dt.timedelta(days=3))
    _pick(view, "representations")
    view.complete_button.click()
    assert shown
    assert "they are dated as of the report date" in shown[-1]
    assert not _representations(demo_ctx).done
    # A date on or after the end of the period: recorded by the acting person, and the line is done.
    dated = min(end + dt.timedelta(days=30), dt.date.today())
    choice.append(dated)
    count = len(shown)
    _pick(view, "representations")
    view.complete_button.click()
    assert len(shown) == count, shown
    assert (_representations(demo_ctx).dated, _representations(demo_ctx).by) == (dated, demo_ctx.actor)
    row = _row(view, "representations")
    model = view.checklist_model
    assert model.index(row, 1).data() == "Done"
    assert model.index(row, 2).data() == dated.isoformat()
    assert model.index(row, 3).data() == demo_ctx.actor
    assert services.recent_events(demo_ctx.store.reader(), limit=1)[0].action == "engagement.representations"
