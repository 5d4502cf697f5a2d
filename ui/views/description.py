"""The system description: DC 200 sections, CUECs, subservice organizations and CSOCs."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Cuec, DescriptionSection, SubserviceMethod, SubserviceOrg
from auditdesk.services.versioning import version_of
from ui.context import AppContext, Topic
from ui.dialogs.conflict import push_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.description import (
    CsocDraft,
    CsocDraftModel,
    CuecTableModel,
    SectionTableModel,
    SubserviceTableModel,
    split_criteria,
)
from ui.undo import (
    DeleteCuecCommand,
    DeleteSubserviceCommand,
    SaveCuecCommand,
    SaveSubserviceCommand,
    SectionEditCommand,
    push_done,
)
from ui.versioned import Baseline
from ui.views.base import WorkspaceView
from ui.widgets.tables import make_table

_METHOD_HELP = {
    SubserviceMethod.CARVE_OUT: "Carve-out: the subservice organization's controls are left out of the description; "
    "list the controls the service organization assumes it performs (CSOCs).",
    SubserviceMethod.INCLUSIVE: "Inclusive: the subservice organization's relevant controls are part of the "
    "description and the examination.",
}


def _row_buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


def _select_row(table: QTableView, row: int) -> None:
    if 0 <= row < table.model().rowCount():
        table.setCurrentIndex(table.model().index(row, 0))


class SectionsEditor(QWidget):
    """The nine DC 200 sections: a list and a text editor for the chosen one."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = SectionTableModel(self)
        self.table = make_table(self.model, stretch=0, sortable=False)
        self.table.selectionModel().currentRowChanged.connect(self._section_changed)
        self.title = QLabel()
        self.title.setObjectName("sectionHeading")
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write this section of the description as it will appear in the report.")
        self.editor.textChanged.connect(self._update_buttons)
        self.save_button = QPushButton("Save section")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self._revert)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.editor, 1)
        right_layout.addLayout(_row_buttons(self.revert_button, self.save_button))
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([380, 620])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(splitter)
        self.current: DescriptionSection | None = None
        #: the version of the section as the editor loaded it: a save names it (services.versioning)
        self.version: str | None = None
        self._loading = False

    def load(self, sections: tuple[DescriptionSection, ...]) -> None:
        key = self.current.key if self.current else sections[0].key
        draft = self.editor.toPlainText() if self.dirty else None
        loaded = (self.current, self.version)
        self._loading = True
        self.model.set_records(sections)
        _select_row(self.table, self.model.row_of(key))
        self._loading = False
        if draft is not None and self.current is not None and draft != self.current.body:
            # An unsaved draft survives a refresh, still naming the version it was written on,
            # so saving it over someone else's newer text asks first.
            if loaded[0] is not None and loaded[0].key == self.current.key:
                self.current, self.version = loaded
            self.editor.setPlainText(draft)
            self._update_buttons()

    @property
    def dirty(self) -> bool:
        return self.current is not None and self.editor.toPlainText() != self.current.body

    def _section_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        if self.dirty and not self._loading:
            self.save()  # moving to another section keeps what was typed (undoable)
        section: DescriptionSection = current.data(RECORD_ROLE)
        self._show(section)

    def _show(self, section: DescriptionSection) -> None:
        self.current = section
        self.version = version_of(section)
        self.title.setText(section.title)
        self.editor.setPlainText(section.body)
        self._update_buttons()

    def _revert(self) -> None:
        if self.current is not None:
            self.editor.setPlainText(self.current.body)

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.dirty)
        self.revert_button.setEnabled(self.dirty)

    def save(self) -> None:
        section = self.current
        if section is None or not self.dirty:
            return
        body = self.editor.toPlainText()

        def make(version: str | None, base: object) -> SectionEditCommand:
            before = base.body if isinstance(base, DescriptionSection) else section.body
            return SectionEditCommand(self.ctx, section.key, section.title, before, body, expected_version=version)

        def take_theirs(theirs: object) -> None:
            if isinstance(theirs, DescriptionSection):
                self.model.upsert(theirs)
                self._show(theirs)

        if push_versioned(self.ctx, make, self.version, mine=DescriptionSection(section.key, section.title, body),
                          on_theirs=take_theirs, parent=self):
            saved = DescriptionSection(section.key, section.title, body)
            self.current, self.version = saved, version_of(saved)
            self._update_buttons()


class CuecEditor(QWidget):
    """Complementary user entity controls: the table and a form for one."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = CuecTableModel(self)
        self.table = make_table(self.model, stretch=1, sortable=False)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.ref_edit = QLineEdit()
        self.ref_edit.setPlaceholderText("e.g. CUEC-04")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.criteria_edit = QLineEdit()
        self.criteria_edit.setPlaceholderText("Criteria IDs, e.g. CC6.1, CC6.2")
        form = QFormLayout()
        form.addRow("Reference", self.ref_edit)
        form.addRow("User entity control", self.text_edit)
        form.addRow("Criteria", self.criteria_edit)
        new_button = QPushButton("New CUEC")
        new_button.clicked.connect(self.new)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        self.save_button = QPushButton("Save CUEC")
        self.save_button.clicked.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(_row_buttons(new_button, self.delete_button, self.save_button))
        self.current: Cuec | None = None
        self.baseline = Baseline(
            lambda: (self.ref_edit.text(), self.text_edit.toPlainText(), self.criteria_edit.text()))

    def load(self, cuecs: tuple[Cuec, ...]) -> None:
        keep = self.current.id if self.current else None
        self.model.set_records(cuecs)
        row = self.model.row_of(keep) if keep is not None else -1
        if row >= 0:
            _select_row(self.table, row)
        else:
            self._fill(None)

    def _selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._fill(current.data(RECORD_ROLE) if current.isValid() else None)

    def _fill(self, cuec: Cuec | None) -> None:
        self.current = cuec
        self.ref_edit.setText(cuec.ref if cuec else "")
        self.text_edit.setPlainText(cuec.description if cuec else "")
        self.criteria_edit.setText(", ".join(cuec.criteria) if cuec else "")
        self.delete_button.setEnabled(cuec is not None)
        self.baseline.reset()

    @property
    def dirty(self) -> bool:
        return self.baseline.dirty

    def new(self) -> None:
        self.table.clearSelection()
        self.table.selectionModel().clearCurrentIndex()
        self._fill(None)
        self.ref_edit.setFocus()

    def save(self) -> None:
        loaded = self.current
        ref, body = self.ref_edit.text(), self.text_edit.toPlainText()
        criteria = split_criteria(self.criteria_edit.text())
        made: list[SaveCuecCommand] = []

        def make(version: str | None, base: object) -> SaveCuecCommand:
            before = base if isinstance(base, Cuec) else loaded
            made.append(SaveCuecCommand(self.ctx, before, ref, body, criteria, expected_version=version))
            return made[-1]

        def take_theirs(theirs: object) -> None:
            self._fill(theirs if isinstance(theirs, Cuec) else None)
            self.ctx.notify(Topic.DESCRIPTION)

        version = version_of(loaded) if loaded is not None else None
        mine = Cuec(loaded.id if loaded else 0, ref.strip(), body.strip(), criteria)
        if push_versioned(self.ctx, make, version, mine=mine, on_theirs=take_theirs, parent=self):
            self.current = made[-1].saved
            self.baseline.reset()

    def delete(self) -> None:
        if self.current is not None and push_done(self.ctx, DeleteCuecCommand(self.ctx, self.current)):
            self.current = None


class SubserviceEditor(QWidget):
    """Subservice organizations with their method and complementary controls (CSOCs)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = SubserviceTableModel(self)
        self.table = make_table(self.model, stretch=1, sortable=False)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.name_edit = QLineEdit()
        self.services_edit = QLineEdit()
        self.services_edit.setPlaceholderText("What it does for the service organization")
        self.method_combo = QComboBox()
        for method in SubserviceMethod:
            self.method_combo.addItem(method.value, method)
        self.method_help = QLabel()
        self.method_help.setObjectName("hintLabel")
        self.method_help.setWordWrap(True)
        self.method_combo.currentIndexChanged.connect(
            lambda _i: self.method_help.setText(_METHOD_HELP[SubserviceMethod(self.method_combo.currentData())]))
        self.csocs = CsocDraftModel(self)
        self.csoc_table = make_table(self.csocs, stretch=0, sortable=False)
        self.csoc_table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed
                                        | QAbstractItemView.EditTrigger.AnyKeyPressed)
        add_csoc = QPushButton("Add CSOC")
        add_csoc.clicked.connect(self._add_csoc)
        remove_csoc = QPushButton("Remove CSOC")
        remove_csoc.clicked.connect(self._remove_csoc)
        form = QFormLayout()
        form.addRow("Organization", self.name_edit)
        form.addRow("Services", self.services_edit)
        form.addRow("Method", self.method_combo)
        form.addRow("", self.method_help)
        new_button = QPushButton("New organization")
        new_button.clicked.connect(self.new)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        self.save_button = QPushButton("Save organization")
        self.save_button.clicked.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.table, 2)
        layout.addLayout(form)
        csoc_bar = QHBoxLayout()
        heading = QLabel("Complementary subservice organization controls")
        heading.setObjectName("sectionHeading")
        csoc_bar.addWidget(heading)
        csoc_bar.addStretch(1)
        csoc_bar.addWidget(add_csoc)
        csoc_bar.addWidget(remove_csoc)
        layout.addLayout(csoc_bar)
        layout.addWidget(self.csoc_table, 2)
        layout.addLayout(_row_buttons(new_button, self.delete_button, self.save_button))
        self.current: SubserviceOrg | None = None
        self.baseline = Baseline(lambda: (self.name_edit.text(), self.services_edit.text(),
                                          self.method_combo.currentData(), self.csocs.as_input()))
        self._fill(None)

    def load(self, orgs: tuple[SubserviceOrg, ...]) -> None:
        keep = self.current.id if self.current else None
        self.model.set_records(orgs)
        row = self.model.row_of(keep) if keep is not None else -1
        if row >= 0:
            _select_row(self.table, row)
        else:
            self._fill(None)

    def _selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._fill(current.data(RECORD_ROLE) if current.isValid() else None)

    def _fill(self, org: SubserviceOrg | None) -> None:
        self.current = org
        self.name_edit.setText(org.name if org else "")
        self.services_edit.setText(org.services if org else "")
        method = org.method if org else SubserviceMethod.CARVE_OUT
        self.method_combo.setCurrentIndex(self.method_combo.findData(method))
        self.method_help.setText(_METHOD_HELP[method])
        self.csocs.set_records([CsocDraft(c.description, ", ".join(c.criteria)) for c in org.csocs] if org else [])
        self.delete_button.setEnabled(org is not None)
        self.baseline.reset()

    @property
    def dirty(self) -> bool:
        return self.baseline.dirty

    def _add_csoc(self) -> None:
        self.csocs.append(CsocDraft("Describe the control the subservice organization performs", ""))
        index = self.csocs.index(self.csocs.rowCount() - 1, 0)
        self.csoc_table.setCurrentIndex(index)
        self.csoc_table.edit(index)

    def _remove_csoc(self) -> None:
        index = self.csoc_table.currentIndex()
        if index.isValid():
            self.csocs.remove_row(index.row())

    def new(self) -> None:
        self.table.clearSelection()
        self.table.selectionModel().clearCurrentIndex()
        self._fill(None)
        self.name_edit.setFocus()

    def draft(self) -> SubserviceOrg:
        from auditdesk.domain import Csoc

        return SubserviceOrg(
            id=self.current.id if self.current else 0,
            name=self.name_edit.text(),
            services=self.services_edit.text(),
            method=SubserviceMethod(self.method_combo.currentData()),
            csocs=tuple(Csoc(0, text, criteria) for text, criteria in self.csocs.as_input()),
        )

    def save(self) -> None:
        loaded, draft = self.current, self.draft()
        made: list[SaveSubserviceCommand] = []

        def make(version: str | None, base: object) -> SaveSubserviceCommand:
            before = base if isinstance(base, SubserviceOrg) else loaded
            made.append(SaveSubserviceCommand(self.ctx, before, draft, expected_version=version))
            return made[-1]

        def take_theirs(theirs: object) -> None:
            self._fill(theirs if isinstance(theirs, SubserviceOrg) else None)
            self.ctx.notify(Topic.DESCRIPTION)

        version = version_of(loaded) if loaded is not None else None
        if push_versioned(self.ctx, make, version, mine=draft, on_theirs=take_theirs, parent=self):
            self.current = made[-1].saved
            self.baseline.reset()

    def delete(self) -> None:
        if self.current is not None and push_done(self.ctx, DeleteSubserviceCommand(self.ctx, self.current)):
            self.current = None


class DescriptionView(WorkspaceView):
    topics = frozenset({Topic.DESCRIPTION, Topic.ENGAGEMENT})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "System description",
                         "The description of the system (DC 200), its complementary user entity controls and "
                         "subservice organizations.", parent)
        self.sections = SectionsEditor(ctx)
        self.cuecs = CuecEditor(ctx)
        self.subservice = SubserviceEditor(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.sections, "DC 200 sections")
        self.tabs.addTab(self.cuecs, "CUECs")
        self.tabs.addTab(self.subservice, "Subservice organizations")
        self.layout_.addWidget(self.tabs, 1)

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        reader = self.ctx.store.reader
        sections = services.list_sections(reader(), engagement.ref)
        cuecs = services.list_cuecs(reader(), engagement.ref)
        orgs = services.list_subservice_orgs(reader(), engagement.ref)
        self.sections.load(sections)
        self.cuecs.load(cuecs)
        self.subservice.load(orgs)
        written = sum(1 for s in sections if s.body.strip())
        self.tabs.setTabText(0, f"DC 200 sections ({written}/{len(sections)})")
        self.tabs.setTabText(1, f"CUECs ({len(cuecs)})")
        self.tabs.setTabText(2, f"Subservice organizations ({len(orgs)})")

    def focus_filter(self) -> bool:
        return False

    def has_unsaved_edits(self) -> bool:
        """A section, CUEC or subservice organization typed and not saved."""
        return self.sections.dirty or self.cuecs.dirty or self.subservice.dirty
