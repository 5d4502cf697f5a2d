"""A two-level tree model: group rows, each with record rows beneath.

Criteria are shown by series (CC1 ... CC9, A1, C1 ...), so two levels are all
the catalog needs. Leaves can carry check boxes; a group's box is derived from
its children (partially checked when some are).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ui.models.columns import FILTER_ROLE, RECORD_ROLE, Column
from ui.qt_compat import emit

G = TypeVar("G")
R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex

# internalId of a group row; leaves carry their group's row + 1.
_GROUP_ID = 0


@dataclass(frozen=True, slots=True)
class Group(Generic[G, R]):
    header: G
    children: tuple[R, ...]


class GroupedTreeModel(QAbstractItemModel, Generic[G, R]):
    """Groups (column spec ``group_columns``) holding records (``leaf_columns``)."""

    #: emitted when the user (or code) changes which leaves are checked
    checks_changed = Signal()

    def __init__(
        self,
        group_columns: Sequence[Column[Group[G, R]]],
        leaf_columns: Sequence[Column[R]],
        *,
        leaf_key: Callable[[R], Hashable] | None = None,
        checkable: bool = False,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        if len(group_columns) != len(leaf_columns):
            raise ValueError("groups and leaves need the same number of columns")
        self.group_columns = tuple(group_columns)
        self.leaf_columns = tuple(leaf_columns)
        self._groups: list[Group[G, R]] = []
        self._key = leaf_key
        self._checkable = checkable
        self._checked: set[Hashable] = set()

    # ---- structure -----------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _GROUP_ID)
        if parent.internalId() == _GROUP_ID:
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _GROUP_ID:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _GROUP_ID)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.column() == 0 and parent.internalId() == _GROUP_ID:
            return len(self._groups[parent.row()].children)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.leaf_columns)

    # ---- content -------------------------------------------------------

    def _is_group(self, index: Index) -> bool:
        return index.internalId() == _GROUP_ID

    def group_at(self, index: Index) -> Group[G, R]:
        return self._groups[index.row() if self._is_group(index) else index.internalId() - 1]

    def record_at(self, index: Index) -> R | None:
        """The leaf record at ``index``; None for a group row."""
        if not index.isValid() or self._is_group(index):
            return None
        return self._groups[index.internalId() - 1].children[index.row()]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if self._is_group(index):
            group = self._groups[index.row()]
            if role == RECORD_ROLE:
                return group
            if role == FILTER_ROLE:
                return " ".join(c.display(group) for c in self.group_columns).casefold()
            if role == Qt.ItemDataRole.CheckStateRole and self._checkable and index.column() == 0:
                return self._group_state(group)
            return self.group_columns[index.column()].value(group, int(role))
        record = self._groups[index.internalId() - 1].children[index.row()]
        if role == RECORD_ROLE:
            return record
        if role == FILTER_ROLE:
            return " ".join(c.display(record) for c in self.leaf_columns).casefold()
        if role == Qt.ItemDataRole.CheckStateRole and self._checkable and index.column() == 0:
            assert self._key is not None
            return Qt.CheckState.Checked if self._key(record) in self._checked else Qt.CheckState.Unchecked
        return self.leaf_columns[index.column()].value(record, int(role))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.leaf_columns):
            return self.leaf_columns[section].header
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self._is_group(index):
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        # A group's box only reports its children: mapping a whole series with
        # one click is rarely meant, so only leaves are checkable.
        if self._checkable and index.column() == 0 and not self._is_group(index):
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    # ---- check boxes ---------------------------------------------------

    def _group_state(self, group: Group[G, R]) -> Qt.CheckState:
        assert self._key is not None
        ticked = sum(1 for r in group.children if self._key(r) in self._checked)
        if ticked == 0:
            return Qt.CheckState.Unchecked
        if ticked == len(group.children):
            return Qt.CheckState.Checked
        return Qt.CheckState.PartiallyChecked

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self._checkable and index.isValid() and role == Qt.ItemDataRole.CheckStateRole):
            return False
        if self._is_group(index) or index.column() != 0:
            return False
        assert self._key is not None
        # Views hand over an int, code may hand over the enum.
        on = Qt.CheckState(value) == Qt.CheckState.Checked if isinstance(value, int) else (
            value == Qt.CheckState.Checked
        )
        key = self._key(self.record_at(index))
        if on:
            self._checked.add(key)
        else:
            self._checked.discard(key)
        self._emit_group_changed(index.internalId() - 1)
        emit(self.checks_changed)
        return True

    def _emit_group_changed(self, group_row: int) -> None:
        group_index = self.index(group_row, 0)
        emit(self.dataChanged, group_index, group_index, [Qt.ItemDataRole.CheckStateRole])
        count = len(self._groups[group_row].children)
        if count:
            emit(self.dataChanged,
                self.index(0, 0, group_index), self.index(count - 1, 0, group_index), [Qt.ItemDataRole.CheckStateRole]
            )

    def checked_keys(self) -> frozenset[Hashable]:
        return frozenset(self._checked)

    def set_checked_keys(self, keys: Iterable[Hashable]) -> None:
        self._checked = set(keys)
        for row in range(len(self._groups)):
            self._emit_group_changed(row)
        emit(self.checks_changed)

    # ---- loading -------------------------------------------------------

    def set_groups(self, groups: Iterable[Group[G, R]]) -> None:
        self.beginResetModel()
        self._groups = list(groups)
        self.endResetModel()

    def groups(self) -> tuple[Group[G, R], ...]:
        return tuple(self._groups)

    def leaf_index(self, key: Hashable, column: int = 0) -> QModelIndex:
        """The index of the leaf whose key is ``key`` (invalid when absent)."""
        assert self._key is not None
        for g, group in enumerate(self._groups):
            for r, record in enumerate(group.children):
                if self._key(record) == key:
                    return self.index(r, column, self.index(g, 0))
        return QModelIndex()
