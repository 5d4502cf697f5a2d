"""Telling the user things: the one place message boxes are made.

Expected errors (``AuditDeskError``) are caught at the action boundary and
shown as their sentence; anything else is a bug and reaches the crash dialog
through the exception hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from PySide6.QtWidgets import QMessageBox, QWidget

from auditdesk.errors import AuditDeskError

P = ParamSpec("P")
T = TypeVar("T")

TITLE = "AuditDesk"


def show_error(parent: QWidget | None, sentence: str, *, title: str = TITLE) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, sentence, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorMessage")
    box.exec()


def show_info(parent: QWidget | None, sentence: str, *, title: str = TITLE) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, sentence, QMessageBox.StandardButton.Ok, parent)
    box.exec()


def confirm(parent: QWidget | None, question: str, *, title: str = TITLE, yes: str = "OK") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.NoButton, parent)
    ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is ok


def attempt(parent: QWidget | None, action: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
    """Run one user action; an expected error becomes a message and None."""
    try:
        return action(*args, **kwargs)
    except AuditDeskError as exc:
        show_error(parent, str(exc))
        return None
