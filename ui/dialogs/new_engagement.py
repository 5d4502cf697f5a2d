"""The new-engagement wizard: client and system, report type and dates, team, scope.

Rules stay in the core: the dates page asks ``check_dates`` (the same check
``create_engagement`` runs) and Finish calls the service; whatever it refuses
is shown as its sentence on the page, and nothing is created.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from auditdesk import config, services
from auditdesk.domain import Category, Engagement, EngagementType, Person, Role
from auditdesk.errors import AuditDeskError
from auditdesk.library import library_for
from auditdesk.services.engagements import check_dates
from ui import feedback
from ui.actions import controls_import as import_actions
from ui.actions import engagements as engagement_actions
from ui.context import AppContext
from ui.models.engagements import role_label
from ui.qt_compat import emit

#: Where a new engagement's controls come from.
START_LIBRARY = "library"
START_MATRIX = "matrix"
START_EMPTY = "empty"

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


@dataclass(frozen=True, slots=True)
class TeamCandidate:
    """A row of the team page: someone on the staff list, or a person added on the page."""

    name: str
    initials: str
    role: Role  # firm role
    new: bool = False


class TeamPage(QWizardPage):
    """Tick who works on the engagement; people not on the staff list are added right here.

    The person creating the engagement is on the team: ticked when on the staff
    list, else proposed from the settings' profile as a new person.
    """

    def __init__(self, people: tuple[Person, ...], actor: str, profile: config.Profile | None = None) -> None:
        super().__init__()
        self.setTitle("Engagement team")
        self.setSubTitle("Tick the people who work on this engagement and choose their roles. People not on the "
                         "firm's staff list can be added here. You can change the team later in the Team view.")
        self.actor = actor.upper()
        self.candidates: list[TeamCandidate] = [TeamCandidate(p.name, p.initials, p.role) for p in people]
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Person", "Role on the engagement"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 260)
        self.role_combos: list[QComboBox] = []
        self.table.itemChanged.connect(self._update_hint)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Jordan Ellis")
        self.initials_edit = QLineEdit()
        self.initials_edit.setMaxLength(10)
        self.initials_edit.setPlaceholderText("e.g. JE")
        self.initials_edit.setMaximumWidth(90)
        self.role_edit = QComboBox()
        for role in Role:
            self.role_edit.addItem(role_label(role), role)
        self.add_button = QPushButton("Add to the team")
        self.add_button.clicked.connect(self._add_clicked)
        self.error = _error_label()
        self.hint = QLabel()
        self.hint.setObjectName("warningLabel")
        self.hint.setWordWrap(True)

        add_row = QHBoxLayout()
        add_row.addWidget(QLabel("Name"))
        add_row.addWidget(self.name_edit, 2)
        add_row.addWidget(QLabel("Initials"))
        add_row.addWidget(self.initials_edit)
        add_row.addWidget(QLabel("Firm role"))
        add_row.addWidget(self.role_edit)
        add_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        self.empty_note = QLabel("The firm's staff list is empty: add the people who work on this engagement "
                                 "below; they join the staff list too.")
        self.empty_note.setWordWrap(True)
        self.empty_note.setVisible(not people)
        layout.addWidget(self.empty_note)
        layout.addWidget(self.table, 1)
        heading = QLabel("Someone not on the staff list")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        layout.addLayout(add_row)
        layout.addWidget(self.error)
        layout.addWidget(self.hint)

        for candidate in self.candidates:
            self._append(candidate, checked=candidate.initials == self.actor)
        if all(c.initials != self.actor for c in self.candidates):
            # The creator is not on the staff list yet: propose them from the profile.
            profile = profile or config.Profile()
            if profile.name.strip() and profile.initials.strip().upper() == self.actor:
                self.add_person(profile.name, self.actor, profile.role)
            else:
                self.initials_edit.setText(self.actor)
                self.role_edit.setCurrentIndex(self.role_edit.findData(profile.role))
        self._update_hint()

    def _append(self, candidate: TeamCandidate, *, checked: bool) -> None:
        row = self.table.rowCount()
        self.table.blockSignals(True)  # the row is complete only at the end
        self.table.insertRow(row)
        label = f"{candidate.name} ({candidate.initials})" + ("  · new to the staff list" if candidate.new else "")
        creator = candidate.initials == self.actor
        item = QTableWidgetItem(label + ("  · you" if creator else ""))
        # Whoever creates the engagement is on its team; only their role is a choice.
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.NoItemFlags if creator
                                                   else Qt.ItemFlag.ItemIsUserCheckable))
        item.setCheckState(Qt.CheckState.Checked if checked or creator else Qt.CheckState.Unchecked)
        self.table.setItem(row, 0, item)
        combo = QComboBox()
        for role in Role:
            combo.addItem(role_label(role), role)
        combo.setCurrentIndex(combo.findData(candidate.role))
        combo.currentIndexChanged.connect(self._update_hint)
        self.table.setCellWidget(row, 1, combo)
        self.role_combos.append(combo)
        self.table.blockSignals(False)

    def _add_clicked(self) -> None:
        self.add_person(self.name_edit.text(), self.initials_edit.text(), Role(self.role_edit.currentData()))

    def add_person(self, name: str, initials: str, role: Role) -> bool:
        """Add someone not on the staff list, ticked; they join the staff list when the engagement is created."""
        name, initials = name.strip(), initials.strip().upper()
        problem = ""
        if not name:
            problem = "Enter the person's name."
        elif not initials or not initials.isalnum():
            problem = "Initials are 1-10 letters or digits; they identify the person in sign-offs and the trail."
        elif any(c.initials == initials for c in self.candidates):
            problem = f"Someone with initials {initials} is already listed; choose other initials."
        self.error.setText(problem)
        self.error.setVisible(bool(problem))
        if problem:
            return False
        candidate = TeamCandidate(name, initials, role, new=True)
        self.candidates.append(candidate)
        self._append(candidate, checked=True)
        self.empty_note.hide()
        self.name_edit.clear()
        self.initials_edit.clear()
        self._update_hint()
        return True

    def set_member(self, initials: str, on: bool, role: Role | None = None) -> None:
        for row, candidate in enumerate(self.candidates):
            if candidate.initials == initials:
                if candidate.initials != self.actor:
                    self.table.item(row, 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                if role is not None:
                    self.role_combos[row].setCurrentIndex(self.role_combos[row].findData(role))

    def team(self) -> list[tuple[str, Role]]:
        return [
            (self.candidates[row].initials, Role(self.role_combos[row].currentData()))
            for row in range(min(self.table.rowCount(), len(self.role_combos)))
            if self.table.item(row, 0).checkState() == Qt.CheckState.Checked
        ]

    def new_people(self) -> list[tuple[str, str, Role]]:
        """People added on this page: they join the firm's staff list."""
        return [(c.name, c.initials, c.role) for c in self.candidates if c.new]

    def _update_hint(self, *_args: object) -> None:
        team = self.team()
        if not any(initials == self.actor for initials, _role in team):
            self.hint.setText(f"You ({self.actor}) are creating this engagement: add your name above to join its "
                              "team.")
        elif not any(role is Role.PARTNER for _initials, role in team):
            self.hint.setText("No partner on the team yet: the engagement partner forms the opinion and signs "
                              "the report.")
        else:
            self.hint.setText("")


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
            box.toggled.connect(self._update_library)
            self.boxes[category] = box
            layout.addWidget(box)
        # Where the controls come from: the firm's library, the client's matrix, or none yet.
        start = QGroupBox("Controls to start from")
        start_layout = QVBoxLayout(start)
        self.start_library = QRadioButton("Start from the firm's library")
        self.library_note = QLabel()
        self.library_note.setObjectName("hintLabel")
        self.library_note.setWordWrap(True)
        self.start_matrix = QRadioButton("Import the client's control matrix (CSV or Excel) once the engagement "
                                         "is created")
        self.start_empty = QRadioButton("Empty: add the controls yourself")
        self.start_empty.setChecked(True)
        self.start_group = QButtonGroup(self)
        for button in (self.start_library, self.start_matrix, self.start_empty):
            self.start_group.addButton(button)
        start_layout.addWidget(self.start_library)
        start_layout.addWidget(self.library_note)
        start_layout.addWidget(self.start_matrix)
        start_layout.addWidget(self.start_empty)
        self.error = _error_label()
        layout.addSpacing(8)
        layout.addWidget(start)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._update_library()

    def categories(self) -> list[Category]:
        return [c for c, box in self.boxes.items() if box.isChecked()]

    def _update_library(self, *_args: object) -> None:
        count = len(library_for(self.categories()))
        self.library_note.setText(
            f"{count} controls address the criteria in scope, each with its criteria, frequency, test procedures "
            "and attributes, in the firm's wording: adapt them to the client.")

    @property
    def start(self) -> str:
        if self.start_library.isChecked():
            return START_LIBRARY
        return START_MATRIX if self.start_matrix.isChecked() else START_EMPTY

    def set_start(self, start: str) -> None:
        {START_LIBRARY: self.start_library, START_MATRIX: self.start_matrix}.get(start, self.start_empty).setChecked(
            True)


class NewEngagementWizard(QWizard):
    """Creates one engagement through ``create_engagement``; refusals stay on the page."""

    engagement_created = Signal(object)  # Engagement
    #: after ``engagement_created``, when the user chose to start from the client's matrix
    matrix_import_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, start: str = START_EMPTY) -> None:
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
        self.team_page = TeamPage(people, ctx.actor, config.load_settings().profile)
        self.scope_page = ScopePage()
        for page in (self.client_page, self.dates_page, self.team_page, self.scope_page):
            self.addPage(page)
        self.scope_page.set_start(start)
        #: the library's controls added to the new engagement (start from the library)
        self.library: services.LibraryImport | None = None

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
                new_people=self.team_page.new_people(),
            )
        except AuditDeskError as exc:
            # Stay open with the sentence on the page; nothing was stored.
            self.scope_page.error.setText(str(exc))
            self.scope_page.error.show()
            return
        self.created = engagement
        begin_with = self.scope_page.start
        if begin_with == START_LIBRARY:
            # The engagement stands on its own; should the library fail, it is there to add controls to.
            self.library = feedback.attempt(self, import_actions.add_library_controls, ctx=self.ctx,
                                            ref=engagement.ref)
        super().accept()
        emit(self.engagement_created, engagement)
        if begin_with == START_MATRIX:
            emit(self.matrix_import_requested)
