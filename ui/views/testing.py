"""Testing: the results grid, the live control conclusion, tickmarks and evidence.

Every keystroke that marks cells is saved at once through one action (one
transaction, however many cells are selected); the grid updates the changed
cells in place and the panel beside it re-reads the control's conclusion.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.conclusions import ControlConclusion
from auditdesk.domain import Attribute
from auditdesk.errors import AuditDeskError, ConflictError
from auditdesk.services.versioning import version_of
from ui import feedback
from ui.actions import testing as testing_actions
from ui.context import AppContext, Topic
from ui.dialogs.conflict import call_versioned
from ui.models.columns import CENTER, RECORD_ROLE, Column
from ui.models.conclusions import control_color
from ui.models.results import AttributeCount, EvidenceTableModel, ResultsGridModel
from ui.models.samples import sample_title
from ui.models.table import RecordTableModel
from ui.qt_compat import emit
from ui.undo import RecordResultsCommand
from ui.views.fieldwork import TYPE1_NOTICE, FieldworkView, card, hint, scrolled
from ui.widgets.detail_panel import Detail
from ui.widgets.results_grid import KEY_HELP, ResultsGridView
from ui.widgets.tables import make_table

Outcome = services.Outcome
#: this screen's name: its edits go on its own undo stack
SCREEN = "testing"


def _cells_text(what: str, inputs: list[services.ResultInput]) -> str:
    """What an edit of the grid did, for Edit > Undo: 'result A on item CHG-0001', 'tickmark on 4 cells'."""
    if len(inputs) == 1:
        return f"{what} {inputs[0].attribute} on item {inputs[0].item_key}"
    return f"{what} on {len(inputs)} cells"

COUNT_COLUMNS: tuple[Column[AttributeCount], ...] = (
    Column("", lambda c: c.letter, tooltip=lambda c: c.question, width=28),
    Column("Pass", lambda c: str(c.passed), alignment=CENTER, width=46),
    Column("Dev.", lambda c: str(c.deviations), alignment=CENTER, width=46,
           foreground=lambda c: control_color(ControlConclusion.NOT_EFFECTIVE) if c.deviations else None),
    Column("N/A", lambda c: str(c.not_applicable), alignment=CENTER, width=46),
    Column("To do", lambda c: str(c.untested), alignment=CENTER, width=50),
)


class AttributeCountModel(RecordTableModel[AttributeCount]):
    def __init__(self, parent: object = None) -> None:
        super().__init__(COUNT_COLUMNS, key=lambda c: c.letter, parent=parent)


class TickmarkDialog(QDialog):
    """Add a symbol to the firm's tickmark legend, or change what one means."""

    def __init__(self, legend: tuple[services.Tickmark, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tickmark legend")
        self.symbol_edit = QComboBox()
        self.symbol_edit.setEditable(True)
        self.meanings = {t.symbol: t.meaning for t in legend}
        self.symbol_edit.addItems(list(self.meanings))
        self.symbol_edit.setCurrentText("")
        self.meaning_edit = QLineEdit()
        self.symbol_edit.currentTextChanged.connect(lambda s: self.meaning_edit.setText(self.meanings.get(s, "")))
        listing = "\n".join(f"{t.symbol}  {t.meaning}" for t in legend) or "The legend is empty."
        form = QFormLayout()
        form.addRow("Symbol", self.symbol_edit)
        form.addRow("Meaning", self.meaning_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint("The firm's legend, shared by every engagement in this store:\n" + listing))
        layout.addLayout(form)
        layout.addWidget(buttons)


class TestingView(FieldworkView):
    """Results of a sample: items x attributes, entered from the keyboard."""

    __test__ = False  # pytest: a screen, not a test class
    #: with more controls, reading the conclusions takes tens of ms (about 60 ms for 1,000):
    #: refresh them after a pause in typing instead of on every key
    MANY_CONTROLS = 800
    CONCLUSION_DELAY_MS = 350

    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.SAMPLES, Topic.RESULTS, Topic.EVIDENCE,
                        Topic.CONCLUSIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Testing", parent=parent)
        self.samples: tuple[services.Sample, ...] = ()
        self.legend: tuple[services.Tickmark, ...] = ()
        self.status: services.ControlStatus | None = None
        #: where evidence is written out to be opened (a per-session temporary folder)
        self.evidence_folder = Path(tempfile.gettempdir()) / "auditdesk-evidence"
        self.last_opened: Path | None = None
        self._controls = 0
        self._conclusion_timer = QTimer(self)
        self._conclusion_timer.setSingleShot(True)
        self._conclusion_timer.setInterval(self.CONCLUSION_DELAY_MS)
        self._conclusion_timer.timeout.connect(self._refresh_conclusion)

        self.notice = hint(TYPE1_NOTICE, name="warningLabel")
        self.layout_.addWidget(self.notice)
        bar = QHBoxLayout()
        self.sample_combo = QComboBox()
        self.sample_combo.setMinimumWidth(360)
        self.sample_combo.currentIndexChanged.connect(self._sample_chosen)
        self.tickmark_combo = QComboBox()
        self.tickmark_combo.setToolTip("The tickmark a cell gets when you mark it and it has none yet")
        self.legend_button = QPushButton("Tickmarks…")
        self.legend_button.clicked.connect(self.edit_legend)
        bar.addWidget(QLabel("Sample"))
        bar.addWidget(self.sample_combo, 1)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Tickmark"))
        bar.addWidget(self.tickmark_combo)
        bar.addWidget(self.legend_button)
        # AU-C 530: a not-applicable item is replaced by the next draw of the same receipt.
        self.replace_button = QPushButton("Replace N/A item")
        self.replace_button.setToolTip("Draw the next item of this sample's selection receipt in place of the "
                                       "selected not-applicable item (re-performable)")
        self.replace_button.clicked.connect(self.replace_current_item)
        bar.addWidget(self.replace_button)
        self.layout_.addLayout(bar)

        self.grid_model = ResultsGridModel(self)
        self.grid_model.note_entered.connect(self.save_note)
        self.grid = ResultsGridView(self.grid_model)
        self.grid.mark_requested.connect(self.mark)
        self.grid.tickmark_requested.connect(self.cycle_tickmark)
        self.grid.comment_refused.connect(
            lambda: self.show_message("Mark the result first (P, X or N), then add its comment."))
        self.grid.selectionModel().currentChanged.connect(self._cell_changed)
        self.keys = hint(KEY_HELP)
        self.message = hint()

        self.evidence_model = EvidenceTableModel(self)
        self.evidence_table = make_table(self.evidence_model, sortable=False, stretch=0)
        self.evidence_table.selectionModel().currentRowChanged.connect(self._evidence_changed)
        self.attach_item_button = QPushButton("Attach to item…")
        self.attach_item_button.clicked.connect(lambda: self.choose_evidence(to_item=True))
        self.attach_control_button = QPushButton("Attach to control…")
        self.attach_control_button.clicked.connect(lambda: self.choose_evidence(to_item=False))
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Write the stored copy out, re-check its SHA-256 and open it")
        self.open_button.clicked.connect(self.open_selected_evidence)
        self.hash_label = hint()
        self.hash_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        evidence_bar = QHBoxLayout()
        evidence_heading = QLabel("Evidence")
        evidence_heading.setObjectName("sectionHeading")
        evidence_bar.addWidget(evidence_heading)
        evidence_bar.addStretch(1)
        for button in (self.attach_item_button, self.attach_control_button, self.open_button):
            evidence_bar.addWidget(button)
        evidence = QWidget()
        evidence_layout = QVBoxLayout(evidence)
        evidence_layout.setContentsMargins(0, 4, 0, 0)
        evidence_layout.addLayout(evidence_bar)
        evidence_layout.addWidget(self.evidence_table, 1)
        evidence_layout.addWidget(self.hash_label)

        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.grid, 1)
        grid_layout.addWidget(self.keys)
        grid_layout.addWidget(self.message)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(grid_box)
        left.addWidget(evidence)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        left.setSizes([520, 200])
        left.setChildrenCollapsible(False)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._build_side())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([600, 300])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)
        self._show_sample(None)

    def _build_side(self) -> QWidget:
        self.conclusion_label = QLabel()
        self.conclusion_label.setObjectName("panelTitle")
        self.conclusion_label.setWordWrap(True)
        self.computed_label = hint()
        self.explanation = hint()
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        conclusion = QWidget()
        c_layout = QVBoxLayout(conclusion)
        c_layout.setContentsMargins(0, 0, 0, 0)
        c_layout.setSpacing(4)
        heading = QLabel("CONTROL CONCLUSION")
        heading.setObjectName("panelHeading")
        c_layout.addWidget(heading)
        c_layout.addWidget(self.conclusion_label)
        c_layout.addWidget(self.computed_label)
        c_layout.addWidget(self.explanation)
        section4 = QLabel("RESULTS OF TESTS (SECTION 4)")
        section4.setObjectName("panelHeading")
        c_layout.addWidget(section4)
        c_layout.addWidget(self.result_text)

        self.count_model = AttributeCountModel(self)
        self.count_table = make_table(self.count_model, sortable=False, stretch=None)
        self.count_table.setSelectionMode(self.count_table.SelectionMode.NoSelection)
        self.count_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.attribute_text = hint()
        self.attribute_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend_text = hint()
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(card(conclusion))
        attributes_heading = QLabel("ATTRIBUTES")
        attributes_heading.setObjectName("panelHeading")
        layout.addWidget(attributes_heading)
        layout.addWidget(self.count_table)
        layout.addWidget(self.attribute_text)
        legend_heading = QLabel("TICKMARKS")
        legend_heading.setObjectName("panelHeading")
        layout.addWidget(legend_heading)
        layout.addWidget(self.legend_text)
        layout.addStretch(1)
        scroll = scrolled(side)
        scroll.setMinimumWidth(290)
        return scroll

    # ---- loading -----------------------------------------------------------

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        self.notice.setVisible(self.type1)
        reader = self.ctx.store.reader
        current = self.current_sample()
        self.samples = services.list_samples(reader(), engagement.ref)
        self._load_legend()
        self.sample_combo.blockSignals(True)
        self.sample_combo.clear()
        for sample in self.samples:
            self.sample_combo.addItem(sample_title(sample), sample.id)
        self.sample_combo.blockSignals(False)
        self.header.set_subtitle(
            "Mark each sampled item against the test plan's attributes. Every key is saved at once; a deviation "
            "opens an exception." if self.samples else
            "No sample yet: draw one in Populations & samples, then record its results here."
        )
        wanted = current.id if current is not None else None
        index = self.sample_combo.findData(wanted) if wanted is not None else 0
        self.sample_combo.setCurrentIndex(max(index, 0) if self.samples else -1)
        self._show_sample(self.current_sample())

    def _load_legend(self) -> None:
        self.legend = services.list_tickmarks(self.ctx.store.reader())
        chosen = self.tickmark_combo.currentData()
        self.tickmark_combo.clear()
        self.tickmark_combo.addItem("none", "")
        for tickmark in self.legend:
            self.tickmark_combo.addItem(f"{tickmark.symbol}  {tickmark.meaning}", tickmark.symbol)
        self.tickmark_combo.setCurrentIndex(max(self.tickmark_combo.findData(chosen), 0) if chosen else 0)
        self.legend_text.setText("\n".join(f"{t.symbol}   {t.meaning}" for t in self.legend) or "No tickmarks yet.")

    def current_sample(self) -> services.Sample | None:
        sample_id = self.sample_combo.currentData()
        return next((s for s in self.samples if s.id == sample_id), None)

    def select_sample(self, sample_id: int) -> bool:
        if self.stale:
            self.refresh_if_needed()
        index = self.sample_combo.findData(sample_id)
        if index < 0:
            return False
        self.sample_combo.setCurrentIndex(index)
        return True

    def _sample_chosen(self, _index: int) -> None:
        self._show_sample(self.current_sample())

    def _show_sample(self, sample: services.Sample | None) -> None:
        engagement = self.ctx.engagement
        attributes: tuple[Attribute, ...] = ()
        results: tuple[services.Result, ...] = ()
        if sample is not None and engagement is not None:
            reader = self.ctx.store.reader
            attributes = services.get_control(reader(), engagement.ref, sample.control_ref).test_plan.attributes
            results = services.list_results(reader(), engagement.ref, sample.id)
        self.grid_model.set_sample(sample, attributes, results)
        self.grid.size_columns()
        self.attribute_text.setText("\n".join(f"{a.letter}  {a.question}" for a in attributes))
        for button in (self.attach_item_button, self.attach_control_button):
            button.setEnabled(sample is not None)
        self.message.setText("")
        self._load_evidence()
        self._refresh_conclusion()
        if sample is not None and attributes:
            self.grid.setCurrentIndex(self.grid_model.index(0, self.grid_model.first_attribute_column))
        emit(self.detail_changed, self.current_detail())

    def _after_save(self) -> None:
        """Tallies at once; the conclusion at once too, unless reading it is slow (thousands
        of controls): then once the auditor pauses, so keys never wait for it."""
        self._show_counts()
        if self._controls > self.MANY_CONTROLS:
            self.conclusion_label.setText(self.conclusion_label.text().removesuffix(" …") + " …")
            self._conclusion_timer.start()
        else:
            self._refresh_conclusion()

    def _show_counts(self) -> None:
        counts = self.grid_model.counts()
        self.count_model.set_records(counts)
        row = self.count_table.verticalHeader().defaultSectionSize()
        self.count_table.setFixedHeight(self.count_table.horizontalHeader().sizeHint().height()
                                        + row * max(len(counts), 1) + 4)

    def _refresh_conclusion(self) -> None:
        """The tallies from the grid, the conclusion from the services."""
        self._conclusion_timer.stop()
        self._show_counts()
        sample, engagement = self.current_sample(), self.ctx.engagement
        self.status = None
        if sample is not None and engagement is not None:
            conclusions = services.engagement_conclusions(self.ctx.store.reader(), engagement.ref)
            self._controls = len(conclusions.controls)
            self.status = next((c for c in conclusions.controls if c.ref == sample.control_ref), None)
        status = self.status
        if status is None:
            self.conclusion_label.setText("No sample selected")
            self.conclusion_label.setStyleSheet("")
            for label in (self.computed_label, self.explanation, self.result_text):
                label.setText("")
            return
        self.conclusion_label.setText(status.final.label)
        self.conclusion_label.setStyleSheet(f"color: {control_color(status.final).name()};")
        if status.final is not status.computed:
            self.computed_label.setText(f"{sample.control_ref}: the auditor's conclusion; computed: "
                                        f"{status.computed.label.lower()}. {status.rationale}")
        else:
            self.computed_label.setText(f"{sample.control_ref}: computed from all of its samples.")
        self.explanation.setText(status.explanation)
        self.result_text.setText(status.result_text)

    @property
    def conclusion(self) -> str:
        return self.conclusion_label.text()

    # ---- entering results ----------------------------------------------------

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def _inputs(self, cells: list[QModelIndex], outcome: Outcome | None = None, tickmark: str | None = None,
                note: str | None = None) -> list[services.ResultInput]:
        default_tick = str(self.tickmark_combo.currentData() or "")
        out = []
        for index in cells:
            cell = self.grid_model.cell(index)
            assert cell is not None
            key, letter = cell
            existing = self.grid_model.result(key, letter)
            chosen = outcome or (existing.outcome if existing else None)
            if chosen is None:
                continue
            mark = tickmark if tickmark is not None else (existing.tickmark if existing and existing.tickmark
                                                           else default_tick)
            out.append(services.ResultInput(key, letter, chosen, mark,
                                            note if note is not None else (existing.note if existing else "")))
        return out

    def _save(self, inputs: list[services.ResultInput], text: str = "") -> tuple[services.Result, ...] | None:
        """Record ``inputs`` as one undoable edit of this screen (``text`` names it in Edit > Undo)."""
        sample = self.current_sample()
        if sample is None or not inputs:
            return None
        before = {(r.item_key, r.attribute): r.outcome for r in self.grid_model.results()}
        earlier = {(i.item_key, i.attribute): self.grid_model.result(i.item_key, i.attribute) for i in inputs}
        # Each cell names the version the grid shows; a cell someone else recorded since asks first.
        versions = {(key, letter.strip().upper()): version_of(result) for (key, letter), result in earlier.items()}

        def save(conflict: ConflictError | None) -> RecordResultsCommand:
            if conflict is not None and isinstance(conflict.mine, services.ResultInput):
                versions[(conflict.mine.item_key, conflict.mine.attribute.strip().upper())] = conflict.version
                if isinstance(conflict.theirs, services.Result):  # undo puts back what it replaced
                    earlier[(conflict.theirs.item_key, conflict.theirs.attribute)] = conflict.theirs
            command = RecordResultsCommand(
                self.ctx, sample.id, inputs, earlier, text or _cells_text("results", inputs), shown=self.show_undone,
                expected_versions=[versions.get((i.item_key, i.attribute.strip().upper())) for i in inputs])
            command.apply()
            return command

        def take_theirs(_theirs: object) -> None:
            self.show_undone(sample.id, tuple((i.item_key, i.attribute) for i in inputs))

        command = call_versioned(self.ctx, save, mine=None, on_theirs=take_theirs, parent=self)
        if command is None:
            return None
        command.stack = self.ctx.undo.push(command, SCREEN)
        saved = command.saved
        self.grid_model.apply(saved)
        self._after_save()
        deviations_changed = any(
            (r.outcome is Outcome.DEVIATION) != (before.get((r.item_key, r.attribute)) is Outcome.DEVIATION)
            for r in saved)
        topics = [Topic.RESULTS, Topic.CONCLUSIONS]
        if deviations_changed:
            topics.append(Topic.EXCEPTIONS)
        self.announce_later(*topics)
        emit(self.detail_changed, self.current_detail())
        return saved

    def show_undone(self, sample_id: int, cells: tuple[tuple[str, str], ...]) -> None:
        """An undo or redo changed ``cells`` of a sample: show them, cursor on the first."""
        current = self.current_sample()
        if current is None or current.id != sample_id:
            self.select_sample(sample_id)
        sample, engagement = self.current_sample(), self.ctx.engagement
        if sample is not None and sample.id == sample_id and engagement is not None:
            results = services.list_results(self.ctx.store.reader(), engagement.ref, sample_id)
            self.grid_model.set_sample(sample, self.grid_model.attributes, results)
            if cells:
                rows = {item.key: n for n, item in enumerate(self.grid_model.items)}
                column = self.grid_model.column_of(cells[0][1])
                if cells[0][0] in rows and column >= 0:
                    self.grid.setCurrentIndex(self.grid_model.index(rows[cells[0][0]], column))
            self._after_save()
            emit(self.detail_changed, self.current_detail())
        self.flush_announcements()
        self.announce(Topic.RESULTS, Topic.CONCLUSIONS, Topic.EXCEPTIONS)

    def mark(self, outcome: Outcome) -> tuple[services.Result, ...] | None:
        """P / X / N: the selected cells (or the current one) get ``outcome``, saved in one transaction."""
        cells = self.grid.attribute_cells()
        if not cells:
            self.show_message("Move to an attribute column (A, B, ...) to record a result.")
            return None
        word = {Outcome.PASS: "pass", Outcome.DEVIATION: "deviation", Outcome.NA: "not applicable"}[outcome]
        inputs = self._inputs(cells, outcome=outcome)
        saved = self._save(inputs, _cells_text(f"result ({word})" if len(inputs) > 1 else "result", inputs))
        if saved is not None:
            self.show_message(f"{len(saved)} result(s) saved as {word}."
                              + (" An exception was opened: document it in Exceptions." if
                                 outcome is Outcome.DEVIATION else ""))
            if len(cells) == 1:
                self.grid.advance()
        return saved

    def cycle_tickmark(self) -> tuple[services.Result, ...] | None:
        """T: the next symbol of the legend (after the last: none) on the marked cells selected."""
        cells = [i for i in self.grid.attribute_cells()
                 if self.grid_model.result(*self._cell(i)) is not None]
        if not cells:
            self.show_message("Mark the result first (P, X or N), then press T for its tickmark.")
            return None
        symbols = ["", *(t.symbol for t in self.legend)]
        first = self.grid_model.result(*self._cell(cells[0]))
        assert first is not None
        following = symbols[(symbols.index(first.tickmark) + 1) % len(symbols)] if first.tickmark in symbols else ""
        inputs = self._inputs(cells, tickmark=following)
        saved = self._save(inputs, _cells_text("tickmark", inputs))
        if saved is not None:
            meaning = next((t.meaning for t in self.legend if t.symbol == following), "")
            self.show_message(f"Tickmark {following}: {meaning}." if following else "Tickmark removed.")
        return saved

    def _cell(self, index: QModelIndex) -> tuple[str, str]:
        cell = self.grid_model.cell(index)
        assert cell is not None
        return cell

    def save_note(self, key: str, letter: str, text: str) -> None:
        existing = self.grid_model.result(key, letter)
        if existing is None:
            return
        inputs = [services.ResultInput(key, letter, existing.outcome, existing.tickmark, text)]
        if self._save(inputs, _cells_text("comment", inputs)) is not None:
            self.show_message(f"Comment saved on {key}, attribute {letter}.")

    def has_unsaved_edits(self) -> bool:
        """Results are saved key by key; only a comment being typed in the grid is not saved yet."""
        return self.grid.state() == QAbstractItemView.State.EditingState

    def _cell_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        emit(self.detail_changed, self.current_detail())

    def replace_current_item(self) -> services.Sample | None:
        """Replace the current row's item, when it is marked not applicable."""
        from ui.actions import samples as sample_actions

        sample = self.current_sample()
        index = self.grid.currentIndex()
        if sample is None or not index.isValid():
            self.show_message("Select a not-applicable item in the grid first.")
            return None
        key = self.grid_model.items[index.row()].key
        replaced = feedback.attempt(self, sample_actions.replace_item, ctx=self.ctx, sample_id=sample.id,
                                    item_key=key)
        if replaced is not None:
            added = [i.key for i in replaced.items if i.replaces_key == key]
            self.announce(Topic.RESULTS)
            self.load()
            self.show_message(f"{key} replaced by {', '.join(added)}, drawn from the same receipt.")
        return replaced

    def edit_legend(self) -> None:
        dialog = TickmarkDialog(self.legend, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_tickmark(dialog.symbol_edit.currentText().strip(),
                                                           dialog.meaning_edit.text().strip()))
        self.legend_dialog = dialog
        dialog.open()

    def save_tickmark(self, symbol: str, meaning: str) -> services.Tickmark | None:
        saved = feedback.attempt(self, testing_actions.save_tickmark, ctx=self.ctx, symbol=symbol, meaning=meaning)
        if saved is not None:
            self._load_legend()
            self.announce(Topic.RESULTS)
        return saved

    # ---- evidence --------------------------------------------------------------

    def _load_evidence(self) -> None:
        sample, engagement = self.current_sample(), self.ctx.engagement
        records: tuple[services.Evidence, ...] = ()
        if sample is not None and engagement is not None:
            records = tuple(e for e in services.list_evidence(self.ctx.store.reader(), engagement.ref,
                                                              control=sample.control_ref)
                            if e.sample_id in (None, sample.id))
        self.evidence_model.set_records(records)
        self.open_button.setEnabled(False)
        self.hash_label.setText("" if records else "No evidence yet: attach the documents you inspected. Files are "
                                                   "stored inside the workpaper store, identified by their SHA-256.")

    def _evidence_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        evidence: services.Evidence | None = current.data(RECORD_ROLE) if current.isValid() else None
        self.open_button.setEnabled(evidence is not None)
        if evidence is not None:
            self.hash_label.setText(f"{evidence.file_name}: SHA-256 {evidence.sha256}")

    def selected_evidence(self) -> services.Evidence | None:
        index = self.evidence_table.currentIndex()
        evidence: services.Evidence | None = index.data(RECORD_ROLE) if index.isValid() else None
        return evidence

    def choose_evidence(self, *, to_item: bool) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Attach evidence", str(Path.home()), "All files (*)")
        if path:
            self.attach(Path(path), to_item=to_item)

    def attach(self, path: Path, *, to_item: bool) -> services.Evidence | None:
        sample = self.current_sample()
        if sample is None:
            return None
        key = None
        if to_item:
            index = self.grid.currentIndex()
            if not index.isValid():
                self.show_message("Choose the item the evidence belongs to.")
                return None
            key = self.grid_model.items[index.row()].key
        evidence = feedback.attempt(self, testing_actions.attach_evidence, ctx=self.ctx,
                                    control_ref=sample.control_ref, path=path, sample_id=sample.id if to_item else None,
                                    item_key=key)
        if evidence is None:
            return None
        self._load_evidence()
        row = self.evidence_model.row_of(evidence.id)
        self.evidence_table.setCurrentIndex(self.evidence_model.index(row, 0))
        self.show_message(f"{evidence.file_name} attached to {key or sample.control_ref}; SHA-256 {evidence.sha256}.")
        self.announce(Topic.EVIDENCE)
        return evidence

    def open_selected_evidence(self) -> Path | None:
        evidence = self.selected_evidence()
        if evidence is None:
            return None
        try:
            path = testing_actions.export_evidence(ctx=self.ctx, evidence_id=evidence.id, folder=self.evidence_folder)
        except AuditDeskError as exc:
            self.hash_label.setText(str(exc))
            feedback.show_error(self, str(exc))
            return None
        self.last_opened = path
        self.hash_label.setText(f"{evidence.file_name}: SHA-256 {evidence.sha256} re-checked before opening.")
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    # ---- the right-hand panel ------------------------------------------------------

    def current_detail(self) -> Detail | None:
        sample = self.current_sample()
        if sample is None:
            return None
        index = self.grid.currentIndex()
        cell = self.grid_model.cell(index)
        if cell is None:
            return Detail(title=sample_title(sample), rows=(("Conclusion", self.conclusion),))
        key, letter = cell
        attribute = self.grid_model.attribute_at(index.column())
        result = self.grid_model.result(key, letter)
        rows: list[tuple[str, str]] = [("Attribute", f"{letter}: {attribute.question if attribute else ''}")]
        if result is not None:
            rows += [("Result", result.outcome.value), ("Tickmark", result.tickmark or "none"),
                     ("Recorded", f"{result.recorded_by}, {result.recorded_at[:16].replace('T', ' ')} UTC")]
        return Detail(title=f"{key} · {sample.control_ref}", rows=tuple(rows),
                      notes=(result.note,) if result is not None and result.note else ())
