"""The fieldwork screens render (for --screenshot too), say plainly when there is nothing
yet, and explain that a Type 1 examination has no operating-effectiveness testing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.domain import Category
from ui.app import render_screenshot
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.options import GuiOptions
from ui.views.conclusions import ConclusionsView
from ui.views.populations import PopulationsView
from ui.views.testing import TestingView


@pytest.mark.parametrize("view", ["populations", "testing", "exceptions", "conclusions"])
def test_fieldwork_screens_render(demo_store: services.Store, tmp_path: Path, view: str) -> None:
    image = render_screenshot(GuiOptions(db=demo_store.label, actor="PR", screenshot=str(tmp_path / "shot.png"),
                                         view=view))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50


def test_a_new_engagement_says_what_to_do_first(ctx: AppContext, window: MainWindow) -> None:
    services.create_engagement(ctx.store.uow("PR"), ref="NEW", client="New Co", system_name="New System",
                               engagement_type="type2", categories=[Category.SECURITY],
                               period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    window.open_engagement("NEW", "populations")
    populations = window.current_view()
    assert isinstance(populations, PopulationsView)
    assert populations.sample_model.rowCount() == 0
    assert populations.receipt_title.text() == "No sample selected"
    assert not populations.reperform_button.isEnabled()
    assert populations.timeline.months == ()
    assert not populations.notice.isVisible()
    testing = window.show_view("testing")
    assert isinstance(testing, TestingView)
    assert "No sample yet" in testing.header.subtitle_label.text()
    assert testing.grid_model.rowCount() == 0
    assert testing.conclusion == "No sample selected"
    conclusions = window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    assert conclusions.control_model.rowCount() == 0
    assert "0 of 0 controls concluded" in conclusions.summary.text()


def test_type1_engagements_have_no_operating_effectiveness_part(ctx: AppContext, window: MainWindow) -> None:
    services.create_engagement(ctx.store.uow("PR"), ref="T1", client="Design Co", system_name="Design System",
                               engagement_type="type1", categories=[Category.SECURITY],
                               as_of_date=dt.date(2025, 6, 30))
    services.add_control(ctx.store.uow("PR"), "T1", services.ControlInput(ref="AC-1", description="Access review",
                                                                           criteria=("CC6.1",)))
    window.open_engagement("T1", "populations")
    populations = window.current_view()
    assert isinstance(populations, PopulationsView)
    assert populations.notice.isVisible()
    assert "Type 1" in populations.notice.text()
    assert not populations.new_sample_button.isEnabled()
    conclusions = window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    assert conclusions.notice.isVisible()
    assert conclusions.select_control("AC-1")
    assert "not tested in a Type 1 examination" in conclusions.control_result.text()
