"""Record management's written representations: the date they are dated as of (the report date)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget


class RepresentationsDialog(QDialog):
    def __init__(self, suggested: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Management's written representations")
        start = QDate.currentDate() if suggested is None else QDate(suggested.year, suggested.month, suggested.day)
        self.date_edit = QDateEdit(start)
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("d MMM yyyy")
        explanation = QLabel(
            "The representations letter is dated as of the report date: the day the subsequent events "
            "procedures end, on or after the end of the period."
        )
        explanation.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(explanation)
        form.addRow("Dated as of", self.date_edit)
        form.addRow(buttons)

    @property
    def dated(self) -> dt.date:
        d = self.date_edit.date()
        return dt.date(d.year(), d.month(), d.day())
