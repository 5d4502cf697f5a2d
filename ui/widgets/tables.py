"""Table and tree views set up the same way everywhere, and the filter proxy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTreeView,
    QWidget,
)

from ui import theme
from ui.models.columns import FILTER_ROLE, RECORD_ROLE, SORT_ROLE, Column
from ui.models.table import RecordTableModel

Index = QModelIndex | QPersistentModelIndex


class RecordFilterProxy(QSortFilterProxyModel):
    """Filters on all columns' text plus an optional predicate; sorting is the source's.

    Over a ``RecordTableModel`` both run in plain Python on the records: Qt's
    own sort would call ``data()`` back into Python for every comparison, which
    takes seconds for thousands of rows. Over a tree the stock behaviour is kept.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setRecursiveFilteringEnabled(True)  # trees: keep a group whose child matches
        self._predicate: Callable[[Any], bool] | None = None
        self._needle = ""

    def set_text(self, text: str) -> None:
        self._needle = text.strip().casefold()
        self.setFilterFixedString(self._needle)

    def set_predicate(self, predicate: Callable[[Any], bool] | None) -> None:
        """Keep only records for which ``predicate(record)`` is true (None: all)."""
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter is deprecated there
            self.beginFilterChange()
            self._predicate = predicate
            self.endFilterChange()
        else:
            self._predicate = predicate
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):
            if self._needle and self._needle not in source.filter_text(source_row):
                return False
            return self._predicate is None or self._predicate(source.record(source_row))
        if self._predicate is not None:
            record = source.data(source.index(source_row, 0, source_parent), RECORD_ROLE)
            if not self._predicate(record):
                return False
        return super().filterAcceptsRow(source_row, source_parent)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):
            source.sort(column, order)  # the proxy keeps the source's order
            return
        super().sort(column, order)


def apply_widths(view: QTableView | QTreeView, columns: tuple[Column[Any], ...], stretch: int | None) -> None:
    header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
    for n, column in enumerate(columns):
        header.resizeSection(n, column.width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        ColumnFitter(view, header, tuple(c.width for c in columns), stretch)


class ColumnFitter(QObject):
    """Keeps a table with a stretching column from scrolling sideways on a narrow window.

    While the columns' set widths and the stretching column fit the viewport they are
    kept. When they do not, the other columns first give up the room their text does
    not use, then the stretching column gives up room down to a floor, and only then
    do the other columns shrink below their text (which is elided, never scrolled).
    """

    STRETCH_FLOOR = 90  # the descriptive column keeps at least this much

    def __init__(self, view: QTableView | QTreeView, header: QHeaderView, widths: tuple[int, ...],
                 stretch: int) -> None:
        super().__init__(view)
        self.view, self.header, self.widths, self.stretch = view, header, widths, stretch
        self._fitting = False
        self._pending = False
        view.viewport().installEventFilter(self)
        model = view.model()
        if model is not None:
            for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
                signal.connect(self._later)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def _later(self, *_args: object) -> None:
        # One fit for a burst of model signals (a sort, a reload), after they have all arrived.
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self._fit_pending)  # dropped if the table is gone by then

    def _fit_pending(self) -> None:
        self._pending = False
        self.fit()

    # Rows measured for a column's text width: enough to see the typical text, few enough
    # that fitting a 5,000-row table after a sort or a resize stays a few milliseconds.
    MEASURED_ROWS = 60

    def _need(self, n: int) -> int:
        """The width column ``n``'s header and text ask for, at most its set width."""
        view, model = self.view, self.view.model()
        if isinstance(view, QTableView) and model is not None:
            # Measured from the text of the rows on screen, not by asking the delegate about
            # every row (which took seconds on a 5,000-row table after each sort).
            metrics = view.fontMetrics()
            top = max(view.rowAt(0), 0)
            widest = 0
            for row in range(top, min(model.rowCount(), top + self.MEASURED_ROWS)):
                index = model.index(row, n)
                text = index.data(Qt.ItemDataRole.DisplayRole)
                width = metrics.horizontalAdvance(str(text)) if text not in (None, "") else 0
                if index.data(Qt.ItemDataRole.DecorationRole) is not None:
                    width += view.iconSize().width() + 4 if view.iconSize().isValid() else 20
                widest = max(widest, width)
            content = widest + 2 * view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 8
        else:
            content = view.sizeHintForColumn(n)
        return min(self.widths[n], max(self.header.sectionSizeHint(n), content))

    def fit(self) -> None:
        if self._fitting or not shiboken6.isValid(self.header):
            return
        others = [n for n in range(min(len(self.widths), self.header.count()))
                  if n != self.stretch and not self.header.isSectionHidden(n)]
        if not others:
            return
        available = self.view.viewport().width()
        keep = self.widths[self.stretch] if self.stretch < len(self.widths) else self.STRETCH_FLOOR
        wanted = {n: self.widths[n] for n in others}
        deficit = sum(wanted.values()) + keep - available
        if deficit > 0:
            need = {n: self._need(n) for n in others}
            slack = sum(wanted[n] - need[n] for n in others)
            if slack >= deficit:
                wanted = {n: wanted[n] - -(-(wanted[n] - need[n]) * deficit // slack) for n in others}
            else:
                keep = max(min(keep, self.STRETCH_FLOOR), keep - (deficit - slack))
                room = max(available - keep, 0)
                total = sum(need.values())
                wanted = need if total <= room else {n: max(24, need[n] * room // total) for n in others}
        self._fitting = True
        try:
            for n, width in wanted.items():
                if self.header.sectionSize(n) != width:
                    self.header.resizeSection(n, width)
        finally:
            self._fitting = False


def make_table(model: RecordTableModel[Any], *, proxy: QSortFilterProxyModel | None = None,
               stretch: int | None = None, sortable: bool = True, parent: QWidget | None = None) -> QTableView:
    """A row-selecting table with fixed row heights (fast with thousands of rows)."""
    view = QTableView(parent)
    view.setModel(proxy if proxy is not None else model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setSortingEnabled(sortable and proxy is not None)
    view.verticalHeader().hide()
    # Fixed heights: Qt then never measures every row to lay out the table.
    vertical = view.verticalHeader()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(stretch is None)
    apply_widths(view, model.columns, stretch)
    if sortable and proxy is not None:
        view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    return view


class ProgressBarDelegate(QStyledItemDelegate):
    """Draws a cell's SORT_ROLE fraction (0..1) as a slim bar with its text."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        fraction = index.data(SORT_ROLE)
        if not isinstance(fraction, float):
            super().paint(painter, option, index)
            return
        # Background and selection as usual, then our bar and text on top.
        style = option.widget.style() if option.widget is not None else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        rect = QRectF(option.rect.adjusted(8, 0, -8, 0))
        bar = QRectF(rect.left(), rect.center().y() - 3, rect.width() * 0.62, 6)
        colors = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.track)
        painter.drawRoundedRect(bar, 3, 3)
        painter.setBrush(colors.good if fraction >= 0.999 else colors.accent)
        painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, bar.height()), 3, 3)
        painter.setPen(opt.palette.color(opt.palette.ColorRole.Text))
        painter.drawText(QRectF(bar.right() + 6, rect.top(), rect.width() * 0.38 - 6, rect.height()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), str(index.data()))
        painter.restore()


def configure_tree(view: QTreeView) -> None:
    view.setUniformRowHeights(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setWordWrap(False)
    view.header().setHighlightSections(False)
