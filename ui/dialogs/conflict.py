"""When someone else saved a record first: both versions side by side, and the user chooses.

Keep mine saves the user's edit over the stored version, on purpose (an
ordinary, logged save); take theirs discards the user's edit and shows the
stored record; cancel goes back to editing with nothing lost.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from auditdesk.canonical import to_plain
from auditdesk.errors import AuditDeskError, ConflictError
from ui import feedback
from ui.context import AppContext
from ui.undo import ServiceCommand

# Identity and bookkeeping fields the user never edits: not compared.
_HIDDEN = frozenset({"id", "engagement_id", "uid"})
_CHANGED = QColor(255, 236, 179)
T = TypeVar("T")


class Choice(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"
    CANCEL = "cancel"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "\n".join(f"{_label(str(k))}: {_text(v)}" for k, v in value.items() if k not in _HIDDEN)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return ", ".join(_text(v) for v in value) or "none"
        return "\n".join(_text(v) for v in value) or "none"
    return str(value)


def compare(mine: object, theirs: object) -> list[tuple[str, str, str, bool]]:
    """Rows of (field, mine, theirs, differs); a field mine does not set reads as theirs."""
    plain_mine, plain_theirs = to_plain(mine), to_plain(theirs)
    if not isinstance(plain_mine, dict) or not isinstance(plain_theirs, dict):
        a, b = _text(plain_mine), _text(plain_theirs)
        return [("Value", a, b, a != b)]
    rows = []
    names = [n for n in plain_theirs if n not in _HIDDEN] + [
        n for n in plain_mine if n not in plain_theirs and n not in _HIDDEN
    ]
    for name in names:
        b = _text(plain_theirs.get(name))
        a = _text(plain_mine[name]) if name in plain_mine else b
        rows.append((_label(name), a, b, a != b))
    return rows


class ConflictDialog(QDialog):
    """Yours and theirs, field by field, differences highlighted; three ways out."""

    def __init__(self, error: ConflictError, mine: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Changed by someone else")
        self.choice = Choice.CANCEL
        who = error.changed_by or "someone else"
        message = QLabel(str(error))
        message.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Field", "Your version (not saved)", f"Saved version ({who})"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.rows = compare(mine if mine is not None else error.mine, error.theirs)
        for field, a, b, differs in self.rows:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for column, text in enumerate((field, a, b)):
                item = QTableWidgetItem(text)
                if differs:
                    item.setBackground(QBrush(_CHANGED))
                    font = item.font()
                    font.setBold(column == 0)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        hint = QLabel("Highlighted rows differ. Keep mine saves your version over the saved one; take theirs "
                      "discards your edit; cancel goes back to your edit, nothing lost.")
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.keep_button = QPushButton("Keep mine")
        self.keep_button.setObjectName("conflictKeepMine")
        self.take_button = QPushButton("Take theirs")
        self.take_button.setObjectName("conflictTakeTheirs")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("conflictCancel")
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.take_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_button.clicked.connect(lambda: self._choose(Choice.MINE))
        self.take_button.clicked.connect(lambda: self._choose(Choice.THEIRS))
        self.cancel_button.clicked.connect(lambda: self._choose(Choice.CANCEL))
        layout = QVBoxLayout(self)
        self.message = message
        layout.addWidget(message)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def _choose(self, choice: Choice) -> None:
        self.choice = choice
        if choice is Choice.CANCEL:
            self.reject()
        else:
            self.accept()

    @property
    def differing_fields(self) -> tuple[str, ...]:
        return tuple(field for field, _a, _b, differs in self.rows if differs)


#: Tests and callers may replace how the choice is asked (the dialog, modally, by default).
def ask(error: ConflictError, mine: object, parent: QWidget | None) -> Choice:
    dialog = ConflictDialog(error, mine, parent)
    dialog.exec()
    return dialog.choice


def call_versioned(
    ctx: AppContext,
    save: Callable[[ConflictError | None], T],
    *,
    mine: object,
    on_theirs: Callable[[object], None],
    parent: QWidget | None = None,
) -> T | None:
    """Run a save that names the versions it was loaded from; resolve a conflict with the user.

    ``save(conflict)`` saves: ``conflict`` is None at first, then the ConflictError
    whose stored record the user chose to save over (keep mine): name
    ``conflict.version`` for that record next time. Take theirs calls
    ``on_theirs`` with the stored record; cancel changes nothing. Returns what
    ``save`` returned, or None when nothing was saved.
    """
    conflict: ConflictError | None = None
    while True:
        try:
            return save(conflict)
        except ConflictError as exc:
            choice = ask(exc, mine, parent or ctx.dialog_parent)
            if choice is Choice.MINE:
                conflict = exc
                continue
            if choice is Choice.THEIRS:
                on_theirs(exc.theirs)
            return None
        except AuditDeskError as exc:
            feedback.show_error(parent or ctx.dialog_parent, str(exc))
            return None


def push_versioned(
    ctx: AppContext,
    make: Callable[[str | None, object], ServiceCommand],
    version: str | None,
    *,
    mine: object,
    on_theirs: Callable[[object], None],
    screen: str | None = None,
    parent: QWidget | None = None,
) -> bool:
    """Run an undoable save that names the version it was loaded from; resolve a conflict with the user.

    ``make(version, base)`` builds the command: ``base`` is None at first, then the
    stored record when the user keeps their version over it. Returns True when saved.
    """

    def run(conflict: ConflictError | None) -> ServiceCommand:
        command = make(version, None) if conflict is None else make(conflict.version, conflict.theirs)
        command.apply()
        return command

    command = call_versioned(ctx, run, mine=mine, on_theirs=on_theirs, parent=parent)
    if command is None:
        return False
    command.stack = ctx.undo.push(command, screen)
    return True
