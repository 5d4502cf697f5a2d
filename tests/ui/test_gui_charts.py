"""The dashboard charts: the numbers they hold, and that they paint them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QColor, QImage

from auditdesk import services
from auditdesk.domain import Category, Phase
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.views.overview import COVERED, NO_PLAN, UNCOVERED, OverviewView
from ui.widgets.charts import BarChartWidget, ChartItem, DonutChartWidget, PeriodTimelineWidget


def _painted(widget, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    qtbot.addWidget(widget)
    widget.resize(480, 220)
    return widget.grab().toImage()


def _colours(image: QImage) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}


def test_bar_and_donut_keep_and_paint_their_figures(qtbot) -> None:  # type: ignore[no-untyped-def]
    bars = BarChartWidget("Controls by test-plan status")
    green = QColor("green").rgb()
    assert green not in _colours(_painted(bars, qtbot))  # the empty state: a sentence, no bars
    bars.set_items([ChartItem("No test plan", 3, QColor("gray")), ChartItem("Planned", 9, QColor("green"))])
    assert bars.values() == {"No test plan": 3, "Planned": 9}
    assert bars.total == 12
    assert "Planned: 9" in bars.accessibleDescription()
    assert green in _colours(bars.grab().toImage())
    donut = DonutChartWidget("Covered")
    donut.set_items([ChartItem(COVERED, 30, QColor("green")), ChartItem(UNCOVERED, 8, QColor("red"))])
    painted = _colours(_painted(donut, qtbot))
    assert green in painted
    assert QColor("red").rgb() in painted


def test_timeline_places_today_in_the_period(qtbot) -> None:  # type: ignore[no-untyped-def]
    timeline = PeriodTimelineWidget("Audit period")
    timeline.set_period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), Phase.FIELDWORK, today=dt.date(2025, 7, 2))
    assert 0.49 < timeline.elapsed_fraction < 0.51
    assert timeline.status_text == "Day 183 of 365."
    timeline.set_period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), Phase.REVIEW, today=dt.date(2026, 1, 31))
    assert timeline.elapsed_fraction == 1.0
    assert timeline.status_text == "The period ended 31 days ago."
    timeline.set_period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), Phase.PLANNING, today=dt.date(2024, 12, 1))
    assert timeline.elapsed_fraction == 0.0
    assert timeline.status_text == "The period starts in 31 days."
    timeline.set_period(dt.date(2025, 6, 30), dt.date(2025, 6, 30), Phase.PLANNING, today=dt.date(2025, 7, 10))
    assert timeline.status_text == "The as-of date was 10 days ago."
    assert len(_colours(_painted(timeline, qtbot))) > 20


def test_dashboard_of_a_new_engagement(ctx: AppContext, window: MainWindow) -> None:
    services.create_engagement(ctx.store.uow("PR"), ref="NEW", client="New Co", system_name="New System",
                               engagement_type="type2", categories=[Category.SECURITY],
                               period_start=dt.date(2025, 4, 1), period_end=dt.date(2026, 3, 31))
    window.open_engagement("NEW", "overview")
    view = window.current_view()
    assert isinstance(view, OverviewView)
    assert view.status_chart.values() == {NO_PLAN: 0, "Plan incomplete": 0, "Planned": 0}
    assert view.status_chart.total == 0  # drawn as "No controls yet"
    assert view.coverage_chart.values() == {COVERED: 0, UNCOVERED: 33}
    assert (view.timeline.start, view.timeline.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert view.description_card.value == "0 / 9"
    assert "33 without a control" in view.coverage_card.note_label.text()
