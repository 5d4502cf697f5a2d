"""Activity: the audit trail, read-only, with each change's record before and after side by side."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk.services.activity import ActivityEntry, ActivityQuery, activity_facets, list_activity
from ui.context import AppContext, Topic
from ui.models.activity import ActivityTableModel, ChangeTableModel, entity_words, when
from ui.models.columns import RECORD_ROLE
from ui.qt_compat import emit
from ui.views.base import WorkspaceView
from ui.views.fieldwork import card, hint
from ui.widgets.detail_panel import Detail, action_words
from ui.widgets.tables import RecordFilterProxy, make_table

ANY = ""
# A QDateEdit cannot be empty: its minimum date stands for "no limit" and reads as such.
NO_DATE = QDate(2000, 1, 1)
PAGE = 2000  # newest events read at once; the count says when there are more


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText("any day")
    edit.setDate(NO_DATE)
    return edit


def _day(edit: QDateEdit) -> dt.date | None:
    date = edit.date()
    return None if date == NO_DATE else dt.date(date.year(), date.month(), date.day())


class ActivityView(WorkspaceView):
    """Who changed what and when, filtered by person, record, action and day."""

    topics = frozenset(Topic)  # every change lands in the trail

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Activity",
                         "Every change recorded in the audit trail, newest first. Nothing here can be edited.",
                         parent)
        self.scope_combo = QComboBox()
        self.scope_combo.addItem("This engagement", "engagement")
        self.scope_combo.addItem("Whole store", "store")
        self.scope_combo.setToolTip("The whole store also shows the firm's staff list and settings")
        self.person_combo = QComboBox()
        self.entity_combo = QComboBox()
        self.action_combo = QComboBox()
        self.since_edit = _date_edit()
        self.until_edit = _date_edit()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Find in the listed changes  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.clear_button = QPushButton("Clear filters")
        self.count_label = hint()
        first = QHBoxLayout()
        for label, widget in (("Show", self.scope_combo), ("Person", self.person_combo),
                              ("Record", self.entity_combo), ("Action", self.action_combo)):
            first.addWidget(QLabel(label))
            first.addWidget(widget, 1)
        second = QHBoxLayout()
        second.addWidget(QLabel("From"))
        second.addWidget(self.since_edit)
        second.addWidget(QLabel("to"))
        second.addWidget(self.until_edit)
        second.addWidget(self.filter_edit, 1)
        second.addWidget(self.count_label)
        second.addWidget(self.clear_button)
        self.layout_.addLayout(first)
        self.layout_.addLayout(second)

        self.model = ActivityTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=ActivityTableModel.SUBJECT_COLUMN,
                                sortable=False)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.change_title = QLabel("No change selected")
        self.change_title.setObjectName("sectionHeading")
        self.change_note = hint()
        self.changes = ChangeTableModel(self)
        self.change_table = make_table(self.changes, sortable=False)
        self.change_table.setSelectionMode(self.change_table.SelectionMode.NoSelection)
        self.change_table.horizontalHeader().setStretchLastSection(True)
        change_box = QWidget()
        change_layout = QVBoxLayout(change_box)
        change_layout.setContentsMargins(0, 0, 0, 0)
        change_layout.addWidget(self.change_title)
        change_layout.addWidget(self.change_note)
        change_layout.addWidget(self.change_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(card(change_box))
        splitter.setSizes([320, 280])
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)

        self.total = 0
        self._filling = False
        for combo in (self.scope_combo, self.person_combo, self.entity_combo, self.action_combo):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.since_edit.dateChanged.connect(self._filters_changed)
        self.until_edit.dateChanged.connect(self._filters_changed)
        self.filter_edit.textChanged.connect(self._text_changed)
        self.clear_button.clicked.connect(self.clear_filters)

    # ---- reading ----------------------------------------------------------

    def query(self) -> ActivityQuery:
        engagement = self.ctx.engagement
        whole_store = self.scope_combo.currentData() == "store" or engagement is None
        return ActivityQuery(
            engagement=None if whole_store or engagement is None else engagement.id,
            actor=str(self.person_combo.currentData() or ANY),
            entity=str(self.entity_combo.currentData() or ANY),
            action=str(self.action_combo.currentData() or ANY),
            since=_day(self.since_edit),
            until=_day(self.until_edit),
        )

    def load(self) -> None:
        self._fill_choices()
        query = self.query()
        page = list_activity(self.ctx.store.reader(), query, limit=PAGE)
        current = self.selected()
        self.model.set_records(page.entries)
        self.total = page.total
        self._update_count()
        if not self.select(current.id if current is not None else None):
            self._show_entry(None)

    def _fill_choices(self) -> None:
        """The filters offer the people, records and actions found in the trail; choices made are kept."""
        engagement = self.ctx.engagement
        scope = None if self.scope_combo.currentData() == "store" or engagement is None else engagement.id
        facets = activity_facets(self.ctx.store.reader(), scope)
        self._filling = True
        try:
            for combo, everyone, values, words in (
                (self.person_combo, "Everyone", facets.actors, str),
                (self.entity_combo, "Any record", facets.entities, entity_words),
                (self.action_combo, "Any action", facets.actions, action_words),
            ):
                chosen = combo.currentData()
                combo.clear()
                combo.addItem(everyone, ANY)
                for value in values:
                    combo.addItem(words(value), value)
                combo.setCurrentIndex(max(combo.findData(chosen), 0))
        finally:
            self._filling = False

    def _filters_changed(self, *_args: object) -> None:
        if not self._filling:
            self.load()

    def _text_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def clear_filters(self) -> None:
        self._filling = True
        try:
            for combo in (self.person_combo, self.entity_combo, self.action_combo):
                combo.setCurrentIndex(0)
            self.since_edit.setDate(NO_DATE)
            self.until_edit.setDate(NO_DATE)
            self.filter_edit.clear()
        finally:
            self._filling = False
        self.load()

    def _update_count(self) -> None:
        shown, read = self.proxy.rowCount(), self.model.rowCount()
        text = f"{self.total:,} change{'s' if self.total != 1 else ''}"
        if read < self.total:
            text += f" (the newest {read:,} listed)"
        if shown < read:
            text += f", {shown:,} found"
        self.count_label.setText(text)

    # ---- selection --------------------------------------------------------

    def selected(self) -> ActivityEntry | None:
        index = self.table.currentIndex()
        entry: ActivityEntry | None = index.data(RECORD_ROLE) if index.isValid() else None
        return entry

    def select(self, event_id: int | None) -> bool:
        row = self.model.row_of(event_id) if event_id is not None else -1
        if row < 0:
            row = 0 if self.model.rowCount() else -1
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        self._show_entry(self.model.record(row))
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_entry(current.data(RECORD_ROLE) if current.isValid() else None)

    def _show_entry(self, entry: ActivityEntry | None) -> None:
        if entry is None:
            self.change_title.setText("No change selected")
            self.change_note.setText("Select a change to see the record before and after it.")
            self.changes.set_records(())
        else:
            self.change_title.setText(f"{entry.actor} {action_words(entry.action)}: {entry.subject}")
            changes = entry.changes
            altered = sum(1 for c in changes if c.changed)
            if entry.before is None:
                note = "A new record: there is no 'before'."
            elif entry.after is None:
                note = "The record as it was; there is no 'after'."
            else:
                note = f"{altered} field{'s' if altered != 1 else ''} changed (highlighted)."
            self.change_note.setText(f"{when(entry)} · event {entry.id} of the audit trail · {note}")
            self.changes.set_records(changes)
        emit(self.detail_changed, self.current_detail())

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def current_detail(self) -> Detail | None:
        entry = self.selected()
        if entry is None:
            return None
        return Detail(
            title=f"Event {entry.id}",
            rows=(("When", when(entry)), ("Person", entry.actor), ("Action", action_words(entry.action)),
                  ("Record", f"{entity_words(entry.entity)} {entry.entity_id}"), ("What", entry.subject)),
        )

    def has_unsaved_edits(self) -> bool:
        """Nothing here is edited (the filters are kept by a reload)."""
        return False
