"""The one table model: a tuple of records shown through a column spec."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ui.models.columns import FILTER_ROLE, RECORD_ROLE, SORT_ROLE, Column
from ui.qt_compat import emit

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Rows are frozen dataclasses; columns say what each role shows.

    ``key`` identifies a record across reloads (usually its database id), so a
    saved record replaces its row in place instead of resetting the table.
    """

    #: emitted after an edit made in the table itself (draft tables)
    edited = Signal()

    def __init__(
        self,
        columns: Sequence[Column[R]],
        records: Iterable[R] = (),
        *,
        key: Callable[[R], Hashable] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[R], ...] = tuple(columns)
        self._records: list[R] = list(records)
        # The text a filter matches, built once per record: filtering thousands
        # of rows should not rebuild every row's text on each keystroke.
        self._filter_text: list[str | None] = [None] * len(self._records)
        self._key = key
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None  # kept across reloads

    # ---- reading -------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._records):
            return None
        record = self._records[index.row()]
        if role == RECORD_ROLE:
            return record
        if role == FILTER_ROLE:
            return self.filter_text(index.row())
        return self.columns[index.column()].value(record, int(role))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.header_tip:
            return column.header_tip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if self.columns[index.column()].edit is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def filter_text(self, row: int) -> str:
        """All columns' text of a row, lower-cased, built once per record."""
        text = self._filter_text[row]
        if text is None:
            record = self._records[row]
            text = " ".join(c.display(record) for c in self.columns).casefold()
            self._filter_text[row] = text
        return text

    def _sorted_rows(self, records: list[R]) -> list[int]:
        if self._sorted_by is None:
            return list(range(len(records)))
        column, order = self._sorted_by
        spec = self.columns[column]
        keys = [spec.value(r, SORT_ROLE) for r in records]
        return sorted(range(len(records)), key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the records by the column's sort key, keeping selections on their records.

        Later reloads keep this order; a row edited in place stays where it is
        until the next sort, so it does not jump away while being worked on.
        """
        if not 0 <= column < len(self.columns):
            return
        self._sorted_by = (column, order)
        order_of = self._sorted_rows(self._records)
        emit(self.layoutAboutToBeChanged)
        new_row = {old: new for new, old in enumerate(order_of)}
        self._records = [self._records[i] for i in order_of]
        self._filter_text = [self._filter_text[i] for i in order_of]
        for index in self.persistentIndexList():
            self.changePersistentIndex(index, self.index(new_row[index.row()], index.column()))
        emit(self.layoutChanged)

    def records(self) -> tuple[R, ...]:
        return tuple(self._records)

    def record(self, row: int) -> R:
        return self._records[row]

    def row_of(self, key: Hashable) -> int:
        """The row holding the record with ``key``, or -1."""
        if self._key is None:
            raise TypeError("this model has no key function")
        return next((i for i, r in enumerate(self._records) if self._key(r) == key), -1)

    # ---- changing ------------------------------------------------------

    def set_records(self, records: Iterable[R]) -> None:
        self.beginResetModel()
        fresh = list(records)
        self._records = [fresh[i] for i in self._sorted_rows(fresh)]
        self._filter_text = [None] * len(self._records)
        self.endResetModel()

    def upsert(self, record: R) -> int:
        """Replace the row with the same key, or append; returns the row."""
        assert self._key is not None
        row = self.row_of(self._key(record))
        if row < 0:
            return self.append(record)
        self._records[row] = record
        self._filter_text[row] = None
        emit(self.dataChanged, self.index(row, 0), self.index(row, len(self.columns) - 1))
        return row

    def append(self, record: R) -> int:
        row = len(self._records)
        self.beginInsertRows(QModelIndex(), row, row)
        self._records.append(record)
        self._filter_text.append(None)
        self.endInsertRows()
        return row

    def insert(self, row: int, record: R) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self._records.insert(row, record)
        self._filter_text.insert(row, None)
        self.endInsertRows()

    def remove_row(self, row: int) -> R:
        self.beginRemoveRows(QModelIndex(), row, row)
        record = self._records.pop(row)
        self._filter_text.pop(row)
        self.endRemoveRows()
        return record

    def remove_key(self, key: Hashable) -> None:
        row = self.row_of(key)
        if row >= 0:
            self.remove_row(row)

    def move_row(self, row: int, to: int) -> None:
        """Move one row up or down (``to`` is the row it ends on)."""
        if row == to or not (0 <= row < len(self._records) and 0 <= to < len(self._records)):
            return
        # Qt counts the destination before the move: moving down targets to+1.
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), to + 1 if to > row else to)
        self._records.insert(to, self._records.pop(row))
        self._filter_text.insert(to, self._filter_text.pop(row))
        self.endMoveRows()

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        column = self.columns[index.column()]
        if column.edit is None:
            return False
        row = index.row()
        self._records[row] = column.edit(self._records[row], value)
        self._filter_text[row] = None
        emit(self.dataChanged, self.index(row, 0), self.index(row, len(self.columns) - 1))
        emit(self.edited)
        return True
