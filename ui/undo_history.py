"""The undo history: one stack per screen and engagement, gathered in a QUndoGroup.

An edit lands on the stack of the screen where it was made; the active stack
follows the visible screen, so Ctrl+Z only ever takes back an edit of the
screen in front of the auditor, never one made elsewhere. Each command's text
names its screen ("Undo result A on item CHG-0001 (Testing)").
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from ui.views.registry import ENGAGEMENT_LIST, spec


def screen_title(screen: str) -> str:
    """The navigator's name of a screen, as undo texts show it."""
    if screen == ENGAGEMENT_LIST:
        return "All engagements"
    try:
        return spec(screen).title
    except KeyError:
        return screen.replace("_", " ").capitalize()


class UndoHistory(QUndoGroup):
    """Stacks by (engagement, screen); ``show`` makes the visible screen's stack active."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stacks: dict[tuple[int | None, str], QUndoStack] = {}
        self._engagement: int | None = None
        self.screen = ENGAGEMENT_LIST

    def stack(self, screen: str | None = None) -> QUndoStack:
        """The stack of ``screen`` (default: the visible one) for the open engagement."""
        key = (self._engagement, screen or self.screen)
        found = self._stacks.get(key)
        if found is None:
            found = QUndoStack(self)
            found.setObjectName(f"undo_{key[1]}")
            self.addStack(found)
            self._stacks[key] = found
        return found

    def active(self) -> QUndoStack:
        """The stack Ctrl+Z works on now: the visible screen's."""
        return self.stack()

    def show(self, screen: str) -> None:
        """The auditor is looking at ``screen``: its stack answers Edit > Undo."""
        self.screen = screen
        self.setActiveStack(self.stack(screen))

    def set_engagement(self, engagement_id: int | None) -> None:
        """Another engagement is open: its own stacks (kept while the store is open) take over."""
        self._engagement = engagement_id
        self.setActiveStack(self.stack())

    def forget(self) -> None:
        """Drop every stack (another store is open: the commands no longer match it)."""
        self.setActiveStack(None)  # type: ignore[arg-type]
        for stack in self._stacks.values():
            self.removeStack(stack)
            stack.deleteLater()
        self._stacks.clear()
        self.setActiveStack(self.stack())

    def push(self, command: QUndoCommand, screen: str | None = None) -> QUndoStack:
        """Put a command that has already run on its screen's stack, its text naming the screen."""
        name = screen or self.screen
        command.setText(f"{command.text()} ({screen_title(name)})")
        target = self.stack(name)
        target.push(command)
        return target
