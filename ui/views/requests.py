"""Client requests: what the audit team has asked the client for, who owes it, and what came back.

Requests are made for a sample's items (one per item), for a walkthrough or a
population, or by hand. The list filters by status (overdue included), control
and assignee; status, assignee and due date change for the selected requests at
once (undoable), and a file that answers a request is filed with it, hashed.
The list goes to the client as an Excel workbook and comes back through
Import returned request list, which shows what changes before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.errors import ConflictError
from auditdesk.services.requests import KEEP, ClientRequest, Keep, RequestCounts, RequestStatus
from auditdesk.services.versioning import version_of
from ui import feedback
from ui.actions import requests as request_actions
from ui.context import AppContext, Topic
from ui.dialogs.conflict import call_versioned
from ui.dialogs.import_requests import ExcelExchange
from ui.models.columns import RECORD_ROLE
from ui.models.requests import RequestTableModel, status_text
from ui.models.samples import sample_title
from ui.qt_compat import emit
from ui.undo import ServiceCommand
from ui.views.fieldwork import FieldworkView, card, hint
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, make_table

#: this screen's name: its edits go on its own undo stack
SCREEN = "requests"
ALL = ""
OVERDUE = "overdue"
UNCHANGED = "— unchanged —"


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


class DueDateEdit(QWidget):
    """A due date, or none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox("Due")
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd")
        self.edit.setDate(_qdate(dt.date.today() + dt.timedelta(days=14)))
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)

    def value(self) -> dt.date | None:
        return _pydate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, day: dt.date | None) -> None:
        self.check.setChecked(day is not None)
        if day is not None:
            self.edit.setDate(_qdate(day))


class SampleRequestsDialog(QDialog):
    """Make a request for every item of a sample that has none yet."""

    def __init__(self, samples: tuple[services.Sample, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleRequestsDialog")
        self.setWindowTitle("Requests for a sample")
        self.sample_combo = QComboBox()
        for s in samples:
            self.sample_combo.addItem(sample_title(s), s.id)
        self.assignee_edit = QLineEdit()
        self.assignee_edit.setPlaceholderText("The client's person (default: the control's owner)")
        self.due = DueDateEdit()
        form = QFormLayout()
        form.addRow("Sample", self.sample_combo)
        form.addRow("Assignee", self.assignee_edit)
        form.addRow("Due date", self.due)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Make requests")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(samples))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint("One request per sampled item, asking for the evidence of the control's test "
                              "attributes; items that already have a request are left as they are."))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, 200)

    @property
    def sample_id(self) -> int | None:
        chosen = self.sample_combo.currentData()
        return None if chosen is None else int(chosen)


class AddRequestDialog(QDialog):
    """A request written by hand, for a control or for the engagement."""

    def __init__(self, refs: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addRequestDialog")
        self.setWindowTitle("Add a request")
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("What the client should provide, e.g. the current organisation chart")
        self.control_combo = QComboBox()
        self.control_combo.addItem("— no control —", "")
        for ref in refs:
            self.control_combo.addItem(ref, ref)
        self.assignee_edit = QLineEdit()
        self.due = DueDateEdit()
        form = QFormLayout()
        form.addRow("Requested", self.description_edit)
        form.addRow("Control", self.control_combo)
        form.addRow("Assignee", self.assignee_edit)
        form.addRow("Due date", self.due)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, 180)


class RequestEditCommand(ServiceCommand):
    """Status, assignee or due date of the selected requests; undo puts each back as it was."""

    def __init__(self, ctx: AppContext, before: tuple[ClientRequest, ...], *, status: RequestStatus | None,
                 assignee: str | None, due_date: dt.date | None | Keep,
                 expected_versions: list[str | None] | None = None) -> None:
        what = f"request {before[0].ref}" if len(before) == 1 else f"{len(before)} requests"
        super().__init__(ctx, f"Change {what}")
        self.before = before
        self.status = status
        self.assignee = assignee
        self.due_date = due_date
        #: per request, the version the next run replaces (None: not compared): first the one the screen
        #: loaded, then the one this command's last undo or redo left, so none overwrites someone else's save
        self.expected_versions = expected_versions
        self.after: tuple[ClientRequest, ...] = ()

    def apply(self) -> None:
        self.after = request_actions.update_requests(
            ctx=self.ctx, refs=[r.ref for r in self.before], status=self.status, assignee=self.assignee,
            due_date=self.due_date, expected_versions=self.expected_versions,
        )
        self._left(self.after)
        self.ctx.notify(Topic.REQUESTS)

    def revert(self) -> None:
        restored = request_actions.restore_requests(ctx=self.ctx, previous=self.before,
                                                    expected_versions=self.expected_versions)
        self._left(restored)
        self.ctx.notify(Topic.REQUESTS)

    def _left(self, requests: tuple[ClientRequest, ...]) -> None:
        if self.expected_versions is not None:
            self.expected_versions = [version_of(r) for r in requests]


class RequestEditor(QWidget):
    """Status, assignee and due date for the selected requests, and evidence for one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_combo = QComboBox()
        self.status_combo.addItem(UNCHANGED, None)
        for status in RequestStatus:
            self.status_combo.addItem(status.label, status.value)
        self.assignee_edit = QLineEdit()
        self.assignee_edit.setPlaceholderText(UNCHANGED)
        self.due_mode = QComboBox()
        self.due_mode.addItems([UNCHANGED, "Set to", "No due date"])
        self.due_edit = QDateEdit()
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        self.due_edit.setDate(_qdate(dt.date.today() + dt.timedelta(days=14)))
        self.due_edit.setEnabled(False)
        self.due_mode.currentIndexChanged.connect(lambda i: self.due_edit.setEnabled(i == 1))
        self.apply_button = QPushButton("Apply to selected")
        self.apply_button.setObjectName("applyRequestEdit")
        self.evidence_button = QPushButton("File evidence…")
        self.evidence_button.setToolTip("File the document that answers the selected request (kept hashed); "
                                        "an open request becomes received")
        due = QHBoxLayout()
        due.addWidget(self.due_mode)
        due.addWidget(self.due_edit, 1)
        form = QFormLayout()
        form.addRow("Status", self.status_combo)
        form.addRow("Assignee", self.assignee_edit)
        form.addRow("Due date", due)
        buttons = QHBoxLayout()
        buttons.addWidget(self.evidence_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = hint("Select requests to change them.")
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.set_selection(())

    def set_selection(self, selected: tuple[ClientRequest, ...]) -> None:
        for widget in (self.status_combo, self.assignee_edit, self.due_mode, self.apply_button):
            widget.setEnabled(bool(selected))
        self.evidence_button.setEnabled(len(selected) == 1 and bool(selected[0].control_ref))
        self.status_combo.setCurrentIndex(0)
        self.assignee_edit.clear()
        self.due_mode.setCurrentIndex(0)
        if not selected:
            self.title.setText("Select requests to change them.")
        elif len(selected) == 1:
            self.title.setText(f"{selected[0].ref}: {selected[0].description}")
        else:
            self.title.setText(f"{len(selected)} requests selected: a change applies to all of them.")

    @property
    def dirty(self) -> bool:
        """A change chosen and not applied yet."""
        status, assignee, due = self.values()
        return status is not None or assignee is not None or not isinstance(due, Keep)

    def values(self) -> tuple[RequestStatus | None, str | None, dt.date | None | Keep]:
        raw = self.status_combo.currentData()
        status = None if raw is None else RequestStatus(raw)
        assignee = self.assignee_edit.text().strip() or None
        mode = self.due_mode.currentIndex()
        due: dt.date | None | Keep = KEEP if mode == 0 else (_pydate(self.due_edit.date()) if mode == 1 else None)
        return status, assignee, due


class RequestsView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.SAMPLES, Topic.EVIDENCE, Topic.REQUESTS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Client requests", parent=parent)
        self.refs: list[str] = []
        self.counts: RequestCounts | None = None
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by request, item or text  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.addItem("All statuses", ALL)
        self.status_filter.addItem("Overdue", OVERDUE)
        for status in RequestStatus:
            self.status_filter.addItem(status.label, status.value)
        self.control_filter = QComboBox()
        self.control_filter.setObjectName("controlFilter")
        self.assignee_filter = QComboBox()
        self.assignee_filter.setObjectName("assigneeFilter")
        for combo in (self.status_filter, self.control_filter, self.assignee_filter):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.count_label = hint()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.control_filter)
        bar.addWidget(self.assignee_filter)
        bar.addWidget(self.count_label)
        self.layout_.addLayout(bar)

        actions = QHBoxLayout()
        self.sample_button = QPushButton("Requests for a sample…")
        self.sample_button.setObjectName("sampleRequestsButton")
        self.sample_button.clicked.connect(self.open_sample_dialog)
        self.add_button = QPushButton("Add request…")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.export_button = QPushButton("Export request list…")
        self.export_button.setToolTip("Write the list for the client: an Excel workbook with their columns unlocked")
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = QPushButton("Import returned list…")
        self.import_button.setToolTip("Read the list the client filled in; you see what changes before it is stored")
        self.import_button.clicked.connect(self.choose_import)
        for button in (self.sample_button, self.add_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)
        actions.addWidget(self.import_button)
        self.layout_.addLayout(actions)
        self.excel = ExcelExchange(ctx, self)
        self.excel.imported.connect(self._imported)

        self.model = RequestTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=RequestTableModel.REQUESTED_COLUMN)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.editor = RequestEditor()
        self.editor.apply_button.clicked.connect(self.apply_edit)
        self.editor.evidence_button.clicked.connect(self.choose_evidence)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(card(self.editor))
        splitter.setSizes([460, 180])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)

    # ---- loading and filtering --------------------------------------------------------------

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        selected = [r.ref for r in self.selected()]
        self.refs = [c.ref for c in services.list_controls(self.ctx.store.reader(), engagement.ref) if not c.retired]
        records = request_actions.list_requests(ctx=self.ctx)
        self.counts = request_actions.request_counts(ctx=self.ctx)
        controls = sorted({r.control_ref for r in records if r.control_ref})
        assignees = sorted({r.assignee for r in records if r.assignee}, key=str.casefold)
        self._fill_choices(self.control_filter, "All controls", controls)
        self._fill_choices(self.assignee_filter, "All assignees", assignees)
        self.model.set_records(records)
        locked = engagement.locked
        for button in (self.sample_button, self.add_button, self.import_button):
            button.setEnabled(not locked)
        self._update_header()
        self._apply_filters()
        self.select(selected)

    @staticmethod
    def _fill_choices(combo: QComboBox, everything: str, values: list[str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, ALL)
        for value in values:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _update_header(self) -> None:
        c = self.counts
        if c is None or not c.total:
            self.header.set_subtitle("No requests yet. Make them for a sample's items, or add one by hand.")
            return
        overdue = f"; {c.overdue} overdue" if c.overdue else ""
        self.header.set_subtitle(
            f"{c.total} requests: {c.open} open, {c.received} received, {c.follow_up} follow-up, "
            f"{c.accepted} accepted{overdue}."
        )

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def set_filters(self, *, status: str = ALL, control: str = ALL, assignee: str = ALL) -> None:
        """Choose the filters (``status`` is a status value or ``overdue``)."""
        for combo, value in ((self.status_filter, status), (self.control_filter, control),
                             (self.assignee_filter, assignee)):
            combo.setCurrentIndex(max(combo.findData(value), 0))
        self._apply_filters()

    def _apply_filters(self) -> None:
        status = str(self.status_filter.currentData() or ALL)
        control = str(self.control_filter.currentData() or ALL)
        assignee = str(self.assignee_filter.currentData() or ALL)
        today = dt.date.today()

        def keep(r: ClientRequest) -> bool:
            if status == OVERDUE and not r.overdue(today):
                return False
            if status not in (ALL, OVERDUE) and r.status.value != status:
                return False
            if control and r.control_ref != control:
                return False
            return not assignee or r.assignee == assignee

        everything = status == ALL and not control and not assignee
        self.proxy.set_predicate(None if everything else keep)
        self._update_count()

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{total} requests" if total == shown else f"{shown} of {total} shown")

    def visible_requests(self) -> tuple[ClientRequest, ...]:
        rows = range(self.proxy.rowCount())
        return tuple(self.proxy.index(row, 0).data(RECORD_ROLE) for row in rows)

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    # ---- selection ----------------------------------------------------------------------------

    def selected(self) -> tuple[ClientRequest, ...]:
        rows = self.table.selectionModel().selectedRows()
        found = [index.data(RECORD_ROLE) for index in sorted(rows, key=QModelIndex.row)]
        return tuple(r for r in found if r is not None)

    def select(self, refs: list[str]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for ref in refs:
            row = self.model.row_of(ref)
            index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
            if index.isValid():
                selection.select(index, QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
        self._selection_changed()

    def _selection_changed(self, *_args: object) -> None:
        selected = self.selected()
        locked = self.ctx.engagement is not None and self.ctx.engagement.locked
        self.editor.set_selection(() if locked else selected)
        emit(self.detail_changed, self.current_detail())

    # ---- editing ------------------------------------------------------------------------------

    def apply_edit(self) -> bool:
        before = self.selected()
        if not before:
            return False
        status, assignee, due = self.editor.values()
        if status is None and assignee is None and isinstance(due, Keep):
            return False
        # Each request names the version the list shows; one changed by someone else since asks first.
        versions = {r.ref: version_of(r) for r in before}
        loaded = {r.ref: r for r in before}

        def save(conflict: ConflictError | None) -> RequestEditCommand:
            if conflict is not None and isinstance(conflict.theirs, ClientRequest):
                versions[conflict.theirs.ref] = conflict.version
                loaded[conflict.theirs.ref] = conflict.theirs  # undo puts back what it replaced
            command = RequestEditCommand(self.ctx, tuple(loaded[r.ref] for r in before), status=status,
                                         assignee=assignee, due_date=due,
                                         expected_versions=[versions[r.ref] for r in before])
            command.apply()
            return command

        mine = {k: v for k, v in (("status", status), ("assignee", assignee)) if v is not None}
        if not isinstance(due, Keep):
            mine["due_date"] = due
        command = call_versioned(self.ctx, save, mine=mine if len(before) == 1 else None,
                                 on_theirs=lambda _theirs: self._refresh([r.ref for r in before]), parent=self)
        if command is None:
            return False
        command.stack = self.ctx.undo.push(command, SCREEN)
        self._refresh([r.ref for r in command.after])
        return True

    def has_unsaved_edits(self) -> bool:
        return self.editor.dirty

    def _refresh(self, refs: list[str]) -> None:
        self.announce(Topic.REQUESTS)
        self.load()
        self.select(refs)

    def open_sample_dialog(self) -> None:
        samples = request_actions.samples_for_requests(ctx=self.ctx)
        dialog = SampleRequestsDialog(samples, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.make_sample_requests(dialog.sample_id, dialog.assignee_edit.text(),
                                                                  dialog.due.value()))
        self.sample_dialog = dialog
        dialog.open()

    def make_sample_requests(self, sample_id: int | None, assignee: str = "",
                             due_date: dt.date | None = None) -> tuple[ClientRequest, ...] | None:
        if sample_id is None:
            return None
        made = feedback.attempt(self, request_actions.create_sample_requests, ctx=self.ctx, sample_id=sample_id,
                                assignee=assignee, due_date=due_date)
        if made is not None:
            self._refresh([r.ref for r in made])
        return made

    def open_add_dialog(self) -> None:
        dialog = AddRequestDialog(self.refs, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add_request(
            dialog.description_edit.text(), str(dialog.control_combo.currentData() or ""),
            dialog.assignee_edit.text(), dialog.due.value()))
        self.add_dialog = dialog
        dialog.open()

    def add_request(self, description: str, control_ref: str = "", assignee: str = "",
                    due_date: dt.date | None = None) -> ClientRequest | None:
        made = feedback.attempt(self, request_actions.create_request, ctx=self.ctx, description=description,
                                control_ref=control_ref, assignee=assignee, due_date=due_date)
        if made is not None:
            self._refresh([made.ref])
        return made

    def choose_evidence(self) -> None:
        selected = self.selected()
        if len(selected) != 1:
            return
        path, _filter = QFileDialog.getOpenFileName(self, f"Evidence for {selected[0].ref}", str(Path.home()),
                                                    "All files (*)")
        if path:
            self.attach_evidence(selected[0].ref, Path(path))

    def attach_evidence(self, ref: str, path: Path) -> bool:
        filed = feedback.attempt(self, request_actions.attach_request_evidence, ctx=self.ctx, ref=ref, path=path)
        if filed is None:
            return False
        self.announce(Topic.REQUESTS, Topic.EVIDENCE)
        self.load()
        self.select([ref])
        return True

    # ---- Excel --------------------------------------------------------------------------------

    def choose_export(self) -> None:
        self.excel.choose_export("requests")

    def choose_import(self) -> None:
        self.excel.choose_import()

    def _imported(self, _result: object) -> None:
        self.load()

    def current_detail(self) -> Detail | None:
        selected = self.selected()
        if len(selected) != 1:
            return None
        r = selected[0]
        rows = [("Status", status_text(r)), ("Control", r.control_ref or "none"), ("Assignee", r.assignee or "—"),
                ("Due", r.due_date.isoformat() if r.due_date else "—"), ("Made by", r.created_by),
                ("Evidence files", str(r.evidence_files))]
        if r.item_key:
            rows.insert(2, ("Item", r.item_key))
        notes = tuple(text for text in (f"Response: {r.response}" if r.response else "",
                                        f"Comments: {r.client_comment}" if r.client_comment else "") if text)
        return Detail(title=f"Request {r.ref}", rows=tuple(rows), notes=notes)
