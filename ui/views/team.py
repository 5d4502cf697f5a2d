"""The engagement team, and the firm's staff list it is drawn from."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Person, Role, TeamMember
from ui.actions import people as people_actions
from ui.context import AppContext, Topic
from ui.feedback import attempt
from ui.models.columns import RECORD_ROLE
from ui.models.engagements import PeopleTableModel, TeamTableModel, role_label
from ui.qt_compat import emit
from ui.undo import RemoveTeamMemberCommand, TeamMemberCommand, push_done
from ui.views.base import WorkspaceView
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import make_table


def role_combo() -> QComboBox:
    combo = QComboBox()
    for role in Role:
        combo.addItem(role_label(role), role)
    return combo


#: this screen's name: its edits go on its own undo stack
SCREEN = "team"
EVERYONE_ON_TEAM = "Everyone on the staff list is on the team"


class TeamView(WorkspaceView):
    topics = frozenset({Topic.TEAM, Topic.PEOPLE, Topic.ENGAGEMENT})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Team", "Who works on this engagement, in which role.", parent)
        row = QHBoxLayout()
        row.setSpacing(16)

        team_box = QGroupBox("Engagement team")
        team_layout = QVBoxLayout(team_box)
        self.team_model = TeamTableModel(self)
        self.team_table = make_table(self.team_model, stretch=0, sortable=False)
        self.team_table.selectionModel().currentRowChanged.connect(self._member_selected)
        team_layout.addWidget(self.team_table, 1)
        add_row = QHBoxLayout()
        self.person_combo = QComboBox()
        self.person_combo.setMinimumContentsLength(18)
        self.person_combo.currentIndexChanged.connect(self._person_chosen)
        self.add_role = role_combo()
        self.people: tuple[Person, ...] = ()
        self.add_button = QPushButton("Add to team")
        self.add_button.clicked.connect(self._add_member)
        add_row.addWidget(self.person_combo, 1)
        add_row.addWidget(self.add_role)
        add_row.addWidget(self.add_button)
        team_layout.addLayout(add_row)
        change_row = QHBoxLayout()
        self.member_role = role_combo()
        self.change_button = QPushButton("Change role")
        self.change_button.clicked.connect(self._change_role)
        self.remove_button = QPushButton("Remove from team")
        self.remove_button.clicked.connect(self._remove_member)
        change_row.addStretch(1)
        change_row.addWidget(self.member_role)
        change_row.addWidget(self.change_button)
        change_row.addWidget(self.remove_button)
        team_layout.addLayout(change_row)

        firm_box = QGroupBox("Firm staff")
        firm_layout = QVBoxLayout(firm_box)
        self.people_model = PeopleTableModel(self)
        self.people_table = make_table(self.people_model, stretch=0, sortable=False)
        firm_layout.addWidget(self.people_table, 1)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Jordan Ellis")
        self.initials_edit = QLineEdit()
        self.initials_edit.setMaxLength(10)
        self.initials_edit.setPlaceholderText("e.g. JE")
        self.person_role = role_combo()
        form.addRow("Name", self.name_edit)
        form.addRow("Initials", self.initials_edit)
        form.addRow("Firm role", self.person_role)
        firm_layout.addLayout(form)
        self.add_person_button = QPushButton("Add person to the firm")
        self.add_person_button.clicked.connect(self._add_person)
        firm_layout.addWidget(self.add_person_button)

        row.addWidget(team_box, 3)
        row.addWidget(firm_box, 2)
        self.layout_.addLayout(row, 1)

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        people = services.list_people(self.ctx.store.reader())
        self.people = people
        self.team_model.set_records(engagement.team)
        self.people_model.set_records(people)
        on_team = {m.person_id for m in engagement.team}
        chosen = self.person_combo.currentData()
        self.person_combo.blockSignals(True)
        self.person_combo.clear()
        for person in people:
            if person.id not in on_team:
                self.person_combo.addItem(f"{person.name} ({person.initials})", person.initials)
        # The placeholder speaks only when it is true: nobody is left to add.
        self.person_combo.setPlaceholderText("" if self.person_combo.count() else EVERYONE_ON_TEAM)
        found = self.person_combo.findData(chosen) if chosen else -1
        self.person_combo.setCurrentIndex(found if found >= 0 else (0 if self.person_combo.count() else -1))
        self.person_combo.blockSignals(False)
        self._person_chosen()
        self.add_button.setEnabled(self.person_combo.count() > 0)
        self.header.set_subtitle(f"{len(engagement.team)} people on {engagement.ref}; "
                                 f"{len(people)} on the firm's staff list.")
        self._member_selected()

    def _selected_member(self) -> TeamMember | None:
        index = self.team_table.currentIndex()
        member: TeamMember | None = index.data(RECORD_ROLE) if index.isValid() else None
        return member

    def _member_selected(self, *_args: object) -> None:
        member = self._selected_member()
        self.change_button.setEnabled(member is not None)
        self.remove_button.setEnabled(member is not None)
        if member is not None:
            self.member_role.setCurrentIndex(self.member_role.findData(member.role))
        emit(self.detail_changed, self.current_detail())

    def has_unsaved_edits(self) -> bool:
        """A person typed for the firm's staff, or a team member's new role chosen, and not saved."""
        member = self._selected_member()
        role_changed = member is not None and self.member_role.currentData() != member.role
        return bool(self.name_edit.text().strip() or self.initials_edit.text().strip() or role_changed)

    def current_detail(self) -> Detail | None:
        member = self._selected_member()
        if member is None:
            return None
        return Detail(member.name, (("Initials", member.initials), ("Role", role_label(member.role))))

    def _person_chosen(self, *_args: object) -> None:
        """Propose the person's firm role for the engagement."""
        person = next((p for p in self.people if p.initials == self.person_combo.currentData()), None)
        if person is not None:
            self.add_role.setCurrentIndex(self.add_role.findData(person.role))

    def _add_member(self) -> None:
        initials = self.person_combo.currentData()
        person = next((p for p in self.people if p.initials == initials), None)
        if person is not None:
            push_done(self.ctx, TeamMemberCommand(self.ctx, person.initials, person.name,
                                                  Role(self.add_role.currentData()), None), SCREEN)

    def _change_role(self) -> None:
        member = self._selected_member()
        if member is not None:
            push_done(self.ctx, TeamMemberCommand(self.ctx, member.initials, member.name,
                                                  Role(self.member_role.currentData()), member), SCREEN)

    def _remove_member(self) -> None:
        member = self._selected_member()
        if member is not None:
            push_done(self.ctx, RemoveTeamMemberCommand(self.ctx, member), SCREEN)

    def _add_person(self) -> None:
        person = attempt(self, people_actions.add_person, ctx=self.ctx, name=self.name_edit.text(),
                         initials=self.initials_edit.text(), role=Role(self.person_role.currentData()))
        if person is not None:
            self.name_edit.clear()
            self.initials_edit.clear()
            self.ctx.notify(Topic.PEOPLE)
