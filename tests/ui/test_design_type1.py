"""A Type 1 end to end in the window: an as-of date instead of a period, no sampling screens,
design status on the overview and the conclusions; a Type 2 shows both design and testing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from auditdesk import services
from auditdesk.conclusions import ControlConclusion
from auditdesk.domain import Category
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.models.conclusions import ControlStatusModel
from ui.views.conclusions import ConclusionsView
from ui.views.overview import OverviewView

OPERATING = ("populations", "testing")


def _engagements(ctx: AppContext) -> None:
    uow = ctx.store.uow
    services.create_engagement(uow("PR"), ref="T1", client="Design Co", system_name="Design System",
                               engagement_type="type1", categories=[Category.SECURITY],
                               as_of_date=dt.date(2025, 6, 30))
    services.create_engagement(uow("PR"), ref="T2", client="Period Co", system_name="Period System",
                               engagement_type="type2", categories=[Category.SECURITY],
                               period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    for ref in ("T1", "T2"):
        for control in ("AC-01", "AC-02", "CH-01"):
            services.add_control(uow("PR"), ref, services.ControlInput(ref=control, description=f"{control} control",
                                                                       criteria=("CC6.1",)))
        services.record_walkthrough(uow("PR"), ref, "AC-01", conclusion="designed", performed_on=dt.date(2025, 6, 2),
                                    procedure="Inquired of IT and inspected one quarterly review.")
        services.record_walkthrough(uow("PR"), ref, "CH-01", conclusion="not_designed",
                                    performed_on=dt.date(2025, 6, 2),
                                    procedure="Inquired of engineering and inspected the pipeline settings.")


def _navigator(window: MainWindow) -> dict[str, bool]:
    """View name -> shown in the navigator."""
    nav = window.nav_list
    return {nav.item(r).data(Qt.ItemDataRole.UserRole): not nav.item(r).isHidden() for r in range(1, nav.count())}


def test_a_type1_shows_no_sampling_screens_and_says_as_of(ctx: AppContext, window: MainWindow) -> None:
    _engagements(ctx)
    # Last seen: Testing of a Type 2. A Type 1 opens on its overview instead.
    window.open_engagement("T2", "testing")
    assert all(_navigator(window)[name] for name in OPERATING)
    window.open_engagement("T1")
    assert window.current_view_name == "overview"
    shown = _navigator(window)
    assert not any(shown[name] for name in OPERATING)
    assert shown["walkthroughs"]
    assert shown["conclusions"]
    for name in OPERATING:
        assert not window.view_actions[name].isVisible()
        assert not window.view_actions[name].isEnabled()

    overview = window.current_view()
    assert isinstance(overview, OverviewView)
    assert "SOC 2 Type 1, as of 30 June 2025" in overview.header.subtitle_label.text()
    assert overview.timeline.title == "Date of the examination"
    assert overview.walkthroughs_card.value == "2 / 3"
    assert overview.walkthroughs_card.note_label.text() == "1 designed · 1 not designed"
    assert overview.status_chart.title == "Controls by design status"
    assert overview.status_chart.values() == {"Not walked through": 1, "Designed": 1, "Not designed": 1,
                                              "Not implemented": 0}
    assert overview.testing_card.caption.text() == "Design: controls concluded"
    panel = [label.text() for label in window.detail_panel.findChildren(QLabel)]
    assert "As of:" in panel
    assert "30 June 2025" in panel

    conclusions = window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    assert conclusions.notice.isVisible()
    assert conclusions.notice.text().startswith("Type 1 examination as of 30 June 2025:")
    assert "as of 30 June 2025" in conclusions.header.subtitle_label.text()
    model = conclusions.control_model
    design = {model.record(r).ref: model.index(r, ControlStatusModel.DESIGN_COLUMN).data() for r in
              range(model.rowCount())}
    assert design == {"AC-01": "Designed", "AC-02": "Not walked through", "CH-01": "Not designed"}
    finals = {model.record(r).ref: model.record(r).final for r in range(model.rowCount())}
    assert finals["AC-01"] is ControlConclusion.DESIGNED
    assert finals["CH-01"] is ControlConclusion.NOT_DESIGNED
    assert conclusions.select_control("CH-01")
    assert conclusions.control_design.text() == "Not suitably designed"

    # Back to a Type 2: the operating-effectiveness screens return, and the overview speaks of the period.
    window.open_engagement("T2", "overview")
    assert all(_navigator(window)[name] for name in OPERATING)
    assert window.view_actions["testing"].isEnabled()
    overview = window.current_view()
    assert isinstance(overview, OverviewView)
    assert "1 January 2025 to 31 December 2025" in overview.header.subtitle_label.text()
    assert overview.timeline.title == "Audit period"
    assert overview.walkthroughs_card.value == "2 / 3"
    assert overview.status_chart.title != "Controls by design status"
    assert overview.testing_card.caption.text() == "Testing: controls concluded"
    conclusions = window.show_view("conclusions")
    assert isinstance(conclusions, ConclusionsView)
    assert not conclusions.notice.isVisible()
    assert "Throughout the period 1 January 2025 to 31 December 2025" in conclusions.header.subtitle_label.text()
    model = conclusions.control_model
    assert model.index(model.row_of("CH-01"), ControlStatusModel.DESIGN_COLUMN).data() == "Not designed"
