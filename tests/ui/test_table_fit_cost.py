"""Fitting a big table's columns reads only the rows on screen, so sorting 5,000 rows stays fast."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QTableView

from ui.widgets.tables import ColumnFitter


class CountingModel(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        self.reads += 1
        return super().data(index, role)


def test_a_fit_reads_a_bounded_number_of_rows_and_still_gives_up_slack(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = CountingModel()
    model.setColumnCount(4)
    for row in range(5_000):
        model.appendRow([QStandardItem(f"R-{row}"), QStandardItem("a long description " * 3), QStandardItem("ok"),
                         QStandardItem("x")])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    widths = (200, 300, 200, 200)
    for n, width in enumerate(widths):
        view.horizontalHeader().resizeSection(n, width)
    view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    fitter = ColumnFitter(view, view.horizontalHeader(), widths, 1)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    model.reads = 0
    fitter.fit()
    assert 0 < model.reads <= 3 * 2 * ColumnFitter.MEASURED_ROWS  # three measured columns, two roles per cell
    # The short columns gave up the room their text does not use; the view does not scroll sideways.
    assert view.horizontalHeader().sectionSize(2) < 200
    assert view.horizontalScrollBar().maximum() == 0
