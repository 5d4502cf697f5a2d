"""Controls: a sortable, filterable table with the editors beneath it."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Control
from auditdesk.progress import Progress
from auditdesk.services.dashboard import control_count
from ui import feedback
from ui.context import AppContext, Topic
from ui.models.columns import RECORD_ROLE
from ui.models.controls import ControlTableModel, plan_status
from ui.qt_compat import emit
from ui.undo import (
    AddControlCommand,
    DeleteControlCommand,
    EditControlCommand,
    MapCriteriaCommand,
    TestPlanCommand,
    push_done,
)
from ui.views.base import WorkspaceView
from ui.views.control_editor import ControlDetailsForm, CriteriaMappingEditor, TestPlanEditor
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, make_table
from ui.workers import ProgressTask, run_with_progress

# From this many controls on, the view reads them on the thread pool.
BACKGROUND_LOAD_FROM = 1_000


class ControlsView(WorkspaceView):
    """The controls of the engagement.

    The table is loaded once per engagement; after an edit only the changed row
    is replaced (``AppContext.control_saved``), so thousands of controls stay
    quick to work with.
    """

    topics = frozenset({Topic.ENGAGEMENT})  # scope changes re-filter the catalog tree
    #: the table holds the engagement's controls (after a load, also a background one)
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Controls", parent=parent)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by reference, description, owner or criterion  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.key_only = QCheckBox("Key controls only")
        self.count_label = QLabel()
        self.count_label.setObjectName("hintLabel")
        self.new_button = QPushButton("New control")
        self.new_button.clicked.connect(self.new_control)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.key_only)
        bar.addWidget(self.count_label)
        bar.addWidget(self.new_button)
        bar.addWidget(self.delete_button)
        self.layout_.addLayout(bar)

        self.model = ControlTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=ControlTableModel.DESCRIPTION_COLUMN)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.key_only.toggled.connect(self._key_only_changed)

        self.details = ControlDetailsForm()
        self.mapping = CriteriaMappingEditor()
        self.plan = TestPlanEditor()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.details, "Details")
        self.tabs.addTab(self.mapping, "Criteria mapping")
        self.tabs.addTab(self.plan, "Test plan")
        self.details.save_requested.connect(self.save_details)
        self.mapping.save_requested.connect(self.save_mapping)
        self.plan.save_requested.connect(self.save_plan)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([430, 330])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)

        self._generation = 0
        self.loading = False
        self._changed_while_loading = False
        self.load_task: ProgressTask | None = None
        ctx.control_saved.connect(self._control_saved)
        ctx.control_removed.connect(self._control_removed)
        self._show(None)

    # ---- loading -------------------------------------------------------

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        self._generation += 1
        self.mapping.set_scope(engagement.categories)
        reader = self.ctx.store.reader
        count = control_count(reader(), engagement.ref)
        if count < BACKGROUND_LOAD_FROM:
            self._fill(services.list_controls(reader(), engagement.ref))
            return
        # Thousands of controls take a while to read: read them on the pool and
        # keep the window usable meanwhile.
        generation, ref, store = self._generation, engagement.ref, self.ctx.store

        def read() -> Generator[Progress, None, tuple[Control, ...]]:
            yield Progress(0, 1, f"Reading {count:,} controls")
            return services.list_controls(store.reader(), ref)

        self.loading = True
        self.model.set_records(())
        self._show(None)
        self.count_label.setText(f"Loading {count:,} controls…")
        self.load_task = run_with_progress(self, "Loading controls", read, show_dialog=False,
                                           on_success=lambda records: self._read_done(generation, records))

    def _read_done(self, generation: int, records: tuple[Control, ...]) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return  # the view is gone, or another engagement was opened meanwhile
        self.loading = False
        if self._changed_while_loading:
            # An undo or redo changed controls after the read began: read again.
            self._changed_while_loading = False
            self.stale = True
            self.refresh_if_needed()
            return
        self._fill(records)

    def _fill(self, records: tuple[Control, ...]) -> None:
        current = self.selected()
        self.model.set_records(records)
        self._update_count()
        if current is None or not self.select(current.ref):
            # Open on the first control, so the editors show what they are for.
            if self.proxy.rowCount():
                self.table.setCurrentIndex(self.proxy.index(0, 0))
            else:
                self._show(None)
        emit(self.loaded)

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{total:,} controls" if shown == total else f"{shown:,} of {total:,} shown")
        key = sum(1 for c in self.model.records() if c.key)
        self.header.set_subtitle(
            f"{total:,} controls, {key:,} key. Select one to edit its details, map it to the Trust Services "
            "Criteria and plan its test."
        )

    # ---- selection -----------------------------------------------------

    def selected(self) -> Control | None:
        index = self.table.currentIndex()
        control: Control | None = index.data(RECORD_ROLE) if index.isValid() else None
        return control

    def select(self, ref: str) -> bool:
        row = self.model.row_of_ref(ref)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # hidden by the filter
            self.filter_edit.clear()
            self.key_only.setChecked(False)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        control = current.data(RECORD_ROLE) if current.isValid() else None
        self._offer_save()
        self._show(control)

    def _offer_save(self) -> None:
        """Edits left unsaved when the selection moves are saved on request, not lost."""
        pending = [name for name, dirty in (("details", self.details.dirty and not self.details.is_new),
                                            ("criteria mapping", self.mapping.dirty),
                                            ("test plan", self.plan.dirty)) if dirty]
        control = self.details.control
        if not pending or control is None:
            return
        if feedback.confirm(self, f"Save your changes to the {' and '.join(pending)} of {control.ref}?",
                            yes="Save"):
            if self.plan.dirty:
                self.save_plan()
            if self.mapping.dirty:
                self.save_mapping()
            if self.details.dirty:
                self.save_details()

    def _show(self, control: Control | None) -> None:
        self.details.set_control(control)
        self.mapping.set_control(control)
        self.plan.set_control(control)
        self.delete_button.setEnabled(control is not None)
        emit(self.detail_changed, self.current_detail())

    def current_detail(self) -> Detail | None:
        c = self.selected()
        if c is None:
            return None
        return Detail(
            title=f"{c.ref}{' (key)' if c.key else ''}",
            rows=(
                ("Owner", c.owner or "not set"),
                ("Frequency", c.frequency.value),
                ("Nature", c.nature.value),
                ("Type", c.control_type.value),
                ("Criteria", ", ".join(c.criteria) or "none"),
                ("Procedures", str(len(c.test_plan.procedures))),
                ("Attributes", ", ".join(f"{a.letter}" for a in c.test_plan.attributes) or "none"),
                ("Test plan", plan_status(c)),
            ),
            notes=services.plan_warnings(c.test_plan),
        )

    # ---- filter --------------------------------------------------------

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def _key_only_changed(self, on: bool) -> None:
        self.proxy.set_predicate((lambda c: bool(c.key)) if on else None)
        self._update_count()

    # ---- edits ---------------------------------------------------------

    def new_control(self) -> None:
        self.table.selectionModel().clearCurrentIndex()
        self.table.clearSelection()
        self._show(None)
        self.tabs.setCurrentWidget(self.details)
        self.details.ref_edit.setFocus()

    def _latest(self, control: Control) -> Control:
        """The table's copy of a control: other editors may have saved it since."""
        row = self.model.row_of(control.id)
        return self.model.record(row) if row >= 0 else control

    def save_details(self) -> None:
        data = self.details.to_input()
        before = self.details.control
        if before is None:
            command: AddControlCommand | EditControlCommand = AddControlCommand(self.ctx, data)
        else:
            before = self._latest(before)
            # update_control replaces the mapping too: keep the one stored now.
            data = replace(data, criteria=before.criteria)
            command = EditControlCommand(self.ctx, before, data)
        if push_done(self.ctx, command):
            self.select(data.ref)

    def save_mapping(self) -> None:
        control = self.mapping.control
        if control is not None:
            push_done(self.ctx, MapCriteriaCommand(self.ctx, control.ref, control.criteria, self.mapping.selected()))

    def save_plan(self) -> None:
        control = self.plan.control
        if control is not None:
            push_done(self.ctx, TestPlanCommand(self.ctx, control.ref, control.test_plan, self.plan.draft()))

    def delete_selected(self) -> None:
        control = self.selected()
        if control is not None:
            push_done(self.ctx, DeleteControlCommand(self.ctx, control))

    # ---- changes announced by commands ---------------------------------

    def _control_saved(self, previous_ref: str, control: Control) -> None:
        if self.loading:
            self._changed_while_loading = True
            return
        if self.stale:
            return  # a full load is due anyway
        selected = self.selected()
        self.model.upsert(control)
        self._update_count()
        if self.details.is_new and not previous_ref:
            self.select(control.ref)
        elif selected is not None and selected.id == control.id:
            for editor in (self.details, self.mapping, self.plan):
                editor.adopt(control)
            emit(self.detail_changed, self.current_detail())

    def _control_removed(self, ref: str) -> None:
        if self.loading:
            self._changed_while_loading = True
            return
        if self.stale:
            return
        row = self.model.row_of_ref(ref)
        if row >= 0:
            self.model.remove_row(row)
        self._update_count()
        self._show(self.selected())
