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

from auditdesk import config
from auditdesk.errors import AuditDeskError
from ui import theme
from ui.crash import install_excepthook, setup_logging
from ui.options import GuiOptions
from ui.views.registry import ENGAGEMENT_LIST, VIEW_NAMES

if TYPE_CHECKING:
    from auditdesk import services
    from ui.main_window import MainWindow

log = logging.getLogger("auditdesk.ui")

SCREENSHOT_SIZE = (1440, 900)


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


def open_store_interactively(
    target: str, *, parent: QWidget | None = None, explicit_actor: str | None = None
) -> services.Store | None:
    """Open the store; on a refusal explain it and offer to pick another (None: the user gave up).

    As on the command line, on a PostgreSQL store the acting person is the server login's
    person: a store whose login is not the person --as (or AUDITDESK_USER) names is refused.
    """
    from auditdesk import services
    from auditdesk.services.server_roles import server_actor

    while True:
        try:
            store = services.open_store(target, enforce_logins=True)
            try:
                server_actor(store, explicit_actor or os.environ.get("AUDITDESK_USER"), "")
            except BaseException:
                store.close()
                raise
            return store
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
    from auditdesk import services

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


def _is_empty_store(target: str) -> bool:
    """Whether the store at ``target`` holds no engagement; a missing file is not created to find out."""
    from auditdesk import services

    if "://" not in target:
        path = Path(target)
        if not path.exists() or path.stat().st_size == 0:
            return True
    store = services.open_store(target)
    try:
        return not services.list_engagements(store.reader())
    finally:
        store.close()


def screenshot_store(options: GuiOptions) -> services.Store:
    """The store a picture shows: the one given (as it is), else the default one, else the demo store.

    Nothing is ever written into a store to take a picture of it: an empty default
    store (the firm's own, on a first run) is left alone and the demo's own store
    is shown instead.
    """
    from auditdesk import services

    given = options.db or os.environ.get("AUDITDESK_DB")
    if given:
        return services.open_store(given, enforce_logins=True)
    target = config.default_store_target()
    if _is_empty_store(target):
        import workpapers.report_pdf  # noqa: F401 - the report writer, so a new demo store gets its draft report
        from auditdesk import demo

        return demo.open_demo_store(options.actor)
    return services.open_store(target, enforce_logins=True)


def render_screenshot(
    options: GuiOptions,
    *,
    theme_name: str = "light",
    prepare: Callable[[MainWindow], QWidget | None] | None = None,
    size: tuple[int, int] = SCREENSHOT_SIZE,
) -> QImage:
    """Render the main window (or what ``prepare`` returns, e.g. a dialog) to options.screenshot.

    Uses the store of :func:`screenshot_store`. Raises AuditDeskError or FontError with a sentence.
    """
    if options.view not in (*VIEW_NAMES, ENGAGEMENT_LIST):
        raise ValueError(
            f"Unknown view '{options.view}'; choose one of: {', '.join((*VIEW_NAMES, ENGAGEMENT_LIST))}."
        )
    app = application()
    check_fonts(app)
    theme.apply_theme(app, theme_name)  # pictures do not depend on the machine's theme
    from ui.context import AppContext
    from ui.main_window import MainWindow

    store = screenshot_store(options)
    try:
        window = MainWindow(AppContext(store, explicit_actor=options.actor))
        window.remember_state = False  # a picture must not move the user's window next time
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        ref = pick_engagement(store, window.restore_state())
        window.resize(*size)
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
    """Opens the store and the main window; an empty store shows the welcome page."""

    def __init__(self, options: GuiOptions) -> None:
        self.options = options
        self.app = application()
        self.window: MainWindow | None = None

    def start(self) -> bool:
        """Show the window on the store; False if the user gave up on opening one."""
        settings = config.load_settings()
        theme.apply_theme(self.app, settings.theme)
        theme.follow_system(self.app)
        from ui.context import AppContext
        from ui.main_window import MainWindow

        store = open_store_interactively(
            self.options.db or config.default_store_target(settings), explicit_actor=self.options.actor
        )
        if store is None:
            return False
        window = MainWindow(AppContext(store, explicit_actor=self.options.actor))
        self.window = window
        remembered = window.restore_state()
        window.show()
        ref = pick_engagement(store, remembered)
        if ref is not None:
            window.open_engagement(ref)
        else:
            window.show_view(ENGAGEMENT_LIST)  # the welcome page: new engagement, import, or the demo
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
