"""Roll forward: start the next period's engagement from the open one.

Controls, mappings, test plans, the system description, CUECs, subservice
organizations and the team are carried over; populations, samples, results,
exceptions, conclusions and sign-offs stay with the period they evidence.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from auditdesk.domain import Engagement, EngagementType
from auditdesk.errors import AuditDeskError
from ui import feedback
from ui.actions import conclusions as conclusion_actions
from ui.context import AppContext, Topic
from ui.dialogs.new_engagement import _date_edit, date_of
from ui.qt_compat import emit


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def next_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that starts the day after ``end``.

    Whole calendar months stay whole months (1 Apr - 30 Sep is followed by
    1 Oct - 31 Mar); other periods keep their number of days.
    """
    new_start = end + dt.timedelta(days=1)
    if start.day == 1 and end == _month_end(end.year, end.month):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        last = new_start.month - 1 + months - 1  # months after January of new_start's year
        return new_start, _month_end(new_start.year + last // 12, last % 12 + 1)
    return new_start, new_start + (end - start)


def next_ref(ref: str, year: int) -> str:
    """'NORTHWIND-2025' -> 'NORTHWIND-2026'; otherwise the year is appended."""
    match = re.search(r"(19|20)\d\d$", ref)
    if match:
        return ref[: match.start()] + str(int(match.group()) + 1)
    return f"{ref}-{year}"


class RollForwardDialog(QDialog):
    engagement_created = Signal(object)  # Engagement

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("rollForwardDialog")
        engagement = ctx.engagement
        assert engagement is not None
        self.prior = engagement
        self.setWindowTitle(f"Roll {engagement.ref} forward")
        self.type2 = engagement.type is EngagementType.TYPE2
        self.ref_edit = QLineEdit()
        self.ref_edit.setMaxLength(40)
        form = QFormLayout()
        form.addRow("New engagement reference", self.ref_edit)
        if self.type2 and engagement.period_start and engagement.period_end:
            start, end = next_period(engagement.period_start, engagement.period_end)
            self.start_edit = _date_edit(start)
            self.end_edit = _date_edit(end)
            form.addRow("Period start", self.start_edit)
            form.addRow("Period end", self.end_edit)
            year = end.year
        else:
            as_of = engagement.as_of_date or dt.date.today()
            try:
                following = as_of.replace(year=as_of.year + 1)
            except ValueError:
                following = as_of.replace(year=as_of.year + 1, day=28)
            self.as_of_edit = _date_edit(following)
            form.addRow("As of", self.as_of_edit)
            year = following.year
        self.ref_edit.setText(next_ref(engagement.ref, year))
        intro = QLabel(
            f"A new engagement for {engagement.client} starts from {engagement.ref}: its controls, criteria mapping, "
            "test plans, system description, CUECs, subservice organizations and team are copied. Populations, "
            "samples, results, exceptions, conclusions and sign-offs stay with this period."
        )
        intro.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Roll forward")
        buttons.accepted.connect(self.roll_forward)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 260)
        self.created: Engagement | None = None

    def roll_forward(self) -> Engagement | None:
        try:
            if self.type2:
                created = conclusion_actions.roll_forward(ctx=self.ctx, ref=self.ref_edit.text().strip(),
                                                          period_start=date_of(self.start_edit),
                                                          period_end=date_of(self.end_edit))
            else:
                created = conclusion_actions.roll_forward(ctx=self.ctx, ref=self.ref_edit.text().strip(),
                                                          as_of_date=date_of(self.as_of_edit))
        except AuditDeskError as exc:
            self.error.setText(str(exc))
            return None
        self.created = created
        self.ctx.notify(Topic.ENGAGEMENTS)
        emit(self.engagement_created, created)
        self.accept()
        return created


def open_roll_forward(ctx: AppContext, parent: QWidget | None) -> RollForwardDialog | None:
    """The entry point for a menu action or button: the dialog, if an engagement is open."""
    if ctx.engagement is None:
        feedback.show_info(parent, "Open the engagement to roll forward first.")
        return None
    dialog = RollForwardDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window = parent.window() if parent is not None else None
    opener = getattr(window, "open_engagement", None)
    if callable(opener):
        dialog.engagement_created.connect(lambda created: opener(created.ref, "overview"))
    dialog.open()
    return dialog
