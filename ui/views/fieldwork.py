"""What the fieldwork screens share: announcing their own changes without reloading
themselves, a card frame, and the notice for Type 1 engagements."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from auditdesk.domain import EngagementType
from ui.context import Topic
from ui.views.base import WorkspaceView

TYPE1_NOTICE = (
    "This is a Type 1 examination: it reports on the design of controls as of a date, so there is no "
    "operating-effectiveness testing and no populations or samples. Conclusions cover design and implementation."
)


def card(widget: QWidget, *, margins: int = 12) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins - 2, margins, margins - 2)
    layout.addWidget(widget)
    return frame


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area that lets the card's background show through."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    # setWidget turns on the widget's own (window-coloured) background: keep the card's.
    widget.setAutoFillBackground(False)
    scroll.viewport().setAutoFillBackground(False)
    return scroll


def hint(text: str = "", *, name: str = "hintLabel") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


class FieldworkView(WorkspaceView):
    """A workspace view that updates itself in place after its own edits.

    ``announce`` tells the other screens what changed; the view itself has
    already shown the change, so it skips the reload that would follow (and
    keeps the cursor where the auditor is working).
    """

    _announcing = False
    #: quiet time before changes made key after key are announced
    ANNOUNCE_DELAY_MS = 400

    def announce(self, *topics: Topic) -> None:
        self._announcing = True
        try:
            self.ctx.notify(*topics)
        finally:
            self._announcing = False

    def announce_later(self, *topics: Topic) -> None:
        """Announce once the auditor pauses: a run of keystrokes makes one announcement.

        Every change is already stored; only the other screens' reload (and the
        activity list) waits. Leaving the screen announces at once.
        """
        if not hasattr(self, "_pending"):
            self._pending: set[Topic] = set()
            self._announce_timer = QTimer(self)
            self._announce_timer.setSingleShot(True)
            self._announce_timer.timeout.connect(self.flush_announcements)
        self._pending.update(topics)
        self._announce_timer.start(self.ANNOUNCE_DELAY_MS)

    def flush_announcements(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending:
            self._announce_timer.stop()
            topics = tuple(pending)
            pending.clear()
            self.announce(*topics)

    def hideEvent(self, event: QHideEvent) -> None:
        self.flush_announcements()
        super().hideEvent(event)

    def refresh_if_needed(self) -> None:
        if self._announcing:
            self.stale = False
            return
        super().refresh_if_needed()

    @property
    def type1(self) -> bool:
        engagement = self.ctx.engagement
        return engagement is not None and engagement.type is EngagementType.TYPE1
