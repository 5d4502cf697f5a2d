"""Controls: a sortable, filterable table with the editors beneath it."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Control
from auditdesk.progress import Progress
from auditdesk.services.dashboard import control_count
from auditdesk.services.versioning import version_of
from ui import feedback
from ui.actions import controls as control_actions
from ui.context import AppContext, Topic
from ui.dialogs.conflict import push_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.controls import ControlTableModel, plan_status, retired_note
from ui.qt_compat import emit
from ui.undo import (
    AddControlCommand,
    DeleteControlCommand,
    EditControlCommand,
    MapCriteriaCommand,
    RetireControlCommand,
    RetireStepCommand,
    ServiceCommand,
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
#: this screen's name: its edits go on its own undo stack
SCREEN = "controls"


class RetireControlDialog(QDialog):
    """Asks why a control is retired; the reason stays with it and in the audit trail."""

    def __init__(self, control: Control, held: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Retire control {control.ref}")
        self.control = control
        text = QLabel(
            f"{control.ref} is kept with its evidence ({held}) and can be restored at any time; while retired "
            "it is greyed here and left out of coverage, conclusions and the report."
            if held else
            f"{control.ref} is kept and can be restored at any time; while retired it is greyed here and left "
            "out of coverage, conclusions and the report."
        )
        text.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("Why is it retired? e.g. replaced by CM-09 from March")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.retire_button = self.buttons.addButton("Retire", QDialogButtonBox.ButtonRole.AcceptRole)
        self.retire_button.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda t: self.retire_button.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("Reason"))
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.buttons)

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()


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
        self.show_retired = QCheckBox("Show retired")
        self.show_retired.setToolTip("Retired controls keep their evidence; they are greyed and out of the report")
        self.count_label = QLabel()
        self.count_label.setObjectName("hintLabel")
        self.new_button = QPushButton("New control")
        self.new_button.clicked.connect(self.new_control)
        self.retire_button = QPushButton("Retire…")
        self.retire_button.setToolTip("Keep the control and its evidence, out of coverage, conclusions and the report")
        self.retire_button.clicked.connect(self.retire_or_restore_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete a control that holds no evidence (asks first; Edit > Undo restores it)")
        self.delete_button.clicked.connect(self.delete_selected)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.key_only)
        bar.addWidget(self.show_retired)
        bar.addWidget(self.count_label)
        bar.addWidget(self.new_button)
        bar.addWidget(self.retire_button)
        bar.addWidget(self.delete_button)
        self.layout_.addLayout(bar)

        self.model = ControlTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=ControlTableModel.DESCRIPTION_COLUMN)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.key_only.toggled.connect(self._key_only_changed)
        self.show_retired.toggled.connect(self._key_only_changed)

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
        self.plan.retire_requested.connect(self.retire_step)

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
        self._apply_filters()
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
        records = self.model.records()
        retired = sum(1 for c in records if c.retired)
        total, shown = len(records) - retired, self.proxy.rowCount()
        if shown == total:
            self.count_label.setText(f"{total:,} controls")
        else:
            self.count_label.setText(f"{shown:,} of {total + retired:,} shown" if self.show_retired.isChecked()
                                     else f"{shown:,} of {total:,} shown")
        key = sum(1 for c in records if c.key and not c.retired)
        retired_text = f" ({retired:,} retired, kept with their evidence)" if retired else ""
        self.header.set_subtitle(
            f"{total:,} controls, {key:,} key{retired_text}. Select one to edit its details, map it to the Trust "
            "Services Criteria and plan its test."
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
            if self.model.record(row).retired:
                self.show_retired.setChecked(True)
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
        self._update_buttons(control)
        emit(self.detail_changed, self.current_detail())

    def _update_buttons(self, control: Control | None) -> None:
        self.delete_button.setEnabled(control is not None)
        self.retire_button.setEnabled(control is not None)
        self.retire_button.setText("Restore" if control is not None and control.retired else "Retire…")
        # A retired control is kept as it was: restore it to change it.
        self.tabs.setEnabled(control is None or not control.retired)

    def current_detail(self) -> Detail | None:
        c = self.selected()
        if c is None:
            return None
        return Detail(
            title=f"{c.ref}{' (key)' if c.key else ''}{' (retired)' if c.retired else ''}",
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
            notes=(retired_note(c),) if c.retired else services.plan_warnings(c.test_plan),
            review_item=f"control:{c.ref}",
        )

    # ---- filter --------------------------------------------------------

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def _key_only_changed(self, _on: bool) -> None:
        self._apply_filters()
        self._update_count()

    def _apply_filters(self) -> None:
        key_only, retired = self.key_only.isChecked(), self.show_retired.isChecked()
        self.proxy.set_predicate(lambda c: (retired or not c.retired) and (not key_only or bool(c.key)))

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
            if push_done(self.ctx, AddControlCommand(self.ctx, data), SCREEN):
                self.select(data.ref)
            return
        loaded = before

        def make(version: str | None, base: object) -> EditControlCommand:
            # update_control replaces the mapping too: keep the one stored now.
            stored = base if isinstance(base, Control) else self._latest(loaded)
            return EditControlCommand(self.ctx, stored, replace(data, criteria=stored.criteria),
                                      expected_version=version)

        if self._push_versioned(make, loaded, data, self.details):
            self.select(data.ref)

    def save_mapping(self) -> None:
        control = self.mapping.control
        if control is None:
            return
        wanted = self.mapping.selected()

        def make(version: str | None, base: object) -> MapCriteriaCommand:
            stored = base if isinstance(base, Control) else control
            return MapCriteriaCommand(self.ctx, control.ref, stored.criteria, wanted, expected_version=version)

        self._push_versioned(make, control, replace(control, criteria=wanted), self.mapping)

    def save_plan(self) -> None:
        control = self.plan.control
        if control is None:
            return
        draft = self.plan.draft()

        def make(version: str | None, base: object) -> TestPlanCommand:
            stored = base if isinstance(base, Control) else control
            return TestPlanCommand(self.ctx, control.ref, stored.test_plan, draft, expected_version=version)

        self._push_versioned(make, control, replace(control, test_plan=draft), self.plan)

    def _push_versioned(self, make: Callable[[str | None, object], ServiceCommand], loaded: Control, mine: object,
                        editor: ControlDetailsForm | CriteriaMappingEditor | TestPlanEditor) -> bool:
        """Save naming the version the editor loaded; a newer save by someone else opens the conflict dialog."""

        def take_theirs(theirs: object) -> None:
            if not isinstance(theirs, Control):  # removed meanwhile: read the list again
                self.stale = True
                self.refresh_if_needed()
                return
            self.model.upsert(theirs)
            editor.set_control(theirs)  # this editor's draft is discarded, as chosen
            for other in (self.details, self.mapping, self.plan):
                if other is not editor:
                    other.adopt(theirs)  # other editors keep their unsaved drafts
            self._update_buttons(theirs)
            emit(self.detail_changed, self.current_detail())

        return push_versioned(self.ctx, make, version_of(loaded), mine=mine, on_theirs=take_theirs,
                              screen=SCREEN, parent=self)

    def has_unsaved_edits(self) -> bool:
        """Drafts in the editors that a reload would throw away."""
        return self.details.dirty or self.mapping.dirty or self.plan.dirty

    def retire_step(self, kind: str, key: object, retire: bool) -> None:
        control = self.plan.control
        if control is None:
            return
        command = RetireStepCommand(self.ctx, control.ref, attribute=str(key) if kind == "attribute" else "",
                                    procedure=int(str(key)) if kind == "procedure" else 0, retire=retire)
        push_done(self.ctx, command, SCREEN)

    def push(self, command: ServiceCommand) -> bool:
        """Run an edit of this screen and put it on the screen's undo stack."""
        return push_done(self.ctx, command, SCREEN)

    def delete_selected(self) -> None:
        """Delete after confirming; a control that holds evidence is offered retirement instead."""
        control = self.selected()
        if control is None:
            return
        held = feedback.attempt(self, control_actions.control_evidence, ctx=self.ctx, ref=control.ref)
        if held is None:
            return
        if held.held and control.retired:
            feedback.show_info(self, f"{control.ref} holds evidence ({held.summary}), so it is kept retired, "
                                     "never deleted.")
            return
        if held.held:
            if feedback.confirm(
                self,
                f"{control.ref} holds evidence ({held.summary}), so it cannot be deleted. Retire it instead? "
                "It stays in the store with its evidence, greyed, out of coverage, conclusions and the report, "
                "and can be restored.",
                yes="Retire…",
            ):
                self.ask_retire(control, held.summary)
            return
        if feedback.confirm(
            self,
            f"Delete control {control.ref} with its criteria mapping and test plan? Edit > Undo brings it back.",
            yes="Delete",
        ):
            self.push(DeleteControlCommand(self.ctx, control))

    def retire_or_restore_selected(self) -> None:
        control = self.selected()
        if control is None:
            return
        if control.retired:
            self.push(RetireControlCommand(self.ctx, control, retire=False))
            return
        held = feedback.attempt(self, control_actions.control_evidence, ctx=self.ctx, ref=control.ref)
        if held is not None:
            self.ask_retire(control, held.summary)

    def ask_retire(self, control: Control, held: str) -> RetireControlDialog:
        """Open the dialog that asks for the reason; accepting it retires the control (undoable)."""
        dialog = RetireControlDialog(control, held, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.push(RetireControlCommand(self.ctx, control, retire=True, reason=dialog.reason)))
        self.retire_dialog = dialog
        dialog.open()
        return dialog

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
            self._update_buttons(control)
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
