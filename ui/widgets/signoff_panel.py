"""The selected item's sign-offs in the detail pane: each role current, stale or missing, with its own icon."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QGridLayout, QLabel, QStyle, QWidget

from auditdesk import services
from auditdesk.services.review import SIGNOFF_ROLES, SignOff
from ui.context import AppContext

ICONS = {
    "current": QStyle.StandardPixmap.SP_DialogApplyButton,
    "stale": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "missing": QStyle.StandardPixmap.SP_DialogCancelButton,
}
STATE_WORDS = {"current": "current", "stale": "stale: changed since", "missing": "not signed"}


def state_icon(style: QStyle, state: str) -> QIcon:
    """The icon of a sign-off state (current, stale or missing), wherever sign-offs are shown."""
    return style.standardIcon(ICONS[state])


@dataclass(frozen=True, slots=True)
class SignOffLine:
    role: str
    state: str  # current | stale | missing
    person: str = ""
    signed_at: str = ""
    changes: tuple[str, ...] = ()


def signoff_lines(ctx: AppContext, item: str) -> tuple[SignOffLine, ...]:
    """One line per role: the latest sign-off in that role, or missing."""
    engagement = ctx.engagement
    if engagement is None or not item:
        return ()
    return latest_lines(services.list_signoffs(ctx.store.reader(), engagement.ref, item=item))


def latest_lines(found: Sequence[SignOff]) -> tuple[SignOffLine, ...]:
    """One line per role from one item's sign-offs (oldest first): the latest in that role, or missing."""
    lines = []
    for role in SIGNOFF_ROLES:
        latest = [s for s in found if s.role == role]
        if not latest:
            lines.append(SignOffLine(role, "missing"))
            continue
        s = latest[-1]
        lines.append(SignOffLine(role, s.state, s.person, s.signed_at[:10], s.changes))
    return tuple(lines)


Loader = Callable[[str], Sequence[SignOffLine]]


class SignOffPanel(QWidget):
    """Rows of icon, role and who signed when; a stale row's tooltip says what changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader: Loader | None = None
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.lines: tuple[SignOffLine, ...] = ()
        self.setVisible(False)

    def show_item(self, item: str) -> None:
        self.lines = tuple(self.loader(item)) if self.loader is not None and item else ()
        while self.grid.count():
            taken = self.grid.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.setParent(None)  # gone at once: the new rows take their names
                widget.deleteLater()
        for row, line in enumerate(self.lines):
            icon = QLabel()
            icon.setObjectName(f"signoff_{line.role}_icon")
            icon.setProperty("state", line.state)
            icon.setPixmap(state_icon(self.style(), line.state).pixmap(16, 16))
            who = f" · {line.person} {line.signed_at}" if line.person else ""
            text = QLabel(f"{line.role.capitalize()}: {STATE_WORDS[line.state]}{who}")
            text.setObjectName(f"signoff_{line.role}")
            text.setWordWrap(True)
            if line.changes:
                tip = "\n".join(line.changes)
                text.setToolTip(tip)
                icon.setToolTip(tip)
            self.grid.addWidget(icon, row, 0)
            self.grid.addWidget(text, row, 1)
        self.grid.setColumnStretch(1, 1)
        self.setVisible(bool(self.lines))
