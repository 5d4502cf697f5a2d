"""Exceptions found in testing, with their documentation."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk import services
from ui import theme
from ui.models.columns import CENTER, Column, bold_font
from ui.models.controls import natural_key
from ui.models.table import RecordTableModel

#: How the UI names management's words: they are the client's, not audited.
MANAGEMENT_RESPONSE = "Management's response — unaudited"

STATUS_LABELS = {"open": "Open", "cleared": "Cleared"}


def source_text(e: services.ExceptionRecord) -> str:
    if e.item_key is None:
        return "Not from a sample"
    return f"Sample {e.sample_id}, {e.item_key}, attribute {e.attribute}"


def _status_color(e: services.ExceptionRecord) -> QColor:
    colors = theme.colors()
    if e.status != "open":
        return colors.neutral
    return colors.good if e.compensated else colors.bad


def documented(e: services.ExceptionRecord) -> str:
    """What is still missing from the exception's documentation, in words."""
    missing = [name for name, text in (("root cause", e.root_cause),
                                       ("management's response", e.management_response)) if not text]
    return "Complete" if not missing else "No " + " or ".join(missing)


EXCEPTION_COLUMNS: tuple[Column[services.ExceptionRecord], ...] = (
    Column("Control", lambda e: e.control_ref, sort_key=lambda e: natural_key(e.control_ref),
           font=lambda e: bold_font(), width=72),
    Column("#", lambda e: str(e.id), sort_key=lambda e: e.id, width=34),
    Column("Source", source_text, tooltip=source_text, width=210),
    Column("Description", lambda e: e.description, tooltip=lambda e: e.description, width=300),
    Column("Documentation", documented, foreground=lambda e: theme.colors().warning if documented(e) != "Complete"
           else None, width=170),
    Column("Compensating", lambda e: e.compensating_control or "—", alignment=CENTER,
           tooltip=lambda e: e.compensating_note or "No compensating control recorded", width=112),
    Column("Status", lambda e: ("Compensated" if e.compensated and e.status == "open"
                                else STATUS_LABELS.get(e.status, e.status)),
           foreground=_status_color, width=96),
)


class ExceptionTableModel(RecordTableModel[services.ExceptionRecord]):
    DESCRIPTION_COLUMN = 3

    def __init__(self, parent: Any = None) -> None:
        super().__init__(EXCEPTION_COLUMNS, key=lambda e: e.id, parent=parent)
