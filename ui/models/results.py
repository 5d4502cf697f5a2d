"""The results grid (sampled items x test attributes) and the evidence list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from auditdesk import services
from auditdesk.domain import Attribute
from ui import theme
from ui.models.columns import CENTER, RIGHT, Column
from ui.models.populations import short_hash
from ui.models.table import RecordTableModel
from ui.qt_compat import emit

Index = QModelIndex | QPersistentModelIndex
Outcome = services.Outcome

OUTCOME_TEXT = {Outcome.PASS: "Pass", Outcome.DEVIATION: "Deviation", Outcome.NA: "N/A"}
#: The marker of a cell with a comment.
NOTE_MARK = "✎"


@dataclass(frozen=True, slots=True)
class AttributeCount:
    """One attribute's results over the sample, for the tally beside the grid."""

    letter: str
    question: str
    passed: int
    deviations: int
    not_applicable: int
    untested: int


def cell_text(result: services.Result | None) -> str:
    if result is None:
        return ""
    text = OUTCOME_TEXT[result.outcome]
    if result.tickmark:
        text += f"  {result.tickmark}"
    if result.note:
        text += f"  {NOTE_MARK}"
    return text


def _tint(color: QColor, alpha: int) -> QColor:
    tinted = QColor(color)
    tinted.setAlpha(alpha)
    return tinted


class ResultsGridModel(QAbstractTableModel):
    """Rows are the sample's items, then one column per test attribute.

    The model only shows results it was given; the view saves each keystroke
    through an action and hands the stored results back (``apply``).
    ``note_entered`` carries a comment typed in a cell's editor to the view.
    """

    note_entered = Signal(str, str, str)  # item key, attribute letter, comment

    ITEM, DATE = 0, 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: tuple[services.SampleItem, ...] = ()
        self._attributes: tuple[Attribute, ...] = ()
        self._results: dict[tuple[str, str], services.Result] = {}
        self._amounts = False
        self.sample_id: int | None = None

    # ---- loading ---------------------------------------------------------

    def set_sample(
        self,
        sample: services.Sample | None,
        attributes: Iterable[Attribute] = (),
        results: Iterable[services.Result] = (),
    ) -> None:
        self.beginResetModel()
        self.sample_id = sample.id if sample is not None else None
        self._items = sample.items if sample is not None else ()
        self._attributes = tuple(attributes) if sample is not None else ()
        self._amounts = any(i.amount is not None for i in self._items)
        self._results = {(r.item_key, r.attribute): r for r in results}
        self.endResetModel()

    def apply(self, results: Iterable[services.Result]) -> None:
        """Show results just stored, cell by cell (no reset: the cursor stays put)."""
        rows = {item.key: n for n, item in enumerate(self._items)}
        for result in results:
            self._results[(result.item_key, result.attribute)] = result
            row = rows.get(result.item_key)
            column = self.column_of(result.attribute)
            if row is not None and column >= 0:
                cell = self.index(row, column)
                emit(self.dataChanged, cell, cell)

    # ---- shape -----------------------------------------------------------

    @property
    def first_attribute_column(self) -> int:
        return 3 if self._amounts else 2

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return self._attributes

    @property
    def items(self) -> tuple[services.SampleItem, ...]:
        return self._items

    def column_of(self, letter: str) -> int:
        for n, attribute in enumerate(self._attributes):
            if attribute.letter == letter:
                return self.first_attribute_column + n
        return -1

    def attribute_at(self, column: int) -> Attribute | None:
        n = column - self.first_attribute_column
        return self._attributes[n] if 0 <= n < len(self._attributes) else None

    def cell(self, index: Index) -> tuple[str, str] | None:
        """(item key, attribute letter) of an attribute cell, else None."""
        if not index.isValid() or index.row() >= len(self._items):
            return None
        attribute = self.attribute_at(index.column())
        return None if attribute is None else (self._items[index.row()].key, attribute.letter)

    def result(self, key: str, letter: str) -> services.Result | None:
        return self._results.get((key, letter))

    def results(self) -> tuple[services.Result, ...]:
        return tuple(self._results.values())

    def counts(self) -> tuple[AttributeCount, ...]:
        """Pass, deviation, n/a and untested per attribute, from the results shown."""
        out = []
        for attribute in self._attributes:
            outcomes = [self._results.get((i.key, attribute.letter)) for i in self._items]
            passed = sum(1 for r in outcomes if r is not None and r.outcome is Outcome.PASS)
            deviations = sum(1 for r in outcomes if r is not None and r.outcome is Outcome.DEVIATION)
            na = sum(1 for r in outcomes if r is not None and r.outcome is Outcome.NA)
            out.append(AttributeCount(attribute.letter, attribute.question, passed, deviations, na,
                                      len(outcomes) - passed - deviations - na))
        return tuple(out)

    # ---- Qt --------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or not self._items:
            return 0
        return self.first_attribute_column + len(self._attributes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        attribute = self.attribute_at(column)
        if attribute is None:
            return self._item_data(item, column, role)
        result = self._results.get((item.key, attribute.letter))
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(result)
        if role == Qt.ItemDataRole.EditRole:
            return result.note if result is not None else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(CENTER.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{attribute.letter}: {attribute.question}"
            if result is None:
                return tip + "\nNot tested yet: P pass, X deviation, N not applicable."
            tip += f"\n{OUTCOME_TEXT[result.outcome]}"
            if result.tickmark:
                tip += f", tickmark {result.tickmark}"
            if result.note:
                tip += f"\nComment: {result.note}"
            return tip + f"\nRecorded by {result.recorded_by} on {result.recorded_at[:16].replace('T', ' ')} UTC"
        if result is None:
            return None
        colors = theme.colors()
        if role == Qt.ItemDataRole.BackgroundRole:
            if result.outcome is Outcome.PASS:
                return _tint(colors.good, 38)
            if result.outcome is Outcome.DEVIATION:
                return _tint(colors.bad, 56)
            return _tint(colors.neutral, 44)
        if role == Qt.ItemDataRole.ForegroundRole and result.outcome is Outcome.DEVIATION:
            return colors.bad
        return None

    def _item_data(self, item: services.SampleItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int((RIGHT if column == 2 else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if column == self.ITEM:
            return item.key
        if column == self.DATE:
            return item.date.isoformat() if item.date is not None else ""
        return item.amount or ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._items):
                return str(section + 1)
            return None
        if not 0 <= section < self.columnCount():
            return None
        attribute = self.attribute_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if attribute is not None:
                return attribute.letter
            return ("Item", "Date", "Amount")[section]
        if role == Qt.ItemDataRole.ToolTipRole and attribute is not None:
            return f"{attribute.letter}: {attribute.question}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        cell = self.cell(index)
        if cell is not None and cell in self._results:
            flags |= Qt.ItemFlag.ItemIsEditable  # the comment of a marked cell
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        cell = self.cell(index)
        if role != Qt.ItemDataRole.EditRole or cell is None or cell not in self._results:
            return False
        text = str(value).strip()
        if text != self._results[cell].note:
            emit(self.note_entered, cell[0], cell[1], text)
        return True


EVIDENCE_COLUMNS: tuple[Column[services.Evidence], ...] = (
    Column("File", lambda e: e.file_name, tooltip=lambda e: e.file_name, width=190),
    Column("Attached to", lambda e: e.item_key or "the control", width=110),
    Column("SHA-256", lambda e: short_hash(e.sha256), tooltip=lambda e: f"SHA-256 {e.sha256}: re-checked on open",
           width=120),
    Column("Size", lambda e: f"{e.size:,} B" if e.size < 10_240 else f"{e.size / 1024:,.0f} KB",
           sort_key=lambda e: e.size, alignment=RIGHT, width=80),
    Column("Attached", lambda e: f"{e.attached_at[:10]} by {e.attached_by}", sort_key=lambda e: e.attached_at,
           width=130),
)


class EvidenceTableModel(RecordTableModel[services.Evidence]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(EVIDENCE_COLUMNS, key=lambda e: e.id, parent=parent)
