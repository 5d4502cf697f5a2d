"""The new-engagement wizard: client and system, report type and dates, team, scope.

Rules stay in the core: the dates page asks ``check_dates`` (the same check
``create_engagement`` runs) and Finish calls the service; whatever it refuses
is shown as its sentence on the page, and nothing is created.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from auditdesk import services
from auditdesk.domain import Category, Engagement, EngagementType, Person, Role
from auditdesk.errors import AuditDeskError
from auditdesk.services.engagements import check_dates
from ui.actions import engagements as engagement_actions
from ui.context import AppContext
from ui.models.engagements import role_label
from ui.qt_compat import emit

# QDateEdit cannot be empty: its minimum date stands for "not set".
_UNSET = QDate(2000, 1, 1)


def _date_edit(value: dt.date | None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(_UNSET)
    edit.setSpecialValueText("Not set")
    edit.setDate(QDate(value.year, value.month, value.day) if value else _UNSET)
    return edit


def date_of(edit: QDateEdit) -> dt.date | None:
    value = edit.date()
    if value == _UNSET:
        return None
    return dt.date(value.year(), value.month(), value.day())


def set_date(edit: QDateEdit, value: dt.date | None) -> None:
    edit.setDate(QDate(value.year, value.month, value.day) if value else _UNSET)


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.hide()
    return label


def suggest_ref(client: str, year: int) -> str:
    """'Northwind Analytics, Inc.' -> 'NORTHWIND-2025'."""
    words = re.findall(r"[A-Za-z0-9]+", client)
    stem = (words[0] if words else "ENG").upper()[:20]
    return f"{stem}-{year}"


class ClientPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Service organization and system")
        self.setSubTitle("Who is examined, and which system the report describes.")
        self.client_edit = QLineEdit()
        self.client_edit.setPlaceholderText("e.g. Northwind Analytics, Inc.")
        self.system_edit = QLineEdit()
        self.system_edit.setPlaceholderText("e.g. Northwind Insight Platform")
        self.ref_edit = QLineEdit()
        self.ref_edit.setMaxLength(40)
        self.ref_edit.setPlaceholderText("suggested from the client's name")
        self._ref_touched = False
        self.ref_edit.textEdited.connect(lambda _t: setattr(self, "_ref_touched", True))
        self.client_edit.textChanged.connect(self._suggest)
        form = QFormLayout(self)
        form.addRow("Service organization", self.client_edit)
        form.addRow("System", self.system_edit)
        form.addRow("Engagement reference", self.ref_edit)
        for edit in (self.client_edit, self.system_edit, self.ref_edit):
            edit.textChanged.connect(self.completeChanged)

    def _suggest(self, client: str) -> None:
        if not self._ref_touched:
            self.ref_edit.setText(suggest_ref(client, dt.date.today().year) if client.strip() else "")

    def isComplete(self) -> bool:
        return all(e.text().strip() for e in (self.client_edit, self.system_edit, self.ref_edit))


class DatesPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Report type and dates")
        self.setSubTitle("Type 1 reports on the design of controls as of a date; Type 2 also on their "
                         "operating effectiveness over a period of up to twelve months.")
        self.type1 = QRadioButton("Type 1: design, as of a date")
        self.type2 = QRadioButton("Type 2: design and operating effectiveness over a period")
        self.type2.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.type1)
        group.addButton(self.type2)
        year = dt.date.today().year
        self.as_of_edit = _date_edit(None)
        self.start_edit = _date_edit(dt.date(year, 1, 1))
        self.end_edit = _date_edit(dt.date(year, 12, 31))
        self.error = _error_label()
        form = QFormLayout()
        form.addRow("As-of date", self.as_of_edit)
        form.addRow("Period start", self.start_edit)
        form.addRow("Period end", self.end_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.type1)
        layout.addWidget(self.type2)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.type1.toggled.connect(self._type_changed)
        self._type_changed()

    @property
    def engagement_type(self) -> EngagementType:
        return EngagementType.TYPE1 if self.type1.isChecked() else EngagementType.TYPE2

    def dates(self) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
        """(as_of, start, end) as the chosen type uses them."""
        if self.engagement_type is EngagementType.TYPE1:
            return date_of(self.as_of_edit), None, None
        return None, date_of(self.start_edit), date_of(self.end_edit)

    def _type_changed(self, *_args: object) -> None:
        type1 = self.type1.isChecked()
        self.as_of_edit.setEnabled(type1)
        self.start_edit.setEnabled(not type1)
        self.end_edit.setEnabled(not type1)
        self.error.hide()

    def validatePage(self) -> bool:
        try:
            check_dates(self.engagement_type, *self.dates())
        except AuditDeskError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return False
        self.error.hide()
        return True


class TeamPage(QWizardPage):
    def __init__(self, people: tuple[Person, ...], actor: str) -> None:
        super().__init__()
        self.setTitle("Engagement team")
        self.setSubTitle("Tick the people who work on this engagement and choose their roles. "
                         "You can change the team later in the Team view.")
        self.people = people
        self.table = QTableWidget(len(people), 2)
        self.table.setHorizontalHeaderLabels(["Person", "Role on the engagement"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 260)
        self.role_combos: list[QComboBox] = []
        for row, person in enumerate(people):
            item = QTableWidgetItem(f"{person.name} ({person.initials})")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if person.initials == actor else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, item)
            combo = QComboBox()
            for role in Role:
                combo.addItem(role_label(role), role)
            combo.setCurrentIndex(combo.findData(person.role))
            self.table.setCellWidget(row, 1, combo)
            self.role_combos.append(combo)
        layout = QVBoxLayout(self)
        if people:
            layout.addWidget(self.table)
        else:
            note = QLabel("The firm's staff list is empty. Add people in the Team view, then put them on "
                          "this engagement's team.")
            note.setWordWrap(True)
            layout.addWidget(note)

    def set_member(self, initials: str, on: bool, role: Role | None = None) -> None:
        for row, person in enumerate(self.people):
            if person.initials == initials:
                self.table.item(row, 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                if role is not None:
                    self.role_combos[row].setCurrentIndex(self.role_combos[row].findData(role))

    def team(self) -> list[tuple[str, Role]]:
        return [
            (person.initials, Role(self.role_combos[row].currentData()))
            for row, person in enumerate(self.people)
            if self.table.item(row, 0).checkState() == Qt.CheckState.Checked
        ]


class ScopePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Trust Services Categories in scope")
        self.setSubTitle("Security (the common criteria) is part of every SOC 2 examination; add the "
                         "categories the service organization's commitments call for.")
        layout = QVBoxLayout(self)
        self.boxes: dict[Category, QCheckBox] = {}
        for category in Category:
            box = QCheckBox(category.label + (" (common criteria)" if category is Category.SECURITY else ""))
            box.setChecked(category is Category.SECURITY)
            self.boxes[category] = box
            layout.addWidget(box)
        self.error = _error_label()
        layout.addSpacing(8)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def categories(self) -> list[Category]:
        return [c for c, box in self.boxes.items() if box.isChecked()]


class NewEngagementWizard(QWizard):
    """Creates one engagement through ``create_engagement``; refusals stay on the page."""

    engagement_created = Signal(object)  # Engagement

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created: Engagement | None = None
        self.setWindowTitle("New engagement")
        self.setObjectName("newEngagementWizard")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setMinimumSize(620, 460)
        people = services.list_people(ctx.store.reader())
        self.client_page = ClientPage()
        self.dates_page = DatesPage()
        self.team_page = TeamPage(people, ctx.actor)
        self.scope_page = ScopePage()
        for page in (self.client_page, self.dates_page, self.team_page, self.scope_page):
            self.addPage(page)

    def accept(self) -> None:
        as_of, start, end = self.dates_page.dates()
        try:
            engagement = engagement_actions.create_engagement(
                ctx=self.ctx,
                ref=self.client_page.ref_edit.text(),
                client=self.client_page.client_edit.text(),
                system_name=self.client_page.system_edit.text(),
                engagement_type=self.dates_page.engagement_type,
                categories=self.scope_page.categories(),
                as_of_date=as_of,
                period_start=start,
                period_end=end,
                team=self.team_page.team(),
            )
        except AuditDeskError as exc:
            # Stay open with the sentence on the page; nothing was stored.
            self.scope_page.error.setText(str(exc))
            self.scope_page.error.show()
            return
        self.created = engagement
        super().accept()
        emit(self.engagement_created, engagement)
