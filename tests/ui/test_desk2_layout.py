"""The smaller things an auditor notices: a disabled button that outshines the enabled
ones, a header that forgets a save, clipped group names, a window too big for a laptop."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

from ui import theme
from ui.main_window import MainWindow
from ui.models.exceptions import documented
from ui.views.conclusions import ConclusionsView
from ui.views.controls import ControlsView
from ui.views.engagement_list import EngagementListView
from ui.views.exceptions import ExceptionsView
from ui.views.overview import OverviewView
from ui.views.registry import ENGAGEMENT_LIST, VIEW_NAMES
from ui.views.testing import TestingView


def _lightness(widget: QWidget) -> float:
    image = widget.grab().toImage()
    values = [QColor(image.pixel(x, y)).lightness()
              for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)]
    return sum(values) / len(values)


def test_disabled_controls_recede_in_the_dark_theme(qapp: QApplication, qtbot) -> None:  # type: ignore[no-untyped-def]
    theme.apply_theme(qapp, "dark")
    try:
        holder = QWidget()
        qtbot.addWidget(holder)
        row = QHBoxLayout(holder)
        enabled, disabled = QPushButton("Save"), QPushButton("Save")
        disabled.setEnabled(False)
        field, dim_field = QLineEdit("text"), QLineEdit("text")
        dim_field.setEnabled(False)
        for widget in (enabled, disabled, field, dim_field):
            row.addWidget(widget)
        holder.show()
        qtbot.waitExposed(holder)
        assert _lightness(disabled) < _lightness(enabled)
        assert _lightness(dim_field) <= _lightness(field)
    finally:
        theme.apply_theme(qapp, "light")


def test_the_exceptions_header_follows_a_save(demo_window: MainWindow) -> None:
    view = demo_window.show_view("exceptions")
    assert isinstance(view, ExceptionsView)
    undocumented = [n for n in range(view.model.rowCount())
                    if view.model.record(n).status == "open" and documented(view.model.record(n)) != "Complete"]
    assert undocumented, "the demo keeps an exception to document"
    before = len(undocumented)
    assert f"{before} still to document" in view.header.subtitle_label.text()
    view.select(view.model.record(undocumented[0]).id)
    view.editor.root_cause_edit.setPlainText("The reviewer was on leave and no deputy was named.")
    view.editor.response_edit.setPlainText("A deputy reviewer is now named for every absence.")
    assert view.save() is not None
    text = view.header.subtitle_label.text()
    if before == 1:
        assert "still to document" not in text
    else:
        assert f"{before - 1} still to document" in text


def test_criteria_group_names_are_not_clipped(demo_window: MainWindow) -> None:
    view = demo_window.show_view("controls")
    assert isinstance(view, ControlsView)
    editor = view.mapping
    tree = editor.tree
    model = tree.model()
    metrics = tree.fontMetrics()
    for row in range(model.rowCount(QModelIndex())):
        first = model.index(row, 0)
        text = str(first.data())
        bold = first.data(Qt.ItemDataRole.FontRole)
        width = (metrics if bold is None else type(metrics)(bold)).horizontalAdvance(text)
        # indentation, the branch arrow and the check box take about 60 pixels of the column
        assert width + 60 <= tree.columnWidth(0), text
    assert str(model.index(0, 0).data()) == "CC1"
    assert str(model.index(0, 1).data()).startswith("Control Environment")


def _no_horizontal_scrolling(widget: QWidget) -> None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            assert parent.horizontalScrollBar().maximum() == 0, parent
            parent.ensureWidgetVisible(widget)
        parent = parent.parentWidget()
    assert not widget.visibleRegion().isEmpty()


def test_at_1280x720_the_grid_and_save_conclusion_need_no_horizontal_scrolling(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_window.resize(1280, 720)
    testing = demo_window.show_view("testing")
    assert isinstance(testing, TestingView)
    sample = next(s for s in testing.samples if s.control_ref == "OP-01")
    testing.select_sample(sample.id)
    qtbot.waitUntil(lambda: testing.grid_model.rowCount() > 0)
    QApplication.processEvents()
    grid = testing.grid
    assert grid.horizontalScrollBar().maximum() == 0
    last = grid.model().columnCount() - 1
    assert grid.columnViewportPosition(last) + grid.columnWidth(last) <= grid.viewport().width()
    conclusions = demo_window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    conclusions.select_control("OP-01")
    QApplication.processEvents()
    _no_horizontal_scrolling(conclusions.control_save)
    assert demo_window.width() == 1280


def _sideways(view: QWidget, window: QWidget) -> list[str]:
    """Every scroll area of ``view`` on screen that scrolls (or clips, with its bar off) sideways."""
    return [f"{type(area).__name__} {area.objectName()} by {area.horizontalScrollBar().maximum()} px"
            for area in view.findChildren(QAbstractScrollArea)
            if area.isVisibleTo(window) and area.horizontalScrollBar().maximum() > 0]


def _fully_reachable(button: QWidget, window: QWidget) -> None:
    """Scrolled into view vertically where need be, the whole button lies inside the window."""
    _no_horizontal_scrolling(button)
    left = button.mapTo(window, QPoint(0, 0)).x()
    assert left >= 0, button.text()  # type: ignore[attr-defined]
    assert left + button.width() <= window.width(), button.text()  # type: ignore[attr-defined]
    assert button.visibleRegion().boundingRect().width() == button.width(), button.text()  # type: ignore[attr-defined]


def test_at_1280x720_no_screen_scrolls_sideways(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_window.resize(1280, 720)
    problems: dict[str, list[str]] = {}
    for name in (ENGAGEMENT_LIST, *VIEW_NAMES):
        view = demo_window.show_view(name)
        QApplication.processEvents()
        QApplication.processEvents()  # column fitting after a load runs on the next turn of the loop
        if found := _sideways(view, demo_window):
            problems[name] = found
        assert demo_window.width() == 1280, name
    assert problems == {}
    assert demo_window.minimumSizeHint().width() <= 1280

    engagements = demo_window.show_view(ENGAGEMENT_LIST)
    assert isinstance(engagements, EngagementListView)
    QApplication.processEvents()
    _fully_reachable(engagements.open_button, demo_window)
    # The client, the descriptive column, keeps room for a name rather than a stub.
    table = engagements.table
    client = engagements.model.CLIENT_COLUMN
    name = str(table.model().index(0, client).data())
    assert table.columnWidth(client) >= table.fontMetrics().horizontalAdvance(name), name

    overview = demo_window.show_view("overview")
    assert isinstance(overview, OverviewView)
    QApplication.processEvents()
    _fully_reachable(overview.complete_button, demo_window)
    checklist = overview.checklist_table
    assert checklist.horizontalScrollBar().maximum() == 0
    last = checklist.model().columnCount() - 1
    assert checklist.columnViewportPosition(last) + checklist.columnWidth(last) <= checklist.viewport().width()

    conclusions = demo_window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    conclusions.select_control("OP-01")
    QApplication.processEvents()
    _fully_reachable(conclusions.control_save, demo_window)


def test_a_long_check_out_line_does_not_widen_the_window(demo_window: MainWindow) -> None:
    demo_window.resize(1280, 720)
    demo_window.checkout_label.setText(
        "Checked out to Alexandra Montgomery-Richardson (manager) on 2025-11-14 for offline work at the client's "
        "premises in the Northwind Analytics data centre; check it back in from File > Check in… to continue"
    )
    demo_window.checkout_label.show()
    demo_window.store_label.setText("Store: postgresql://auditdesk-reader@db01.internal.northwind-analytics.example/"
                                    "workpapers_2025_soc2_examinations_and_readiness_assessments")
    QApplication.processEvents()
    assert demo_window.statusBar().minimumSizeHint().width() <= 1280
    assert demo_window.width() == 1280
    phase = demo_window.phase_label
    assert phase.mapTo(demo_window, QPoint(0, 0)).x() + phase.width() <= demo_window.width()
    # Shortened with an ellipsis, the whole line stays in the tooltip.
    assert demo_window.checkout_label.toolTip().endswith("to continue")
    label = demo_window.checkout_label
    assert label.fontMetrics().horizontalAdvance(label.toolTip()) > label.width()
