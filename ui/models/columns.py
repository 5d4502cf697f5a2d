"""Column specs: what a table shows for each record, role by role.

A model holds records and a tuple of :class:`Column`; ``data()`` only asks the
column for the role requested, so every table reads the same way and no model
ever queries the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

R = TypeVar("R")

# The record behind a row, for views and proxies (never shown).
RECORD_ROLE = int(Qt.ItemDataRole.UserRole)
# A value that sorts naturally (numbers as numbers, refs in catalog order).
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
# The text a filter matches against (several columns joined).
FILTER_ROLE = int(Qt.ItemDataRole.UserRole) + 2

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    """One column: a header and a function per role (None = role not provided)."""

    header: str
    display: Callable[[R], str]
    # A str, int or float: Qt compares those itself, so sorting thousands of
    # rows never calls back into Python for each comparison.
    sort_key: Callable[[R], str | int | float] | None = None
    tooltip: Callable[[R], str] | None = None
    foreground: Callable[[R], QColor | QBrush | None] | None = None
    background: Callable[[R], QColor | QBrush | None] | None = None
    font: Callable[[R], QFont | None] | None = None
    checked: Callable[[R], bool] | None = None
    alignment: Qt.AlignmentFlag = LEFT
    width: int = 120  # initial width in pixels; the view may stretch one column
    header_tip: str = ""
    # Editable (draft) tables: the value the editor starts from, and how a new
    # value makes a new record (records are frozen, so editing replaces them).
    edit_value: Callable[[R], Any] | None = None
    edit: Callable[[R, Any], R] | None = None
    choices: tuple[str, ...] = ()  # a fixed list of values for a combo-box editor

    def value(self, record: R, role: int) -> Any:
        """The column's answer for ``role``, in a type Qt's views accept."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(record)
        if role == Qt.ItemDataRole.EditRole:
            return self.edit_value(record) if self.edit_value is not None else self.display(record)
        if role == SORT_ROLE:
            return self.sort_key(record) if self.sort_key is not None else self.display(record).casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record) if self.tooltip is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(record) if self.foreground is not None else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.background(record) if self.background is not None else None
        if role == Qt.ItemDataRole.FontRole:
            return self.font(record) if self.font is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            # An int, not the flag: views and the model tester both accept it.
            return int(self.alignment.value)
        if role == Qt.ItemDataRole.CheckStateRole and self.checked is not None:
            return Qt.CheckState.Checked if self.checked(record) else Qt.CheckState.Unchecked
        return None


def bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font
