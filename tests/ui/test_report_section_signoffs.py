"""The Report screen's section sign-offs: five sections, each role current, stale (with what changed) or missing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog

from auditdesk import services
from ui.main_window import MainWindow
from ui.views.report import ReportView

ROLES = ("preparer", "reviewer", "partner")


def _report_view(window: MainWindow) -> ReportView:
    view = window.show_view("report")
    assert isinstance(view, ReportView)
    return view


def _states(view: ReportView) -> dict[str, dict[str, str]]:
    table = view.section_table
    out: dict[str, dict[str, str]] = {}
    for row in range(table.rowCount()):
        number = table.sections[row].number
        out[number] = {}
        for column, role in enumerate(ROLES, start=1):
            item = table.item(row, column)
            assert item is not None
            out[number][role] = item.data(Qt.ItemDataRole.UserRole)
    return out


def _cell(view: ReportView, number: str, role: str):  # type: ignore[no-untyped-def]
    row = next(n for n, s in enumerate(view.section_table.sections) if s.number == number)
    item = view.section_table.item(row, 1 + ROLES.index(role))
    assert item is not None
    return item


def test_section_signoffs_go_from_missing_to_current_to_stale(
    demo_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr("ui.feedback.show_error", lambda _parent, sentence, **_: shown.append(sentence))
    demo_window.resize(1280, 720)
    view = _report_view(demo_window)
    table = view.section_table
    assert table.rowCount() == 5
    titles = [table.item(row, 0).text() for row in range(5)]  # type: ignore[union-attr]
    assert titles[2] == "3. The description of the system"
    assert all(state == "missing" for roles in _states(view).values() for state in roles.values())
    missing_icon = _cell(view, "3", "reviewer").icon().pixmap(16, 16).toImage()

    # The demo's acting person (senior PR) may prepare or review but not sign as partner.
    assert not view.section_signoff_button.isEnabled()  # nothing selected yet
    assert table.select_number("3")
    assert view.section_signoff_button.isEnabled()
    offered: list[list[str]] = []

    def choose(_parent, _title, _label, items, *_args):  # type: ignore[no-untyped-def]
        offered.append(list(items))
        return "Reviewer", True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(choose))
    ctx = demo_window.ctx
    assert view.sign_off_selected_section()
    assert offered == [["Preparer", "Reviewer"]]
    assert _states(view)["3"] == {"preparer": "missing", "reviewer": "current", "partner": "missing"}
    assert table.selected_number() == "3"
    assert _cell(view, "3", "reviewer").text().startswith(f"{ctx.actor} · ")
    current_icon = _cell(view, "3", "reviewer").icon().pixmap(16, 16).toImage()
    assert bytes(current_icon.constBits()) != bytes(missing_icon.constBits())
    assert shown == []

    # The manager: may review or prepare, is refused the partner's sign-off in the service's words.
    ctx._explicit_actor = "ML"
    ctx.profile_changed()
    assert view.sign_off_selected_section()  # now offered preparer and reviewer, not partner
    assert offered[-1] == ["Preparer", "Reviewer"]
    assert not view.sign_off_selected_section(role="partner")
    assert shown
    assert "Only a partner on the team of DEMO signs off as partner" in shown[-1]
    # The partner is offered all three roles.
    ctx._explicit_actor = "DW"
    ctx.profile_changed()
    assert view.sign_off_selected_section()
    assert offered[-1] == ["Preparer", "Reviewer", "Partner"]

    # Someone off the team is offered nothing: the button says why.
    ctx._explicit_actor = "ZZ"
    ctx.profile_changed()
    assert not view.section_signoff_button.isEnabled()
    assert "ZZ is not on the team of DEMO" in view.section_signoff_button.toolTip()

    # A description section changes: section 3's sign-offs go stale, the tooltip says what changed.
    services.set_section(ctx.store.uow("PR"), "DEMO", "incidents", "One outage of 40 minutes on 3 March; no data lost.")
    view.load()
    QApplication.processEvents()
    states = _states(view)
    assert states["3"]["reviewer"] == "stale"
    assert all(state == "missing" for number in "1245" for state in states[number].values())
    stale = _cell(view, "3", "reviewer")
    assert "stale: changed since" in stale.toolTip()
    tip = stale.toolTip().splitlines()
    assert any(
        line.startswith("sections[") and "No significant incidents" in line and '-> "One outage of 40 minutes' in line
        for line in tip
    ), tip
    stale_icon = stale.icon().pixmap(16, 16).toImage()
    assert len({bytes(image.constBits()) for image in (missing_icon, current_icon, stale_icon)}) == 3

    # Compact: at 1280x720 the table needs no sideways scrolling and every section shows without scrolling.
    assert table.horizontalScrollBar().maximum() == 0
    assert table.verticalScrollBar().maximum() == 0
    last = table.columnCount() - 1
    assert table.columnViewportPosition(last) + table.columnWidth(last) <= table.viewport().width()
