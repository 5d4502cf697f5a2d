"""What every workspace screen is: a widget that loads itself from the services."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.context import AppContext, Topic
from ui.widgets.cards import ViewHeader
from ui.widgets.detail_panel import Detail


class WorkspaceView(QWidget):
    """A screen of the engagement workspace.

    Subclasses set ``topics`` (the changes that make them stale) and implement
    :meth:`load`, which reads everything the screen shows for the current
    engagement. The main window calls :meth:`refresh_if_needed` when the view
    is shown or a change arrives, so hidden screens never reload in vain.
    """

    topics: ClassVar[frozenset[Topic]] = frozenset()
    #: the selection's description for the right-hand panel (Detail | None)
    detail_changed = Signal(object)

    def __init__(self, ctx: AppContext, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stale = True
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 16, 20, 16)
        self.layout_.setSpacing(10)
        self.header = ViewHeader(title, subtitle)
        self.layout_.addWidget(self.header)

    def load(self) -> None:
        """Read what the screen shows from the services (never from Qt models)."""

    def refresh_if_needed(self) -> None:
        if self.stale:
            self.stale = False
            self.load()

    def focus_filter(self) -> bool:
        """Put the cursor in the screen's filter box; False when it has none."""
        return False

    def current_detail(self) -> Detail | None:
        return None
