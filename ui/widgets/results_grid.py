"""The results grid's table view: keyboard-first entry of test results.

Arrow keys move; P, X and N mark the current cell (or every selected cell)
pass, deviation or not applicable; T cycles the tickmark; Enter or F2 edits
the comment. The view only turns keys into requests; the testing screen saves
them through an action.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from auditdesk import services
from ui.models.results import ResultsGridModel
from ui.qt_compat import emit

KEY_OUTCOMES = {
    Qt.Key.Key_P: services.Outcome.PASS,
    Qt.Key.Key_X: services.Outcome.DEVIATION,
    Qt.Key.Key_N: services.Outcome.NA,
}
KEY_HELP = "P pass · X deviation · N not applicable · T tickmark · Enter or F2 comment · Shift+arrows select"


class ResultsGridView(QTableView):
    mark_requested = Signal(object)  # services.Outcome
    tickmark_requested = Signal()
    comment_refused = Signal()  # Enter on a cell with no result yet

    def __init__(self, model: ResultsGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = model
        self.setModel(model)
        self.setObjectName("resultsGrid")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.DoubleClicked)
        self.setTabKeyNavigation(True)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        vertical = self.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.horizontalHeader().setHighlightSections(True)
        self.horizontalHeader().setStretchLastSection(False)

    def size_columns(self) -> None:
        """Item columns at a fixed width; the attribute columns share the rest (72 to 150 px)."""
        model = self.grid
        if not model.columnCount():
            return
        fixed = [118, 88] + ([90] if model.first_attribute_column == 3 else [])
        for column, width in enumerate(fixed):
            self.setColumnWidth(column, width)
        attributes = model.columnCount() - model.first_attribute_column
        room = self.viewport().width() - sum(fixed) - 2
        width = min(max(room // max(attributes, 1), 72), 150)
        for column in range(model.first_attribute_column, model.columnCount()):
            self.setColumnWidth(column, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.size_columns()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                          | Qt.KeyboardModifier.MetaModifier))
        if plain and key in KEY_OUTCOMES:
            emit(self.mark_requested, KEY_OUTCOMES[key])
            event.accept()
            return
        if plain and key == Qt.Key.Key_T:
            emit(self.tickmark_requested)
            event.accept()
            return
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            index = self.currentIndex()
            if index.isValid() and self.grid.flags(index) & Qt.ItemFlag.ItemIsEditable:
                self.edit(index)
            elif self.grid.cell(index) is not None:
                emit(self.comment_refused)
            event.accept()
            return
        super().keyPressEvent(event)

    def advance(self) -> None:
        """After marking one cell: the next attribute of the item, then the next item's first."""
        index = self.currentIndex()
        if not index.isValid():
            return
        model = self.grid
        column, row = index.column() + 1, index.row()
        if column >= model.columnCount():
            column, row = model.first_attribute_column, row + 1
        if row < model.rowCount():
            self.setCurrentIndex(model.index(row, column))

    def attribute_cells(self) -> list[QModelIndex]:
        """The selected attribute cells, or the current one, in reading order."""
        chosen = [i for i in self.selectionModel().selectedIndexes() if self.grid.cell(i) is not None]
        current = self.currentIndex()
        if not chosen and self.grid.cell(current) is not None:
            chosen = [current]
        return sorted(chosen, key=lambda i: (i.row(), i.column()))
