"""Populations: the stored list, their items (paged lazily), and the import wizard's tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from auditdesk import services
from ui import theme
from ui.models.columns import CENTER, RIGHT, Column
from ui.models.table import RecordTableModel
from ui.qt_compat import emit
from workpapers.population_file import PopulationIssue

Index = QModelIndex | QPersistentModelIndex

#: Issue kinds of the validation report, in words.
ISSUE_LABELS: dict[str, str] = {
    "duplicate_key": "Duplicate key",
    "missing_key": "Missing key",
    "missing_date": "Missing date",
    "bad_date": "Unreadable date",
    "outside_period": "Date outside the period",
    "blank_row": "Blank row",
    "bad_amount": "Non-numeric amount",
    "formula": "Formula cell",
    "encoding": "Encoding guessed",
    "short_row": "Short row",
    "extra_cells": "Cells beyond the header",
}


def issue_label(kind: str) -> str:
    return ISSUE_LABELS.get(kind, kind.replace("_", " ").capitalize())


def short_hash(digest: str) -> str:
    return f"{digest[:12]}…" if len(digest) > 12 else digest


def hash_lines(digest: str) -> str:
    """A SHA-256 in two lines of 32, so it fits a narrow panel (the tooltip keeps it whole)."""
    return f"{digest[:32]}\n{digest[32:]}" if len(digest) > 32 else digest


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def population_span(p: services.Population) -> str:
    if p.first_date is None or p.last_date is None:
        return "no dates"
    return f"{p.first_date:%d %b %Y} – {p.last_date:%d %b %Y}"


def _issues_color(p: services.Population) -> QColor | None:
    return theme.colors().warning if p.issue_count else None


POPULATION_COLUMNS: tuple[Column[services.Population], ...] = (
    Column("Name", lambda p: p.name, tooltip=lambda p: p.name, width=230),
    Column("Source", lambda p: "Generated" if p.source == "generated" else "Client file",
           tooltip=lambda p: f"Occurrences of {p.control_ref}" if p.control_ref else p.file_name, width=84),
    Column("Items", lambda p: f"{p.rows:,}", sort_key=lambda p: p.rows, alignment=RIGHT, width=72),
    Column("Dates", population_span, sort_key=lambda p: str(p.first_date or ""), width=176),
    Column("Total amount", lambda p: p.total_amount, sort_key=lambda p: float(p.total_amount or 0), alignment=RIGHT,
           width=100),
    Column("Issues", lambda p: f"{p.issue_count:,}" if p.issue_count else "None", sort_key=lambda p: p.issue_count,
           foreground=_issues_color, alignment=RIGHT, width=56,
           header_tip="Problems found in the file and accepted at import; they are kept with the population"),
    Column("File SHA-256", lambda p: short_hash(p.file_sha256) if p.file_sha256 else "—",
           tooltip=lambda p: p.file_sha256 or "Generated from the control's frequency", width=120),
)


class PopulationTableModel(RecordTableModel[services.Population]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(POPULATION_COLUMNS, key=lambda p: p.id, parent=parent)


#: Reads one page of items: (offset, limit) -> items.
PageReader = Callable[[int, int], Sequence[services.PopulationItem]]


class PopulationItemsModel(QAbstractTableModel):
    """A population's items in file order, read a page at a time as the view scrolls.

    A population may hold a million items: only the pages the user scrolls to
    are read (``canFetchMore`` / ``fetchMore``), through the page reader given
    with the population.
    """

    PAGE = 500

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[services.PopulationItem] = []
        self._total = 0
        self._read: PageReader | None = None
        self._headers: tuple[str, ...] = ()
        self._extras: tuple[str, ...] = ()
        self._amounts = False
        self._fetching = False

    def set_population(self, population: services.Population | None, read: PageReader | None) -> None:
        self.beginResetModel()
        self._items = []
        self._read = read if population is not None else None
        self._total = population.rows if population is not None else 0
        self._extras = population.extra_columns if population is not None else ()
        self._amounts = bool(population.amount_column) if population is not None else False
        key = population.key_column if population is not None else "Key"
        date = population.date_column if population is not None else "Date"
        amount = (population.amount_column,) if self._amounts and population is not None else ()
        self._headers = ("Line", key or "Key", date or "Date", *amount, *self._extras)
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    @property
    def loaded(self) -> int:
        return len(self._items)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return (not parent.isValid() and self._read is not None and not self._fetching
                and len(self._items) < self._total)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._read is not None
        # Views may ask again while the rows are being inserted: one page at a time.
        self._fetching = True
        try:
            page = list(self._read(len(self._items), self.PAGE))
            if not page:
                self._total = len(self._items)  # fewer items than recorded: stop asking
                return
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._items.extend(page)
            self.endInsertRows()
        finally:
            self._fetching = False

    def item(self, row: int) -> services.PopulationItem:
        return self._items[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = index.column() == 0 or (self._amounts and index.column() == 3)
            return int((RIGHT if right else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        item = self._items[index.row()]
        column = index.column()
        if column == 0:
            return str(item.line)
        if column == 1:
            return item.key
        if column == 2:
            return item.date.isoformat() if item.date is not None else ""
        if self._amounts and column == 3:
            return item.amount or ""
        extra = self._extras[column - (4 if self._amounts else 3)]
        return item.data.get(extra, "")

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(
            self._headers
        ):
            return self._headers[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


# ---- the import wizard -----------------------------------------------------

#: What a mapped column is used for, shown in the preview's header.
ROLE_KEY, ROLE_DATE, ROLE_AMOUNT = "key", "date", "amount"


class FilePreviewModel(QAbstractTableModel):
    """The first rows of a file, headers marked with the column each one is mapped to."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers: tuple[str, ...] = ()
        self._rows: tuple[tuple[str, ...], ...] = ()
        self._roles: dict[str, str] = {}

    def set_preview(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self._headers = tuple(headers)
        self._rows = tuple(tuple(r) for r in rows)
        self.endResetModel()

    def set_roles(self, roles: Mapping[str, str]) -> None:
        """{header: key | date | amount}; unmapped columns are kept as item data."""
        self._roles = dict(roles)
        if self._headers:
            last = len(self._headers) - 1
            emit(self.headerDataChanged, Qt.Orientation.Horizontal, 0, last)
            if self._rows:
                emit(self.dataChanged, self.index(0, 0), self.index(len(self._rows) - 1, last))

    def role_of(self, column: int) -> str:
        return self._roles.get(self._headers[column], "")

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return row[index.column()] if index.column() < len(row) else ""
        if role == Qt.ItemDataRole.BackgroundRole and self.role_of(index.column()):
            tint = QColor(theme.colors().accent)
            tint.setAlpha(34)
            return tint
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        header = self._headers[section]
        if role == Qt.ItemDataRole.DisplayRole:
            used = self._roles.get(header)
            return f"{header}  [{used}]" if used else header
        if role == Qt.ItemDataRole.ToolTipRole:
            used = self._roles.get(header)
            return f"Mapped to the item {used}" if used else "Kept with each item as data"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


ISSUE_COLUMNS: tuple[Column[PopulationIssue], ...] = (
    Column("Line", lambda i: "" if i.line is None else f"{i.line:,}", sort_key=lambda i: i.line or 0,
           alignment=RIGHT, width=64),
    Column("Problem", lambda i: issue_label(i.kind), foreground=lambda i: theme.colors().warning, width=160),
    Column("Column", lambda i: i.column or "", width=104),
    Column("Value", lambda i: i.value, tooltip=lambda i: i.value, width=100),
    Column("What to do", lambda i: i.message, tooltip=lambda i: i.message, width=420),
)


class IssueTableModel(RecordTableModel[PopulationIssue]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(ISSUE_COLUMNS, parent=parent)


#: (kind label, count) rows for the report's summary.
IssueCount = tuple[str, int]

ISSUE_COUNT_COLUMNS: tuple[Column[IssueCount], ...] = (
    Column("Problem", lambda c: c[0], width=160),
    Column("Rows", lambda c: f"{c[1]:,}", sort_key=lambda c: c[1], alignment=CENTER, width=56),
)


class IssueCountModel(RecordTableModel[IssueCount]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(ISSUE_COUNT_COLUMNS, parent=parent)
