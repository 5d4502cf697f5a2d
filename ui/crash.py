"""Unexpected exceptions: write a log file, show a dialog that can copy the details."""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from auditdesk import config

log = logging.getLogger("auditdesk.ui")
LOG_FILE = "auditdesk.log"


def setup_logging() -> Path:
    """Log to a rotating file in the user's log folder; returns its path."""
    folder = config.ensure_private_dir(config.log_dir())
    path = folder / LOG_FILE
    root = logging.getLogger("auditdesk")
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        with config.private_files():  # logs name clients and people: this user's only
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return path


def write_crash_report(details: str) -> Path:
    """Write one crash report file under the log folder and return its path."""
    folder = config.ensure_private_dir(config.log_dir())
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return config.write_private_text(folder / f"crash-{stamp}.log", details)


def format_details(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        app_version = version("auditdesk")
    except PackageNotFoundError:  # running from a checkout without install
        app_version = "unknown"
    header = (
        f"AuditDesk {app_version} on Python {platform.python_version()}, {platform.platform()}\n"
        f"Time: {dt.datetime.now().isoformat(timespec='seconds')}\n\n"
    )
    return header + "".join(traceback.format_exception(exc_type, exc, tb))


class CrashDialog(QDialog):
    """Says something went wrong, where the log is, and copies the details."""

    def __init__(self, details: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("AuditDesk: unexpected error")
        self.setObjectName("crashDialog")
        self.details = details
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<b>Something went wrong inside AuditDesk.</b><br>"
            "Your saved work is safe: every change is stored in its own transaction, and the "
            "change in progress was rolled back. Please send the details below to your support contact."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if log_path is not None:
            where = QLabel(f"The details were also written to <code>{log_path}</code>.")
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            where.setWordWrap(True)
            layout.addWidget(where)
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setMinimumSize(560, 220)
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")


def report_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path | None:
    """Log an unexpected exception and, on the GUI thread, show the crash dialog."""
    details = format_details(exc_type, exc, tb)
    log.error("Unexpected error\n%s", details)
    try:
        path: Path | None = write_crash_report(details)
    except OSError:
        path = None
    app = QApplication.instance()
    if app is not None and QThread.currentThread() is app.thread():
        dialog = CrashDialog(details, path, QApplication.activeWindow())
        dialog.exec()
    return path


def install_excepthook() -> None:
    """Route uncaught exceptions (slots, event handlers, threads) to the crash dialog."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        report_exception(exc_type, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            report_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
