"""Client requests as a table, and the changes a returned request list brings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

from auditdesk.services.requests import ClientRequest, RefusedRow, RequestStatus, RequestUpdate
from ui import theme
from ui.models.columns import CENTER, RIGHT, Column, bold_font
from ui.models.controls import natural_key
from ui.models.table import RecordTableModel


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def status_text(r: ClientRequest, today: dt.date | None = None) -> str:
    label = r.status.label
    if r.overdue(today or dt.date.today()):
        return f"{label} · overdue"
    return label


def _status_color(r: ClientRequest) -> QColor | None:
    colors = theme.colors()
    if r.overdue(dt.date.today()):
        return colors.bad
    return {
        RequestStatus.ACCEPTED: colors.good,
        RequestStatus.FOLLOW_UP: colors.warning,
        RequestStatus.RECEIVED: colors.accent,
    }.get(r.status)


def _one_line(text: str) -> str:
    return " ".join(text.split())


REQUEST_COLUMNS: tuple[Column[ClientRequest], ...] = (
    Column("Request", lambda r: r.ref, sort_key=lambda r: natural_key(r.ref), font=lambda r: bold_font(), width=74),
    Column("Control", lambda r: r.control_ref or "—", sort_key=lambda r: natural_key(r.control_ref), width=72),
    Column("Requested", lambda r: _one_line(r.description), tooltip=lambda r: r.description, width=320),
    Column("Item", lambda r: r.item_key or "", width=110),
    Column("Item date", lambda r: _date(r.item_date), width=86),
    Column("Due", lambda r: _date(r.due_date), sort_key=lambda r: _date(r.due_date) or "9999", width=86),
    Column("Assignee", lambda r: r.assignee, width=110),
    Column("Status", status_text, foreground=_status_color, width=118),
    Column("Response", lambda r: _one_line(r.response), tooltip=lambda r: r.response, width=180,
           header_tip="The client's answer, from the returned request list"),
    Column("Evidence file name", lambda r: r.evidence_file_name, width=140,
           header_tip="The file the client says it sent"),
    Column("Comments", lambda r: _one_line(r.client_comment), tooltip=lambda r: r.client_comment, width=160),
    Column("Files", lambda r: str(r.evidence_files) if r.evidence_files else "", sort_key=lambda r: r.evidence_files,
           alignment=RIGHT, width=44, header_tip="Evidence files filed for the request (hashed)"),
)


class RequestTableModel(RecordTableModel[ClientRequest]):
    REQUESTED_COLUMN = 2
    STATUS_COLUMN = 7

    def __init__(self, parent: Any = None) -> None:
        super().__init__(REQUEST_COLUMNS, key=lambda r: r.ref, parent=parent)


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One changed column of one request in a returned list."""

    ref: str
    row: int
    column: str
    before: str
    after: str


def change_lines(updates: tuple[RequestUpdate, ...]) -> tuple[ChangeLine, ...]:
    return tuple(ChangeLine(u.ref, u.row, c, b, a) for u in updates for c, b, a in u.changes)


def _shown(text: str) -> str:
    return _one_line(text) if text else "(empty)"


CHANGE_COLUMNS: tuple[Column[ChangeLine], ...] = (
    Column("Request", lambda c: c.ref, font=lambda c: bold_font(), width=74),
    Column("Row", lambda c: str(c.row), sort_key=lambda c: c.row, alignment=RIGHT, width=44),
    Column("Column", lambda c: c.column, width=130),
    Column("Before", lambda c: _shown(c.before), tooltip=lambda c: c.before, width=200),
    Column("After", lambda c: _shown(c.after), tooltip=lambda c: c.after, width=260),
)

REFUSED_COLUMNS: tuple[Column[RefusedRow], ...] = (
    Column("Row", lambda r: str(r.row), sort_key=lambda r: r.row, alignment=RIGHT, width=44),
    Column("Request ID", lambda r: r.ref or "—", alignment=CENTER, width=90),
    Column("Why it is refused", lambda r: r.reason, tooltip=lambda r: r.reason, width=520),
)


class ChangeTableModel(RecordTableModel[ChangeLine]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CHANGE_COLUMNS, parent=parent)


class RefusedTableModel(RecordTableModel[RefusedRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(REFUSED_COLUMNS, parent=parent)
