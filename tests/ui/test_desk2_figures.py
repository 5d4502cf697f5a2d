"""Honest figures: planning, testing and review progress are separate, named figures; a
criterion no control covers is never counted as concluded; a pending proposal reads as
pending, in a neutral voice."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from auditdesk import services
from auditdesk.conclusions import OPEN_CONCLUSIONS
from auditdesk.services.dashboard import engagement_overview, engagement_progress
from ui.context import AppContext, Topic
from ui.main_window import MainWindow
from ui.models.engagements import EngagementTableModel
from ui.views.engagement_list import EngagementListView
from ui.views.overview import OverviewView


def _planned_engagement(store: services.Store) -> None:
    """Every criterion covered and every plan complete: planning done, nothing tested."""
    services.create_engagement(store.uow("PR"), ref="E", client="E Co", system_name="E", engagement_type="type2",
                               categories=["security"], period_start=dt.date(2025, 1, 1),
                               period_end=dt.date(2025, 12, 31))
    services.add_control(store.uow("PR"), "E", services.ControlInput(ref="A", description="A",
                                                                      criteria=("CC6.1",)))
    services.set_test_plan(store.uow("PR"), "E", "A", procedures=[("inspection", "Look")], attributes=["Q?"])


def test_the_list_shows_planning_testing_and_review_as_separate_figures(demo_window: MainWindow) -> None:
    reader = demo_window.ctx.store.reader
    conclusions = services.engagement_conclusions(reader(), "DEMO")
    concluded = sum(1 for c in conclusions.controls if c.final not in OPEN_CONCLUSIONS)
    criteria = sum(1 for k in conclusions.criteria if k.final.concluded)
    (progress,) = engagement_progress(reader())
    assert (progress.controls_concluded, progress.criteria_concluded) == (concluded, criteria)
    assert concluded < progress.controls  # the demo is mid-fieldwork
    view = demo_window.show_view("engagements")
    assert isinstance(view, EngagementListView)
    model = view.model
    headers = [model.headerData(n, Qt.Orientation.Horizontal) for n in range(model.columnCount())]
    assert "Progress" not in headers
    planning, testing, review = (headers.index(h) for h in ("Planning", "Testing", "Review"))
    assert (planning, testing, review) == EngagementTableModel.PROGRESS_COLUMNS
    assert model.index(0, planning).data() == f"{round(100 * progress.planning)}%"
    assert model.index(0, testing).data() == f"{concluded}/{progress.controls}"
    assert model.index(0, review).data() == f"{criteria}/{progress.criteria_in_scope}"
    # The planning figure alone can be full while testing is not: they are never mixed into one.
    assert progress.planning > progress.testing


def test_full_planning_with_nothing_tested_does_not_read_as_done(ctx: AppContext, window: MainWindow) -> None:
    _planned_engagement(ctx.store)
    (progress,) = engagement_progress(ctx.store.reader())
    assert progress.testing == 0.0
    assert progress.review == 0.0
    ctx.notify(Topic.ENGAGEMENTS)
    view = window.show_view("engagements")
    assert isinstance(view, EngagementListView)
    assert view.model.index(0, EngagementTableModel.TESTING_COLUMN).data() == "0/1"
    tip = view.model.index(0, EngagementTableModel.TESTING_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert "concluded: 0 of 1" in tip


def test_criteria_without_a_control_are_never_counted_as_concluded(store: services.Store) -> None:
    _planned_engagement(store)
    overview = engagement_overview(store.reader(), "E")
    assert overview.progress is not None
    assert overview.criteria_covered == 1
    assert overview.progress.criteria_concluded == 0  # 32 criteria have no control: open, not concluded
    services.mark_not_relevant(store.uow("PR"), "E", "CC9.2", reason="The system has no vendors or partners.")
    overview = engagement_overview(store.reader(), "E")
    assert overview.progress is not None
    assert overview.progress.criteria_concluded == 1  # the auditor's documented conclusion counts


def test_the_dashboard_shows_the_stages_and_a_neutral_pending_proposal(demo_window: MainWindow) -> None:
    overview = engagement_overview(demo_window.ctx.store.reader(), "DEMO")
    assert overview.proposal is not None
    assert overview.proposal.opinion.value == "pending"
    view = demo_window.show_view("overview")
    assert isinstance(view, OverviewView)
    progress = overview.progress
    assert progress is not None
    assert view.planning_card.value == f"{round(100 * progress.planning)}%"
    assert view.testing_card.value == f"{progress.controls_concluded:,} / {progress.controls:,}"
    assert view.review_card.value == f"{progress.criteria_concluded} / {progress.criteria_in_scope}"
    assert view.opinion_card.value == "Pending"
    assert view.opinion_card.tone == "neutral"
    assert f"{overview.proposal.pending_criteria} criteria open" in view.opinion_card.note_label.text()
    assert "Unmodified" not in view.opinion_card.value


def test_the_engagement_list_shows_every_figure_without_scrolling(demo_window: MainWindow) -> None:
    demo_window.resize(1440, 900)
    view = demo_window.show_view("engagements")
    assert isinstance(view, EngagementListView)
    QApplication.processEvents()
    assert view.table.horizontalScrollBar().maximum() == 0
    header = view.table.horizontalHeader()
    review = EngagementTableModel.REVIEW_COLUMN
    assert header.sectionViewportPosition(review) + header.sectionSize(review) <= view.table.viewport().width()
