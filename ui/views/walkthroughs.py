"""Walkthroughs: the test of design and implementation of every control, from the keyboard.

The list holds the engagement's live controls with their design status (the latest
walkthrough's conclusion). The form beside it records a new walkthrough of the
selected control: the procedure (inquiry plus inspection or observation of one
instance or the configuration), the date, the conclusion, a note and the evidence
files, stored with their SHA-256 in the same transaction. Every walkthrough is kept;
the latest one is the control's design status.

Keys: arrows move in the list; D, N and I choose the conclusion; Ctrl+Enter records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import EngagementType, Nature
from auditdesk.errors import AuditDeskError, ConflictError
from auditdesk.services.versioning import version_of
from ui.actions import walkthroughs as walkthrough_actions
from ui.context import AppContext, Topic
from ui.dates import engagement_when, long_date
from ui.dialogs.conflict import call_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.walkthroughs import (
    DESIGN_WORDS,
    ControlDesign,
    WalkthroughEvidenceModel,
    WalkthroughTableModel,
    control_designs,
    design_color,
)
from ui.qt_compat import emit
from ui.views.fieldwork import FieldworkView, card, hint, scrolled
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, make_table

Conclusion = services.DesignConclusion

KEY_CONCLUSIONS = {
    Qt.Key.Key_D: Conclusion.DESIGNED,
    Qt.Key.Key_N: Conclusion.NOT_DESIGNED,
    Qt.Key.Key_I: Conclusion.NOT_IMPLEMENTED,
}
KEY_HELP = ("Up/Down choose a control · D designed · N not designed · I not implemented · "
            "Ctrl+Enter records the walkthrough · Tab moves into the form")
PROCEDURE_HINT = ("What you asked and of whom, and what you inspected or observed: one instance of the control, "
                  "or its configuration")
SAVE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


@dataclass
class Draft:
    """A walkthrough being written for one control; kept while the auditor moves about the list."""

    procedure: str
    performed_on: dt.date
    conclusion: services.DesignConclusion | None = None
    note: str = ""
    files: list[Path] = field(default_factory=list)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class WalkthroughsView(FieldworkView):
    """Controls and their design status; the form records the next walkthrough."""

    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.EVIDENCE, Topic.CONCLUSIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Walkthroughs", parent=parent)
        self.drafts: dict[str, Draft] = {}
        self.walkthroughs: tuple[services.Walkthrough, ...] = ()
        self._shown_ref: str | None = None
        #: per control, the version of its latest walkthrough when its form (or draft) was started:
        #: recording names it, so a walkthrough someone else recorded meanwhile is not silently superseded
        self.versions: dict[str, str] = {}
        #: today for the date field and its limit (tests fix it)
        self.today: dt.date | None = None

        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by reference, description or design status  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.summary = hint()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.summary)
        self.layout_.addLayout(bar)

        self.model = WalkthroughTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=WalkthroughTableModel.DESCRIPTION_COLUMN)
        self.table.setObjectName("walkthroughList")
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the form
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.keys = hint(KEY_HELP)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.keys)

        form_scroll = scrolled(self._build_form())
        form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the list straight to the procedure
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the form reflows
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(card(form_scroll))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([520, 440])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)
        for widget in (self.table, self.procedure_edit, self.date_edit, self.note_edit, self.files_list,
                       self.save_button, *self.conclusion_buttons.values()):
            widget.installEventFilter(self)
        self._show(None)

    # ---- layout ------------------------------------------------------------------

    def _build_form(self) -> QWidget:
        self.form_title = QLabel()
        self.form_title.setObjectName("sectionHeading")
        self.form_title.setWordWrap(True)
        self.latest_label = QLabel()
        self.latest_label.setWordWrap(True)
        self.latest_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reliance_label = hint(name="warningLabel")
        self.procedure_edit = QPlainTextEdit()
        self.procedure_edit.setPlaceholderText(PROCEDURE_HINT)
        self.procedure_edit.setTabChangesFocus(True)
        self.procedure_edit.setMinimumHeight(80)
        self.procedure_edit.setMaximumHeight(140)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("d MMMM yyyy")
        self.conclusion_group = QButtonGroup(self)
        self.conclusion_buttons: dict[services.DesignConclusion, QRadioButton] = {}
        conclusions = QVBoxLayout()
        conclusions.setSpacing(2)
        for conclusion, text in ((Conclusion.DESIGNED, "Designed and implemented  (D)"),
                                 (Conclusion.NOT_DESIGNED, "Not suitably designed  (N)"),
                                 (Conclusion.NOT_IMPLEMENTED, "Not implemented  (I)")):
            button = QRadioButton(text)
            self.conclusion_group.addButton(button)
            self.conclusion_buttons[conclusion] = button
            conclusions.addWidget(button)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("Note: the design gap, remediation, or anything the reviewer should know")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setFixedHeight(56)

        self.files_list = QListWidget()
        self.files_list.setObjectName("walkthroughFiles")
        self.files_list.setMaximumHeight(72)
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.setToolTip("Evidence stored with the walkthrough, identified by its SHA-256")
        self.add_files_button.clicked.connect(self.choose_files)
        self.remove_file_button = QPushButton("Remove")
        self.remove_file_button.clicked.connect(self.remove_selected_file)
        file_buttons = QHBoxLayout()
        file_buttons.addWidget(self.add_files_button)
        file_buttons.addWidget(self.remove_file_button)
        file_buttons.addStretch(1)
        files = QVBoxLayout()
        files.addWidget(self.files_list)
        files.addLayout(file_buttons)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels go above on a narrow form
        form.addRow("Procedure", self.procedure_edit)
        form.addRow("Performed on", self.date_edit)
        form.addRow("Conclusion", conclusions)
        form.addRow("Note", self.note_edit)
        form.addRow("Evidence", files)

        self.save_button = QPushButton("Record walkthrough")
        self.save_button.setToolTip("Ctrl+Enter, from the list or anywhere in the form")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.error = hint(name="errorLabel")
        self.message = hint()
        save_row = QHBoxLayout()
        save_row.addWidget(self.error, 1)
        save_row.addWidget(self.save_button)

        self.evidence_heading = QLabel("Evidence of the latest walkthrough")
        self.evidence_heading.setObjectName("panelHeading")
        self.evidence_heading.setWordWrap(True)  # the form narrows on a laptop screen
        self.evidence_model = WalkthroughEvidenceModel(self)
        self.evidence_table = make_table(self.evidence_model, sortable=False, stretch=0)
        self.evidence_table.setMaximumHeight(120)
        self.attach_button = QPushButton("Attach to the latest walkthrough…")
        self.attach_button.clicked.connect(self.choose_attachment)

        form_widget = QWidget()
        layout = QVBoxLayout(form_widget)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.form_title)
        layout.addWidget(self.latest_label)
        layout.addWidget(self.reliance_label)
        heading = QLabel("NEW WALKTHROUGH")
        heading.setObjectName("panelHeading")
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addLayout(save_row)
        layout.addWidget(self.message)
        layout.addWidget(self.evidence_heading)
        layout.addWidget(self.evidence_table)
        attach_row = QHBoxLayout()
        attach_row.addStretch(1)
        attach_row.addWidget(self.attach_button)
        layout.addLayout(attach_row)
        layout.addStretch(1)
        return form_widget

    # ---- loading -------------------------------------------------------------------

    def _today(self) -> dt.date:
        return self.today or dt.date.today()

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        reader = self.ctx.store.reader
        chosen = self.selected()
        self._keep_draft()
        controls = services.list_controls(reader(), engagement.ref)
        statuses = services.design_status(reader(), engagement.ref)
        self.walkthroughs = services.list_walkthroughs(reader(), engagement.ref)
        rows = control_designs(controls, statuses, self.walkthroughs)
        live = {r.ref for r in rows}
        self.drafts = {ref: d for ref, d in self.drafts.items() if ref in live}
        self._shown_ref = None  # the rows are new: nothing to keep from the old selection
        self.model.set_records(rows)
        if engagement.type is EngagementType.TYPE1:
            self.header.set_subtitle(
                f"Tests of design and implementation {engagement_when(engagement)}: inquiry plus inspection or "
                "observation of one instance or the configuration. Each control is concluded from its latest "
                "walkthrough.")
        else:
            self.header.set_subtitle(
                "The design of each control comes first: inquiry plus inspection or observation of one instance. "
                "A control not suitably designed or not implemented is not sampled for operating effectiveness.")
        self._update_summary()
        self.select(chosen.ref if chosen is not None else None)

    def _update_summary(self) -> None:
        rows = self.model.records()
        counts = {word: 0 for word in DESIGN_WORDS}
        for row in rows:
            counts[row.design] += 1
        walked = len(rows) - counts[services.NOT_WALKED_THROUGH]
        parts = [f"{walked} of {len(rows)} controls walked through"]
        parts += [f"{counts[d.value]} {DESIGN_WORDS[d.value].lower()}" for d in Conclusion if counts[d.value]]
        self.summary.setText(" · ".join(parts))

    def select(self, ref: str | None) -> bool:
        """Make the control with ``ref`` current (else the first row shown); False when it is not listed."""
        row = self.model.row_of(ref) if ref is not None else -1
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else self.proxy.index(0, 0)
        if index.isValid():
            self.table.setCurrentIndex(index)
        else:
            self._show(None)
        return row >= 0

    def selected(self) -> ControlDesign | None:
        index = self.table.currentIndex()
        row: ControlDesign | None = index.data(RECORD_ROLE) if index.isValid() else None
        return row

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    # ---- the form --------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._keep_draft()
        self._show(current.data(RECORD_ROLE) if current.isValid() else None)

    def _keep_draft(self) -> None:
        """The form of the control shown so far becomes its draft (unless untouched)."""
        ref = self._shown_ref
        if ref is None:
            return
        draft = self.draft()
        row = self.model.row_of(ref)
        untouched = row >= 0 and draft == self._fresh_draft(self.model.record(row))
        if untouched:
            self.drafts.pop(ref, None)
        else:
            self.drafts[ref] = draft

    def has_unsaved_edits(self) -> bool:
        """A walkthrough written in the form (for any control) and not recorded yet."""
        if self.drafts:
            return True
        row = self.model.row_of(self._shown_ref) if self._shown_ref is not None else -1
        return row >= 0 and self.draft() != self._fresh_draft(self.model.record(row))

    def _fresh_draft(self, row: ControlDesign) -> Draft:
        return Draft(procedure=row.status.procedure, performed_on=self._today())

    def draft(self) -> Draft:
        """What the form holds now."""
        day = self.date_edit.date()
        return Draft(
            procedure=self.procedure_edit.toPlainText(),
            performed_on=dt.date(day.year(), day.month(), day.day()),
            conclusion=self.conclusion(),
            note=self.note_edit.toPlainText(),
            files=[Path(str(self.files_list.item(n).data(Qt.ItemDataRole.UserRole)))
                   for n in range(self.files_list.count())],
        )

    def conclusion(self) -> services.DesignConclusion | None:
        return next((c for c, button in self.conclusion_buttons.items() if button.isChecked()), None)

    def set_conclusion(self, conclusion: services.DesignConclusion | None) -> None:
        self.conclusion_group.setExclusive(False)  # lets every button go unchecked
        for value, button in self.conclusion_buttons.items():
            button.setChecked(value is conclusion)
        self.conclusion_group.setExclusive(True)

    def _show(self, row: ControlDesign | None) -> None:
        self._shown_ref = row.ref if row is not None else None
        enabled = row is not None and not (self.ctx.engagement is not None and self.ctx.engagement.locked)
        for widget in (self.procedure_edit, self.date_edit, self.note_edit, self.files_list, self.add_files_button,
                       self.remove_file_button, self.save_button, *self.conclusion_buttons.values()):
            widget.setEnabled(enabled)
        self.error.setText("")
        self.date_edit.setMaximumDate(_qdate(self._today()))
        if row is None:
            self.form_title.setText("No control selected" if self.model.rowCount() else
                                    "No controls yet: add them in Controls, import the client's control matrix "
                                    "(Engagement > Import controls…) or start from the firm's library.")
            self.latest_label.setText("")
            self.reliance_label.hide()
            self._fill(Draft("", self._today()))
            self.evidence_model.set_records(())
            self.attach_button.setEnabled(False)
            emit(self.detail_changed, None)
            return
        control, status = row.control, row.status
        self.form_title.setText(f"{control.ref} · {control.description}")
        if status.conclusion is None:
            self.latest_label.setText("Not walked through yet.")
            self.latest_label.setStyleSheet("")
        else:
            count = (f" ({status.walkthroughs} walkthroughs recorded; the latest counts)"
                     if status.walkthroughs > 1 else "")
            when = long_date(status.performed_on) if status.performed_on else ""
            self.latest_label.setText(f"Latest: {status.label.lower()}, {when} by {status.performed_by}{count}."
                                      + (f"\n{status.note}" if status.note else ""))
            self.latest_label.setStyleSheet(f"color: {design_color(status.design).name()}; font-weight: 600;")
        self._show_reliance(row)
        self._fill(self.drafts.get(row.ref) or self._fresh_draft(row))
        latest = next((w for w in self.walkthroughs if w.id == status.walkthrough_id), None)
        if row.ref not in self.drafts:  # a draft keeps the version it was written on
            self.versions[row.ref] = version_of(replace(latest, evidence=()) if latest is not None else None)
        self.evidence_model.set_records(latest.evidence if latest is not None else ())
        self.evidence_heading.setText("Evidence of the latest walkthrough" if latest is not None and latest.evidence
                                      else "Evidence of the latest walkthrough: none")
        self.attach_button.setEnabled(enabled and latest is not None)
        emit(self.detail_changed, self.current_detail())

    def _show_reliance(self, row: ControlDesign) -> None:
        """An automated control's test of one relies on effective IT general controls: say when it cannot."""
        engagement = self.ctx.engagement
        if row.control.nature is not Nature.AUTOMATED or engagement is None:
            self.reliance_label.hide()
            return
        reliance = services.itgc_reliance(self.ctx.store.reader(), engagement.ref, row.ref)
        self.reliance_label.setText(reliance.warning or "")
        self.reliance_label.setVisible(bool(reliance.warning))

    def _fill(self, draft: Draft) -> None:
        self.procedure_edit.setPlainText(draft.procedure)
        self.date_edit.setDate(_qdate(draft.performed_on))
        self.set_conclusion(draft.conclusion)
        self.note_edit.setPlainText(draft.note)
        self.files_list.clear()
        for path in draft.files:
            self._add_file_item(path)

    def _add_file_item(self, path: Path) -> None:
        item = QListWidgetItem(path.name)
        item.setToolTip(str(path))
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        self.files_list.addItem(item)

    def choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Walkthrough evidence", str(Path.home()), "All files (*)")
        self.add_files([Path(p) for p in paths])

    def add_files(self, paths: list[Path]) -> None:
        """Files to store with the walkthrough when it is recorded."""
        listed = {self.files_list.item(n).data(Qt.ItemDataRole.UserRole) for n in range(self.files_list.count())}
        for path in paths:
            if str(path) not in listed:
                self._add_file_item(path)

    def remove_selected_file(self) -> None:
        row = self.files_list.currentRow()
        if row >= 0:
            self.files_list.takeItem(row)

    # ---- keys ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = Qt.Key(event.key())
            modifiers = event.modifiers()
            if key in SAVE_KEYS and modifiers & Qt.KeyboardModifier.ControlModifier:
                self.save()
                return True
            plain = not modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                     | Qt.KeyboardModifier.MetaModifier)
            if watched is self.table and plain and key in KEY_CONCLUSIONS:
                self.choose(KEY_CONCLUSIONS[key])
                return True
        return super().eventFilter(watched, event)

    def choose(self, conclusion: services.DesignConclusion) -> None:
        """D / N / I: the conclusion of the walkthrough being written for the selected control."""
        row = self.selected()
        if row is None or not self.save_button.isEnabled():
            return
        self.set_conclusion(conclusion)
        self.message.setText(f"{row.ref}: {conclusion.label.lower()}. Ctrl+Enter records the walkthrough.")

    # ---- saving ----------------------------------------------------------------------------

    def save(self) -> services.Walkthrough | None:
        """Record the form as the selected control's walkthrough (one transaction with its files)."""
        row = self.selected()
        if row is None or not self.save_button.isEnabled():
            return None
        draft = self.draft()
        if draft.conclusion is None:
            self.error.setText("Choose the conclusion first: D designed, N not designed, I not implemented.")
            return None
        conclusion = draft.conclusion

        def record(conflict: ConflictError | None) -> services.Walkthrough | None:
            version = self.versions.get(row.ref) if conflict is None else conflict.version
            try:
                return walkthrough_actions.record_walkthrough(
                    ctx=self.ctx, control_ref=row.ref, procedure=draft.procedure, conclusion=conclusion,
                    performed_on=draft.performed_on, note=draft.note, evidence=draft.files,
                    expected_version=version)
            except ConflictError:
                raise  # the conflict dialog asks
            except AuditDeskError as exc:
                self.error.setText(str(exc))
                return None

        def take_theirs(_theirs: object) -> None:
            self.drafts.pop(row.ref, None)
            self._shown_ref = None  # the form's text is discarded, not kept as a draft
            self.load()

        mine = {"procedure": draft.procedure.strip(), "performed_on": draft.performed_on,
                "conclusion": conclusion.value, "note": draft.note.strip()}
        walkthrough = call_versioned(self.ctx, record, mine=mine, on_theirs=take_theirs, parent=self)
        if walkthrough is None:
            return None
        self.drafts.pop(row.ref, None)
        files = f" with {len(walkthrough.evidence)} evidence file(s)" if walkthrough.evidence else ""
        self._reload_row(row.ref)
        self.message.setText(f"{row.ref} recorded: {walkthrough.conclusion.label.lower()}{files}.")
        self.announce(Topic.CONCLUSIONS, *((Topic.EVIDENCE,) if walkthrough.evidence else ()))
        self._advance()
        return walkthrough

    def _reload_row(self, ref: str) -> None:
        """The saved control's row and the summary from the store; the list keeps its order."""
        engagement = self.ctx.engagement
        assert engagement is not None
        reader = self.ctx.store.reader
        self.walkthroughs = services.list_walkthroughs(reader(), engagement.ref)
        status = services.control_design_status(reader(), engagement.ref, ref)
        current = self.model.record(self.model.row_of(ref))
        latest = next((w for w in self.walkthroughs if w.id == status.walkthrough_id), None)
        self._shown_ref = None  # the form's text was stored: it is no draft
        self.model.upsert(ControlDesign(current.control, status, len(latest.evidence) if latest else 0))
        self._update_summary()
        shown = self.selected()
        if shown is not None and shown.ref == ref:
            self._show(shown)

    def _advance(self) -> None:
        """On to the next control in the list, as the results grid moves on after a mark."""
        index = self.table.currentIndex()
        following = self.proxy.index(index.row() + 1, 0) if index.isValid() else QModelIndex()
        if following.isValid():
            self.table.setCurrentIndex(following)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def choose_attachment(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Attach evidence", str(Path.home()), "All files (*)")
        if path:
            self.attach(Path(path))

    def attach(self, path: Path) -> services.WalkthroughEvidence | None:
        """Add a file to the selected control's latest walkthrough."""
        row = self.selected()
        if row is None:
            return None
        try:
            evidence = walkthrough_actions.attach_walkthrough_evidence(ctx=self.ctx, control_ref=row.ref, path=path)
        except AuditDeskError as exc:
            self.error.setText(str(exc))
            return None
        self._keep_draft()
        self._reload_row(row.ref)
        self.message.setText(f"{evidence.file_name} attached to {row.ref}'s walkthrough; SHA-256 {evidence.sha256}.")
        self.announce(Topic.EVIDENCE)
        return evidence

    # ---- the right-hand panel ------------------------------------------------------------------

    def current_detail(self) -> Detail | None:
        row = self.selected()
        if row is None:
            return None
        status = row.status
        rows: list[tuple[str, str]] = [("Design", status.label)]
        if status.conclusion is not None:
            rows += [("Walked through", long_date(status.performed_on) if status.performed_on else ""),
                     ("By", status.performed_by), ("Walkthroughs", str(status.walkthroughs)),
                     ("Evidence", f"{row.evidence} file(s)")]
        return Detail(title=f"{row.ref}: {row.word}", rows=tuple(rows),
                      notes=tuple(t for t in (status.procedure, status.note) if t))
