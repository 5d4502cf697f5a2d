"""``python -m ui.screenshots OUT_DIR``: PNGs of the screens and dialogs for the README.

Each picture is rendered by the same code as ``auditdesk --screenshot`` on a
fresh demo store in a temporary folder, so the pictures never show (or touch)
the user's own data or window settings.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from auditdesk import services
from auditdesk.demo import DEMO_ACTOR, build_demo
from ui.app import SCREENSHOT_SIZE, quiet_offscreen_noise, render_screenshot
from ui.main_window import MainWindow
from ui.options import GuiOptions


@dataclass(frozen=True, slots=True)
class Shot:
    file: str
    view: str
    theme: str = "light"
    prepare: Callable[[MainWindow], QWidget | None] | None = None
    size: tuple[int, int] = SCREENSHOT_SIZE
    empty_store: bool = False  # a store with no engagement yet: the welcome page


def _wizard_on_dates(window: MainWindow) -> QWidget:
    """The new-engagement wizard, filled in up to the report type and dates."""
    window.new_engagement()
    wizard = window.wizard
    wizard.client_page.client_edit.setText("Contoso Health, Inc.")
    wizard.client_page.system_edit.setText("Contoso Claims Portal")
    wizard.next()
    wizard.resize(700, 500)
    return wizard


def _activity(window: MainWindow) -> None:
    """The Activity screen on an edit, so the record before and after shows side by side."""
    view = window.current_view()
    if view is None or not hasattr(view, "model"):
        return
    edits = [view.model.record(n) for n in range(view.model.rowCount())]
    edit = next((e for e in edits if e.action in ("exception.update", "control.update", "control.test_plan")
                 and sum(c.changed for c in e.changes) and len(e.changes) > 3), None)
    if edit is not None:
        view.select(edit.id)


def _controls_with_plan(window: MainWindow) -> None:
    view = window.current_view()
    if view is not None and hasattr(view, "tabs"):
        view.tabs.setCurrentIndex(2)  # the test plan editor
    return


# ---- fieldwork ----------------------------------------------------------


def _wait(done: Callable[[], bool], seconds: float = 30.0) -> None:
    """Let the thread pool finish a job the picture depends on."""
    app = QApplication.instance()
    assert app is not None
    limit = time.monotonic() + seconds
    while not done():
        if time.monotonic() > limit:
            raise TimeoutError("the screenshot's background job did not finish")
        app.processEvents()
        time.sleep(0.01)


def _control(window: MainWindow, control: str) -> None:
    view = window.current_view()
    if view is None:
        return
    if hasattr(view, "select_sample") and hasattr(view, "samples"):  # testing
        sample = next(s for s in view.samples if s.control_ref == control)
        view.select_sample(sample.id)
        model = view.grid_model
        deviation = next((r for r in model.results() if r.outcome == "deviation"), None)
        if deviation is not None:
            row = [i.key for i in model.items].index(deviation.item_key)
            view.grid.setCurrentIndex(model.index(row, model.column_of(deviation.attribute)))
    elif hasattr(view, "select_control"):  # conclusions
        view.select_control(control)


def _testing(window: MainWindow) -> None:
    _control(window, "OP-01")


def _conclusions(window: MainWindow) -> None:
    _control(window, "OP-01")


def _opinion(window: MainWindow) -> None:
    view = window.current_view()
    if view is not None and hasattr(view, "tabs"):
        view.tabs.setCurrentIndex(2)


def _populations_list(window: MainWindow) -> None:
    view = window.current_view()
    if view is not None and hasattr(view, "select_population"):
        view.select_population(next(p.id for p in view.populations if p.source == "file"))


def _sampling_dialog(window: MainWindow) -> QWidget:
    from ui.dialogs.sampling import SamplingDialog

    dialog = SamplingDialog(window.ctx, control_ref="CM-01", parent=window)
    dialog.confidence_spin.setValue(95.0)
    dialog.tolerable_spin.setValue(5.0)
    dialog.expected_spin.setValue(1.0)
    dialog.resize(940, 600)
    dialog.show()
    return dialog


def _import_wizard(window: MainWindow) -> QWidget:
    """The wizard at its validation report, for a client file with typical problems."""
    from ui.dialogs.population_import import PopulationImportWizard

    engagement = window.ctx.engagement
    assert engagement is not None
    start = engagement.period_start or dt.date.today()
    folder = Path(tempfile.mkdtemp(prefix="auditdesk-shot-file-"))
    lines = ["Invoice No,Posting date,Amount,Customer,Region"]
    for n in range(1, 2401):
        day = start + dt.timedelta(days=(n * 7) % 360)
        lines.append(f"INV-{n:05d},{day.isoformat()},{(n * 37) % 5000 + 12}.50,Customer {n % 41},R{n % 4}")
    lines[120] = f"INV-00007,{start.isoformat()},99.00,Customer 7,R3"
    lines[480] = "INV-00480,31/02/2025,15.00,Customer 30,R1"
    lines[960] = f"INV-00960,{(start - dt.timedelta(days=2)).isoformat()},15.00,Customer 1,R1"
    lines[1500] = ",,,,"
    lines[2000] = f"INV-02000,{start.isoformat()},n/a,Customer 9,R2"
    path = folder / "invoices-fy.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    wizard = PopulationImportWizard(window.ctx, window)
    wizard.show()
    wizard.file_page.set_path(path)
    _wait(lambda: wizard.file_page.preview is not None)
    wizard.file_page.name_edit.setText("Invoices FY (client extract)")
    wizard.next()
    wizard.next()
    _wait(lambda: wizard.validation_page.report is not None)
    wizard.resize(960, 640)
    return wizard


def _mapping_page(window: MainWindow) -> QWidget:
    wizard = _import_wizard(window)
    wizard.back()
    return wizard


SHOTS: tuple[Shot, ...] = (
    Shot("overview.png", "overview"),
    Shot("welcome.png", "engagements", empty_store=True),
    Shot("engagements.png", "engagements"),
    Shot("controls.png", "controls"),
    Shot("test-plan.png", "controls", prepare=_controls_with_plan),
    Shot("coverage.png", "coverage"),
    Shot("description.png", "description"),
    Shot("team.png", "team"),
    Shot("new-engagement.png", "overview", prepare=_wizard_on_dates),
    Shot("overview-dark.png", "overview", theme="dark"),
    Shot("populations.png", "populations"),
    Shot("populations-list.png", "populations", prepare=_populations_list),
    Shot("sampling-dialog.png", "populations", prepare=_sampling_dialog),
    Shot("import-mapping.png", "populations", prepare=_mapping_page),
    Shot("import-report.png", "populations", prepare=_import_wizard),
    Shot("testing.png", "testing", prepare=_testing),
    Shot("exceptions.png", "exceptions"),
    Shot("conclusions.png", "conclusions", prepare=_conclusions),
    Shot("opinion.png", "conclusions", prepare=_opinion),
    Shot("activity.png", "activity", prepare=_activity),
    Shot("testing-1280x720.png", "testing", prepare=_testing, size=(1280, 720)),
    Shot("conclusions-1280x720.png", "conclusions", prepare=_conclusions, size=(1280, 720)),
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with quiet_offscreen_noise(), tempfile.TemporaryDirectory(prefix="auditdesk-shots-") as tmp:
        # Settings and window state of this run live (and die) in the temp folder.
        os.environ["AUDITDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["AUDITDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ.pop("AUDITDESK_DB", None)
        folder = Path(tmp) / "AuditDesk"
        folder.mkdir()
        store, empty = str(folder / "workpapers.sqlite"), str(folder / "empty.sqlite")
        demo_store = services.open_store(store)
        try:
            build_demo(demo_store, DEMO_ACTOR)
        finally:
            demo_store.close()
        for shot in SHOTS:
            target = out / shot.file
            options = GuiOptions(db=empty if shot.empty_store else store, actor=DEMO_ACTOR, screenshot=str(target),
                                 view=shot.view)
            render_screenshot(options, theme_name=shot.theme, prepare=shot.prepare, size=shot.size)
            sys.stdout.write(f"{target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
