"""``python -m ui.screenshots OUT_DIR``: PNGs of the main screens for the README.

Each picture is rendered by the same code as ``auditdesk --screenshot`` on a
fresh demo store in a temporary folder, so the pictures never show (or touch)
the user's own data or window settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QWidget

from auditdesk.cli import GuiOptions
from auditdesk.demo import DEMO_ACTOR
from ui.app import quiet_offscreen_noise, render_screenshot
from ui.main_window import MainWindow
from ui.views.registry import WORKSPACE_VIEWS


def _wizard_on_dates(window: MainWindow) -> QWidget:
    """The new-engagement wizard, filled in up to the report type and dates."""
    window.new_engagement()
    wizard = window.wizard
    wizard.client_page.client_edit.setText("Contoso Health, Inc.")
    wizard.client_page.system_edit.setText("Contoso Claims Portal")
    wizard.next()
    wizard.resize(700, 500)
    return wizard


def _controls_with_plan(window: MainWindow) -> None:
    view = window.current_view()
    if view is not None and hasattr(view, "tabs"):
        view.tabs.setCurrentIndex(2)  # the test plan editor
    return


@dataclass(frozen=True, slots=True)
class Shot:
    file: str
    view: str
    theme: str = "light"
    prepare: Callable[[MainWindow], QWidget | None] | None = None


SHOTS: tuple[Shot, ...] = (
    Shot("overview.png", "overview"),
    Shot("engagements.png", "engagements"),
    Shot("controls.png", "controls"),
    Shot("test-plan.png", "controls", prepare=_controls_with_plan),
    Shot("coverage.png", "coverage"),
    Shot("description.png", "description"),
    Shot("team.png", "team"),
    Shot("new-engagement.png", "overview", prepare=_wizard_on_dates),
    Shot("overview-dark.png", "overview", theme="dark"),
)


def _shots() -> tuple[Shot, ...]:
    """The fixed list, plus one screen still waiting for its issue (if any is left)."""
    from ui.fieldwork_screenshots import FIELDWORK_SHOTS  # imported here: it imports this module

    waiting = [spec.name for spec in WORKSPACE_VIEWS if not spec.available]
    return SHOTS + FIELDWORK_SHOTS + ((Shot("coming-soon.png", waiting[0]),) if waiting else ())


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with quiet_offscreen_noise(), tempfile.TemporaryDirectory(prefix="auditdesk-shots-") as tmp:
        # Settings and window state of this run live (and die) in the temp folder.
        os.environ["AUDITDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["AUDITDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ.pop("AUDITDESK_DB", None)
        store = str(Path(tmp) / "AuditDesk" / "workpapers.sqlite")
        (Path(tmp) / "AuditDesk").mkdir()
        for shot in _shots():
            target = out / shot.file
            render_screenshot(GuiOptions(db=store, actor=DEMO_ACTOR, screenshot=str(target), view=shot.view),
                              theme_name=shot.theme, prepare=shot.prepare)
            sys.stdout.write(f"{target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
