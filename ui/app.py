"""Starting the desktop app: QApplication, theme, the store, the main window.

``run_gui`` is what ``auditdesk`` without a command runs. With ``--screenshot``
it renders the main window offscreen to a PNG and exits instead of showing it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QMessageLogContext, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QFontDatabase, QFontInfo, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from auditdesk import config, services
from auditdesk.errors import AuditDeskError
from ui import theme
from ui.context import AppContext, Topic
from ui.crash import install_excepthook, setup_logging
from ui.options import GuiOptions
from ui.views.registry import ENGAGEMENT_LIST, VIEW_NAMES

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.workers import ProgressTask

log = logging.getLogger("auditdesk.ui")

SCREENSHOT_SIZE = (1440, 900)
DEMO_BANNER = (
    "This store was empty: AuditDesk created the demo engagement {ref} (Northwind Analytics, a SOC 2 "
    "Type 2 with its controls, test plans and system description) so you can look around. "
    "Create your own with File > New engagement (Ctrl+N)."
)


class FontError(RuntimeError):
    """No usable font: screenshots would be blank boxes."""


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created once, with the names QSettings and dialogs use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(config.APP_NAME)
    QCoreApplication.setApplicationName(config.APP_NAME)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    return QApplication(argv if argv is not None else [sys.argv[0]])


def check_fonts(app: QApplication) -> str:
    """The family the UI renders with; raises FontError when no real font is installed."""
    families = QFontDatabase.families()
    if not families:
        raise FontError(
            "No fonts are installed, so text cannot be drawn; install a font package "
            "(on Debian/Ubuntu: apt-get install fonts-dejavu-core) and try again."
        )
    family = QFontInfo(app.font()).family()
    if family not in families:
        raise FontError(f"The UI font '{family}' is not among the installed fonts ({', '.join(families[:5])}...).")
    return family


def open_store_interactively(target: str, *, parent: QWidget | None = None) -> services.Store | None:
    """Open the store; on a refusal explain it and offer to pick another (None: the user gave up)."""
    while True:
        try:
            return services.open_store(target)
        except AuditDeskError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "AuditDesk", str(exc), QMessageBox.StandardButton.NoButton,
                              parent)
            choose = box.addButton("Choose another store…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            if box.clickedButton() is not choose:
                return None
            path, _filter = QFileDialog.getSaveFileName(
                parent, "Workpaper store", str(config.data_dir()), "AuditDesk stores (*.sqlite *.db);;All files (*)",
                options=QFileDialog.Option.DontConfirmOverwrite)
            if not path:
                return None
            target = path


def pick_engagement(store: services.Store, remembered: str | None) -> str | None:
    """The remembered engagement if it still exists, else the first one."""
    engagements = services.list_engagements(store.reader())
    refs = [e.ref for e in engagements]
    if remembered in refs:
        return remembered
    return refs[0] if refs else None


def render_to_png(window: QWidget, path: str | Path) -> QImage:
    """Grab the laid-out window and write it as PNG; returns the image."""
    app = QApplication.instance()
    assert app is not None
    # Let layouts, style polish and deferred paints settle before grabbing.
    for _ in range(3):
        app.processEvents()
    image = window.grab().toImage()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target), "PNG"):  # type: ignore[call-overload]  # the stub says bytes; str works
        raise OSError(f"Could not write {target}.")
    return image


# The offscreen platform cannot resize windows to their size hints and says so
# on every top-level window; harmless for a picture, so kept off stderr.
_OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",)


@contextlib.contextmanager
def quiet_offscreen_noise() -> Iterator[None]:
    """Drop the offscreen platform's size-hint notice; other messages go where they went."""
    previous: Callable[..., None] | None = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message in _OFFSCREEN_NOISE:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def render_screenshot(
    options: GuiOptions,
    *,
    theme_name: str = "light",
    prepare: Callable[[MainWindow], QWidget | None] | None = None,
) -> QImage:
    """Render the main window (or what ``prepare`` returns, e.g. a dialog) to options.screenshot.

    Uses the given store, else the default one; an empty store gets the demo
    first. Raises AuditDeskError or FontError with a sentence.
    """
    from auditdesk import demo
    from ui.main_window import MainWindow

    if options.view not in (*VIEW_NAMES, ENGAGEMENT_LIST):
        raise ValueError(
            f"Unknown view '{options.view}'; choose one of: {', '.join((*VIEW_NAMES, ENGAGEMENT_LIST))}."
        )
    app = application()
    check_fonts(app)
    theme.apply_theme(app, theme_name)  # pictures do not depend on the machine's theme
    store = services.open_store(options.db or config.default_store_target())
    try:
        if not services.list_engagements(store.reader()):
            demo.build_demo(store, options.actor)
        window = MainWindow(AppContext(store, explicit_actor=options.actor))
        window.remember_state = False  # a picture must not move the user's window next time
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        ref = pick_engagement(store, window.restore_state())
        window.resize(*SCREENSHOT_SIZE)
        window.show()
        if ref is not None:
            window.open_engagement(ref, options.view if options.view != ENGAGEMENT_LIST else None)
        if options.view == ENGAGEMENT_LIST or ref is None:
            window.show_view(ENGAGEMENT_LIST)
        target: QWidget = window
        if prepare is not None:
            target = prepare(window) or window
        image = render_to_png(target, options.screenshot or "auditdesk.png")
        if target is not window:
            target.close()
        window.close()
        window.deleteLater()
        app.processEvents()
        return image
    finally:
        store.close()


def screenshot(options: GuiOptions) -> int:
    """--screenshot: render the chosen view offscreen, write the PNG, exit 0 (else 1 with a sentence)."""
    try:
        with quiet_offscreen_noise():
            render_screenshot(options)
    except (AuditDeskError, FontError, OSError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except ValueError as exc:  # an unknown view name
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


class GuiLauncher:
    """Opens the store and the main window; builds the demo first when the store is empty."""

    def __init__(self, options: GuiOptions) -> None:
        self.options = options
        self.app = application()
        self.window: MainWindow | None = None
        self.task: ProgressTask | None = None

    def start(self) -> bool:
        """Show the window (the demo may still be building); False if the user gave up."""
        from ui.main_window import MainWindow
        from ui.workers import run_with_progress

        settings = config.load_settings()
        theme.apply_theme(self.app, settings.theme)
        theme.follow_system(self.app)
        store = open_store_interactively(self.options.db or config.default_store_target(settings))
        if store is None:
            return False
        ctx = AppContext(store, explicit_actor=self.options.actor)
        window = MainWindow(ctx)
        self.window = window
        remembered = window.restore_state()
        window.show()
        if services.list_engagements(store.reader()):
            ref = pick_engagement(store, remembered)
            if ref is not None:
                window.open_engagement(ref)
            return True
        from ui.actions.demo import build_demo_job

        actor = self.options.actor

        def built(ref: str) -> None:
            window.ctx.notify(*Topic)
            window.open_engagement(ref, "overview")
            window.show_banner(DEMO_BANNER.format(ref=ref))

        def cancelled() -> None:
            window.show_banner("Creating the demo was cancelled; nothing was stored. "
                               "Create an engagement with File > New engagement (Ctrl+N).")

        # The demo is built in one transaction, so Cancel leaves the store as it was.
        window.show_view(ENGAGEMENT_LIST)
        self.task = run_with_progress(window, "Creating the demo engagement",
                                      lambda: build_demo_job(store=store, actor=actor),
                                      on_success=built, on_cancel=cancelled)
        return True


def run_gui(options: GuiOptions) -> int:
    """The desktop app (or, with --screenshot, one rendered picture of it)."""
    if options.screenshot:
        # A picture needs no display: render offscreen unless the caller chose a platform.
        if QApplication.instance() is None:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return screenshot(options)
    setup_logging()
    install_excepthook()
    launcher = GuiLauncher(options)
    try:
        check_fonts(launcher.app)
    except FontError as exc:
        QMessageBox.critical(None, "AuditDesk", str(exc))
        return 1
    if not launcher.start():
        return 1
    code = launcher.app.exec()
    if launcher.window is not None:
        launcher.window.ctx.store.close()
    log.info("AuditDesk closed with code %s", code)
    return int(code)
