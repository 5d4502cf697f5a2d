"""The control matrix import wizard's tables: the file's first rows, row problems, what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from auditdesk import services
from ui import theme
from ui.models.columns import RIGHT, Column
from ui.models.controls import natural_key
from ui.models.populations import FilePreviewModel
from ui.models.table import RecordTableModel

#: The matrix's fields in the wizard's words.
FIELD_LABELS: dict[str, str] = {
    "ref": "Control reference",
    "description": "Description",
    "frequency": "Frequency",
    "criteria": "Criteria",
    "owner": "Owner",
    "nature": "Nature",
    "type": "Type",
    "key": "Key control",
    "attributes": "Test attributes",
}


class MatrixPreviewModel(FilePreviewModel):
    """The first rows of the matrix; mapped columns tinted and named, the others ignored."""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < self.columnCount():
            used = self.role_of(section)
            return f"Read as the control's {used.lower()}" if used else "Not imported"
        return super().headerData(section, orientation, role)


ISSUE_COLUMNS: tuple[Column[services.ImportIssue], ...] = (
    Column("Row", lambda i: str(i.row), sort_key=lambda i: i.row, alignment=RIGHT, width=52),
    Column("Control", lambda i: i.ref, sort_key=lambda i: natural_key(i.ref), width=90),
    Column("Field", lambda i: FIELD_LABELS.get(i.field, i.field), foreground=lambda i: theme.colors().warning,
           width=120),
    Column("Problem", lambda i: i.reason, tooltip=lambda i: i.message, width=460),
)


class ImportIssueModel(RecordTableModel[services.ImportIssue]):
    """Every problem of the matrix, by file row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(ISSUE_COLUMNS, parent=parent)


@dataclass(frozen=True, slots=True)
class ImportChange:
    """One line of the result: a control added, or one field of an existing control changed."""

    ref: str
    what: str  # "Added" or the field's label
    before: str = ""
    after: str = ""


def import_changes(result: services.ControlImport) -> list[ImportChange]:
    """Added controls first, then each changed field of the updated ones."""
    rows = [ImportChange(ref, "Added") for ref in result.added]
    for update in result.updated:
        rows += [ImportChange(update.ref, FIELD_LABELS.get(c.field, c.field.capitalize()), c.before, c.after)
                 for c in update.changes]
    return rows


CHANGE_COLUMNS: tuple[Column[ImportChange], ...] = (
    Column("Control", lambda c: c.ref, sort_key=lambda c: natural_key(c.ref), width=90),
    Column("Change", lambda c: c.what, width=130),
    Column("Before", lambda c: c.before, tooltip=lambda c: c.before, width=250),
    Column("After", lambda c: c.after, tooltip=lambda c: c.after, width=250),
)


class ImportChangeModel(RecordTableModel[ImportChange]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CHANGE_COLUMNS, parent=parent)
