"""The audit trail's events, and one event's record before and after."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk.services.activity import ActivityEntry, FieldChange
from ui import theme
from ui.models.columns import Column, bold_font
from ui.models.table import RecordTableModel
from ui.widgets.detail_panel import action_words


def entity_words(entity: str) -> str:
    """'test_result' -> 'test result'."""
    return entity.replace("_", " ")


def when(entry: ActivityEntry) -> str:
    """'2025-03-04 14:05:09 UTC' from the stored ISO time."""
    return entry.at[:19].replace("T", " ") + " UTC"


ACTIVITY_COLUMNS: tuple[Column[ActivityEntry], ...] = (
    Column("When (UTC)", lambda e: when(e)[:-4], sort_key=lambda e: e.id, width=150),
    Column("Person", lambda e: e.actor, width=64),
    Column("Action", lambda e: action_words(e.action), tooltip=lambda e: e.action, width=200),
    Column("Record", lambda e: entity_words(e.entity), width=110),
    Column("What", lambda e: e.subject, tooltip=lambda e: e.subject, width=260),
    Column("Control", lambda e: e.control_ref, width=80),
    Column("#", lambda e: str(e.id), sort_key=lambda e: e.id, width=60, header_tip="Position in the audit trail"),
)


class ActivityTableModel(RecordTableModel[ActivityEntry]):
    SUBJECT_COLUMN = 4

    def __init__(self, parent: Any = None) -> None:
        super().__init__(ACTIVITY_COLUMNS, key=lambda e: e.id, parent=parent)


def _changed_background(change: FieldChange) -> QColor | None:
    if not change.changed:
        return None
    tint = QColor(theme.colors().warning)
    tint.setAlpha(48)
    return tint


CHANGE_COLUMNS: tuple[Column[FieldChange], ...] = (
    Column("Field", lambda c: c.field, font=lambda c: bold_font() if c.changed else None, width=140),
    Column("Before", lambda c: c.before, tooltip=lambda c: c.before, background=_changed_background, width=300),
    Column("After", lambda c: c.after, tooltip=lambda c: c.after, background=_changed_background, width=300),
)


class ChangeTableModel(RecordTableModel[FieldChange]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CHANGE_COLUMNS, key=lambda c: c.field, parent=parent)
