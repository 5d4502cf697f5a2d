"""Complete one checklist line: the date it was done and a note or document reference."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from auditdesk import services


class ChecklistItemDialog(QDialog):
    def __init__(self, item: services.ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Complete checklist item")
        self.item = item
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("d MMM yyyy")
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Note or document reference (e.g. the engagement letter's file)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign and complete")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        label = QLabel(item.label)
        label.setWordWrap(True)
        form.addRow("Item", label)
        form.addRow("Completed on", self.date_edit)
        form.addRow("Note", self.note_edit)
        form.addRow(buttons)

    @property
    def dated(self) -> dt.date:
        d = self.date_edit.date()
        return dt.date(d.year(), d.month(), d.day())

    @property
    def note(self) -> str:
        return self.note_edit.text()
