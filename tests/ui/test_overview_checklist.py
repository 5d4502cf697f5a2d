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
