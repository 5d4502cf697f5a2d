"""Exceptions: every deviation found in testing, documented for the report.

Each record says what happened, why (root cause), what management says about
it (their words, unaudited, shown as such in section 5 of the report) and
whether another control compensates.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.errors import ConflictError
from auditdesk.services.versioning import version_of
from ui import feedback
from ui.actions import testing as testing_actions
from ui.context import AppContext, Topic
from ui.dialogs.conflict import call_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.exceptions import MANAGEMENT_RESPONSE, ExceptionTableModel, documented, source_text
from ui.qt_compat import emit
from ui.versioned import Baseline
from ui.views.fieldwork import FieldworkView, card, hint, scrolled
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, make_table

NO_COMPENSATION = "— none —"


def _text_edit(placeholder: str, height: int = 64) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(height)
    return edit


class AddExceptionDialog(QDialog):
    """A finding that did not come from a sampled item, e.g. a design gap."""

    def __init__(self, refs: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add an exception")
        self.control_combo = QComboBox()
        self.control_combo.addItems(refs)
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("What was found, e.g. the quarterly review was not performed in Q2")
        form = QFormLayout()
        form.addRow("Control", self.control_combo)
        form.addRow("Description", self.description_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint("Deviations on sampled items open their exception by themselves; add one here for "
                              "findings outside a sample."))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, 160)


class ExceptionEditor(QWidget):
    """The documentation of one exception."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exception: services.ExceptionRecord | None = None
        #: the version of the exception as loaded: a save names it (services.versioning)
        self.version: str | None = None
        self.title = QLabel("No exception selected")
        self.title.setObjectName("sectionHeading")
        self.source = hint()
        self.description_edit = _text_edit("What happened (this wording appears in section 4)")
        self.root_cause_edit = _text_edit("Why it happened")
        self.response_label = QLabel(MANAGEMENT_RESPONSE)
        self.response_label.setObjectName("warningLabel")
        self.response_label.setToolTip("Management's own words, presented in section 5 of the report; "
                                       "the service auditor does not audit them")
        self.response_edit = _text_edit("Management's words: what they did or will do about it")
        self.compensating_combo = QComboBox()
        self.compensating_combo.setToolTip("Only a control you tested and concluded effective for the whole period "
                                           "can be named; being mapped to the same criterion is not enough")
        self.compensating_note_edit = _text_edit("Why it addresses the same risk as this exception", 48)
        self.evaluation_edit = _text_edit("Your evaluation: nature, cause and effect on the control", 48)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        form = QFormLayout()
        form.addRow("Description", self.description_edit)
        form.addRow("Root cause", self.root_cause_edit)
        form.addRow(self.response_label, self.response_edit)
        form.addRow("Compensating control", self.compensating_combo)
        form.addRow("Why it compensates", self.compensating_note_edit)
        form.addRow("Evaluation", self.evaluation_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.source)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.baseline = Baseline(self.values)
        self.set_exception(None, [])

    @property
    def dirty(self) -> bool:
        """Documentation typed and not saved."""
        return self.exception is not None and self.baseline.dirty

    def set_exception(self, exception: services.ExceptionRecord | None, refs: list[str]) -> None:
        self.exception = exception
        self.version = None if exception is None else version_of(exception)
        self.compensating_combo.clear()
        self.compensating_combo.addItem(NO_COMPENSATION, "")
        for ref in refs:
            if exception is None or ref != exception.control_ref:
                self.compensating_combo.addItem(ref, ref)
        enabled = exception is not None
        for widget in (self.description_edit, self.root_cause_edit, self.response_edit, self.compensating_combo,
                       self.compensating_note_edit, self.evaluation_edit, self.save_button):
            widget.setEnabled(enabled)
        if exception is None:
            self.title.setText("No exception selected")
            self.source.setText("Deviations recorded in Testing appear here; select one to document it.")
            for edit in (self.description_edit, self.root_cause_edit, self.response_edit,
                         self.compensating_note_edit, self.evaluation_edit):
                edit.setPlainText("")
            self.baseline.reset()
            return
        self.title.setText(f"Exception {exception.id} · {exception.control_ref}"
                           + ("" if exception.status == "open" else f" ({exception.status})"))
        self.source.setText(source_text(exception) + f" · opened by {exception.created_by}")
        self.description_edit.setPlainText(exception.description)
        self.root_cause_edit.setPlainText(exception.root_cause)
        self.response_edit.setPlainText(exception.management_response)
        self.compensating_combo.setCurrentIndex(max(self.compensating_combo.findData(exception.compensating_control),
                                                    0))
        self.compensating_note_edit.setPlainText(exception.compensating_note)
        self.evaluation_edit.setPlainText(exception.evaluation)
        self.baseline.reset()

    def values(self) -> dict[str, str]:
        return {
            "description": self.description_edit.toPlainText().strip(),
            "root_cause": self.root_cause_edit.toPlainText().strip(),
            "management_response": self.response_edit.toPlainText().strip(),
            "compensating_control": str(self.compensating_combo.currentData() or ""),
            "compensating_note": self.compensating_note_edit.toPlainText().strip(),
            "evaluation": self.evaluation_edit.toPlainText().strip(),
        }


class ExceptionsView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.RESULTS, Topic.EXCEPTIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Exceptions", parent=parent)
        self.refs: list[str] = []
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by control, item or description  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.add_button = QPushButton("Add exception…")
        self.add_button.clicked.connect(self.add_exception)
        self.count_label = hint()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.add_button)
        self.layout_.addLayout(bar)

        self.model = ExceptionTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=ExceptionTableModel.DESCRIPTION_COLUMN)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.editor = ExceptionEditor()
        self.editor.save_button.clicked.connect(self.save)
        scroll = scrolled(self.editor)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(card(scroll))
        splitter.setSizes([260, 440])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        current = self.selected()
        reader = self.ctx.store.reader
        self.refs = [c.ref for c in services.list_controls(reader(), engagement.ref)]
        records = services.list_exceptions(reader(), engagement.ref)
        self.model.set_records(records)
        self._update_header()
        self._update_count()
        if not self.select(current.id if current else None):
            self.editor.set_exception(None, self.refs)
            emit(self.detail_changed, None)

    def _update_header(self) -> None:
        """The open exceptions and how many still lack documentation, from the records shown."""
        records = self.model.records()
        open_count = sum(1 for e in records if e.status == "open")
        undocumented = sum(1 for e in records if e.status == "open" and documented(e) != "Complete")
        self.header.set_subtitle(
            f"{open_count} open exception{'s' if open_count != 1 else ''}"
            + (f", {undocumented} still to document" if undocumented else "")
            + ". Deviations open an exception by themselves; management's response is their words, unaudited."
        )

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{total} exceptions" if total == shown else f"{shown} of {total} shown")

    def selected(self) -> services.ExceptionRecord | None:
        index = self.table.currentIndex()
        record: services.ExceptionRecord | None = index.data(RECORD_ROLE) if index.isValid() else None
        return record

    def select(self, exception_id: int | None) -> bool:
        row = self.model.row_of(exception_id) if exception_id is not None else -1
        if row < 0:
            row = 0 if self.model.rowCount() else -1
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.filter_edit.clear()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.editor.set_exception(self.model.record(row), self.refs)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.editor.set_exception(current.data(RECORD_ROLE) if current.isValid() else None, self.refs)
        emit(self.detail_changed, self.current_detail())

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def save(self) -> services.ExceptionRecord | None:
        exception = self.editor.exception
        if exception is None:
            return None
        values = self.editor.values()

        def save(conflict: ConflictError | None) -> services.ExceptionRecord:
            version = self.editor.version if conflict is None else conflict.version
            return testing_actions.update_exception(ctx=self.ctx, exception_id=exception.id,
                                                    expected_version=version, **values)

        def take_theirs(theirs: object) -> None:
            if isinstance(theirs, services.ExceptionRecord):
                self.model.upsert(theirs)
                self._update_header()
                self.editor.set_exception(theirs, self.refs)
                emit(self.detail_changed, self.current_detail())
            else:  # removed meanwhile
                self.load()

        saved = call_versioned(self.ctx, save, mine=values, on_theirs=take_theirs, parent=self)
        if saved is not None:
            self.model.upsert(saved)
            self._update_header()  # "still to document" follows what was just saved
            self.editor.set_exception(saved, self.refs)
            self.announce(Topic.EXCEPTIONS, Topic.CONCLUSIONS)
            emit(self.detail_changed, self.current_detail())
        return saved

    def has_unsaved_edits(self) -> bool:
        return self.editor.dirty

    def add_exception(self) -> None:
        if not self.refs:
            return
        dialog = AddExceptionDialog(self.refs, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add(dialog.control_combo.currentText(),
                                                 dialog.description_edit.text()))
        self.add_dialog = dialog
        dialog.open()

    def add(self, control_ref: str, description: str) -> services.ExceptionRecord | None:
        added = feedback.attempt(self, testing_actions.add_exception, ctx=self.ctx, control_ref=control_ref,
                                 description=description)
        if added is not None:
            self.announce(Topic.EXCEPTIONS, Topic.CONCLUSIONS)
            self.load()
            self.select(added.id)
        return added

    def current_detail(self) -> Detail | None:
        e = self.selected()
        if e is None:
            return None
        return Detail(
            title=f"Exception {e.id} · {e.control_ref}",
            rows=(("Source", source_text(e)), ("Status", e.status), ("Documentation", documented(e)),
                  ("Compensating", e.compensating_control or "none"), ("Opened by", e.created_by)),
            notes=(f"{MANAGEMENT_RESPONSE}: {e.management_response}",) if e.management_response else (),
        )
