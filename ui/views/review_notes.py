"""Review notes: what reviewers asked, what the team answered, and what is cleared."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from auditdesk import services
from auditdesk.errors import ConflictError
from auditdesk.services.review import ReviewNote
from auditdesk.services.versioning import version_of
from ui.context import AppContext, Topic
from ui.dialogs.conflict import call_versioned
from ui.feedback import attempt
from ui.qt_compat import emit
from ui.views.base import WorkspaceView
from ui.widgets.detail_panel import Detail

COLUMNS = ("#", "Item", "Status", "Note", "Author", "Response", "Responder", "Cleared by")
ALL_ITEMS = "All items"
STATUS_LABELS = {"open": "Open", "responded": "Responded", "cleared": "Cleared"}


class ReviewNotesView(WorkspaceView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.RESULTS, Topic.CONCLUSIONS, Topic.TEAM})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Review notes", "Notes on workpapers: open, answered, cleared.", parent)
        filters = QHBoxLayout()
        self.mine_check = QCheckBox("Mine")
        self.mine_check.setToolTip("Notes you wrote or answered")
        self.open_check = QCheckBox("Not cleared")
        self.open_check.setChecked(True)
        self.item_combo = QComboBox()
        self.item_combo.setMinimumContentsLength(16)
        for box in (self.mine_check, self.open_check):
            box.toggled.connect(self.load)
        self.item_combo.currentIndexChanged.connect(self._item_chosen)
        filters.addWidget(self.mine_check)
        filters.addWidget(self.open_check)
        filters.addWidget(self.item_combo)
        filters.addStretch(1)
        self.layout_.addLayout(filters)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.layout_.addWidget(self.table, 1)

        add_row = QHBoxLayout()
        self.new_item = QLineEdit()
        self.new_item.setPlaceholderText("control:REF, sample:ID, description, opinion or report:N")
        self.new_text = QLineEdit()
        self.new_text.setPlaceholderText("What the preparer should look at")
        self.add_button = QPushButton("Add note")
        self.add_button.clicked.connect(self._add)
        add_row.addWidget(self.new_item, 1)
        add_row.addWidget(self.new_text, 3)
        add_row.addWidget(self.add_button)
        self.layout_.addLayout(add_row)

        act_row = QHBoxLayout()
        self.response_edit = QLineEdit()
        self.response_edit.setPlaceholderText("Your response to the selected note")
        self.respond_button = QPushButton("Respond")
        self.respond_button.clicked.connect(self._respond)
        self.clear_button = QPushButton("Clear note")
        self.clear_button.clicked.connect(self._clear)
        act_row.addWidget(self.response_edit, 1)
        act_row.addWidget(self.respond_button)
        act_row.addWidget(self.clear_button)
        self.layout_.addLayout(act_row)
        self.notes: tuple[ReviewNote, ...] = ()
        self._selected()

    def load(self, *_args: object) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        reader = self.ctx.store.reader
        everything = services.list_notes(reader(), engagement.ref)
        chosen = self.item_combo.currentData()
        self.item_combo.blockSignals(True)
        self.item_combo.clear()
        self.item_combo.addItem(ALL_ITEMS, None)
        for item in sorted({n.item for n in everything}):
            self.item_combo.addItem(item, item)
        found = self.item_combo.findData(chosen) if chosen else 0
        self.item_combo.setCurrentIndex(max(found, 0))
        self.item_combo.blockSignals(False)
        self.notes = services.list_notes(
            reader(),
            engagement.ref,
            person=self.ctx.actor if self.mine_check.isChecked() else None,
            item=self.item_combo.currentData(),
            open_only=self.open_check.isChecked(),
        )
        self.table.setRowCount(len(self.notes))
        for row, note in enumerate(self.notes):
            values = (
                str(note.id),
                note.item,
                STATUS_LABELS.get(note.status, note.status),
                note.text,
                note.author,
                note.response,
                note.responder,
                note.clearer,
            )
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, note.id)
                self.table.setItem(row, column, cell)
        waiting = sum(1 for n in everything if n.status != "cleared")
        self.header.set_subtitle(f"{waiting} of {len(everything)} notes not cleared on {engagement.ref}.")
        self._selected()

    def _item_chosen(self, *_args: object) -> None:
        self.load()

    def has_unsaved_edits(self) -> bool:
        """A response or a new note typed and not saved."""
        return bool(self.response_edit.text().strip() or self.new_text.text().strip())

    def select_note(self, note_id: int) -> bool:
        for row, note in enumerate(self.notes):
            if note.id == note_id:
                self.table.selectRow(row)
                return True
        return False

    def selected_note(self) -> ReviewNote | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self.notes[row] if 0 <= row < len(self.notes) else None

    def _selected(self) -> None:
        note = self.selected_note()
        open_note = note is not None and note.status != "cleared"
        self.respond_button.setEnabled(open_note)
        self.clear_button.setEnabled(open_note)
        emit(self.detail_changed, self.current_detail())

    def current_detail(self) -> Detail | None:
        note = self.selected_note()
        if note is None:
            return None
        rows = [("Item", note.item), ("Status", STATUS_LABELS.get(note.status, note.status)), ("Author", note.author)]
        if note.responder:
            rows.append(("Responder", note.responder))
        if note.clearer:
            rows.append(("Cleared by", note.clearer))
        notes = [note.text] + ([f"Response: {note.response}"] if note.response else [])
        return Detail(f"Review note {note.id}", tuple(rows), tuple(notes))

    def _done(self) -> None:
        self.load()

    def _add(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        added = attempt(
            self,
            services.add_note,
            self.ctx.store.uow(self.ctx.actor),
            engagement.ref,
            self.new_item.text(),
            self.new_text.text(),
        )
        if added is not None:
            self.new_text.clear()
            self._done()

    def _respond(self) -> None:
        note, engagement = self.selected_note(), self.ctx.engagement
        if note is None or engagement is None:
            return
        response = self.response_edit.text()

        def save(conflict: ConflictError | None) -> ReviewNote:
            # The note as the table shows it is the version the response was written to.
            version = version_of(note) if conflict is None else conflict.version
            return services.respond_note(self.ctx.store.uow(self.ctx.actor), engagement.ref, note.id, response,
                                         expected_version=version)

        def take_theirs(_theirs: object) -> None:
            self.response_edit.clear()
            self._done()
            self.select_note(note.id)

        answered = call_versioned(self.ctx, save, mine={"response": response}, on_theirs=take_theirs, parent=self)
        if answered is not None:
            self.response_edit.clear()
            self._done()

    def _clear(self) -> None:
        note, engagement = self.selected_note(), self.ctx.engagement
        if note is None or engagement is None:
            return
        if attempt(self, services.clear_note, self.ctx.store.uow(self.ctx.actor), engagement.ref, note.id) is not None:
            self._done()
