"""The detail pane's sign-off panel: the selected control's sign-offs current, stale or missing, each with its icon."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from auditdesk import services
from ui.main_window import MainWindow
from ui.widgets.signoff_panel import SignOffPanel


def _states(panel: SignOffPanel) -> dict[str, str]:
    return {line.role: line.state for line in panel.lines}


def _icon(panel: SignOffPanel, role: str) -> QLabel:
    found = panel.findChild(QLabel, f"signoff_{role}_icon")
    assert isinstance(found, QLabel)
    return found


def test_signoff_panel_shows_current_stale_and_missing_with_distinct_icons(demo_window: MainWindow) -> None:
    panel = demo_window.detail_panel.signoffs
    view = demo_window.show_view("controls")
    assert view.select("AV-01")  # type: ignore[attr-defined]
    assert _states(panel) == {"preparer": "current", "reviewer": "current", "partner": "missing"}
    assert panel.isVisibleTo(demo_window)
    current = _icon(panel, "preparer").pixmap().toImage()
    missing = _icon(panel, "partner").pixmap().toImage()
    assert view.select("AV-02")  # type: ignore[attr-defined]
    assert _states(panel) == {"preparer": "stale", "reviewer": "stale", "partner": "missing"}
    stale_icon = _icon(panel, "reviewer")
    assert stale_icon.property("state") == "stale"
    assert "results[id=" in stale_icon.toolTip()
    stale = stale_icon.pixmap().toImage()
    assert not any(image.isNull() for image in (current, stale, missing))
    assert len({bytes(image.constBits()) for image in (current, stale, missing)}) == 3

    services.sign_off(demo_window.ctx.store.uow("DW"), "DEMO", "control:AV-02", role="partner")
    assert view.select("AV-01")  # type: ignore[attr-defined]
    assert view.select("AV-02")  # type: ignore[attr-defined]
    assert _states(panel)["partner"] == "current"

    demo_window.show_view("team")
    assert not panel.isVisibleTo(demo_window)
