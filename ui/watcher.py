"""Noticing other people's saves: a timer polls the trail head and refreshes the screens.

Every few seconds (``AUDITDESK_REFRESH_SECONDS``, default 5; 0 turns it off) the
watcher reads the id of the trail's last event, one primary-key read. Only when
it moved does it ask which people other than the local user wrote events on the
open engagement since. Screens that say they hold no unsaved edits
(``has_unsaved_edits()`` False) are then reloaded (the visible one now, the
others when next shown); a screen holding unsaved edits, or one that cannot say
(no ``has_unsaved_edits``), keeps what it shows under a banner naming who
changed the engagement, with Reload. The local
user's own saves never cause a reload: those screens already show them. The
poll is skipped while a modal dialog is open.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget

from auditdesk.errors import AuditDeskError
from auditdesk.services import versioning
from ui.context import AppContext
from ui.qt_compat import emit
from ui.views.base import WorkspaceView

DEFAULT_SECONDS = 5.0


def refresh_interval_ms() -> int:
    """The polling interval from AUDITDESK_REFRESH_SECONDS (0 or less: no polling)."""
    raw = os.environ.get("AUDITDESK_REFRESH_SECONDS", "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_SECONDS
    except ValueError:
        seconds = DEFAULT_SECONDS
    return max(0, int(seconds * 1000))


def _names(people: tuple[str, ...]) -> str:
    if len(people) == 1:
        return people[0]
    return ", ".join(people[:-1]) + " and " + people[-1]


class ChangedBanner(QWidget):
    """'X changed this engagement; your unsaved edits are kept — save to merge or reload'."""

    def __init__(self, view: WorkspaceView) -> None:
        super().__init__(view)
        self.setObjectName("outsideChangeBanner")
        self.view = view
        self.label = QLabel()
        self.label.setObjectName("warningLabel")
        self.label.setWordWrap(True)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setToolTip("Discard your unsaved edits on this screen and show what is stored now")
        self.reload_button.clicked.connect(self.reload)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.reload_button)
        row.addWidget(dismiss)
        view.layout_.insertWidget(1, self)  # under the screen's header
        self.hide()

    def announce(self, people: tuple[str, ...]) -> None:
        self.label.setText(
            f"{_names(people)} changed this engagement; your unsaved edits are kept — save to merge or reload."
        )
        self.show()

    def reload(self) -> None:
        self.hide()
        self.view.stale = True
        self.view.refresh_if_needed()


def _dirty(view: WorkspaceView) -> bool:
    """Whether a reload could lose something: a screen that cannot say it is clean is never reloaded."""
    check = getattr(view, "has_unsaved_edits", None)
    return bool(check()) if callable(check) else True


class EngagementWatcher(QObject):
    """Polls for other people's changes to the open engagement; see the module docstring."""

    #: initials of the other people whose saves were noticed
    changed = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        views: Callable[[], Iterable[WorkspaceView]],
        current: Callable[[], WorkspaceView | None],
        *,
        interval_ms: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._views = views
        self._current = current
        self.position: int | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(refresh_interval_ms() if interval_ms is None else interval_ms)
        self.timer.timeout.connect(self.poll)
        ctx.engagement_changed.connect(lambda _e: self._restart())

    def start(self) -> None:
        self._restart()
        if self.timer.interval() > 0:
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _restart(self) -> None:
        """Count from now: what the screens are about to load is already current."""
        try:
            self.position = versioning.trail_position(self.ctx.store.reader())
        except AuditDeskError:
            self.position = None

    def poll(self) -> tuple[str, ...]:
        """One check; returns who else changed the engagement (empty when nobody did)."""
        if self.ctx.engagement is None or QApplication.activeModalWidget() is not None:
            return ()
        if self.position is None:
            self._restart()
            return ()
        try:
            found = versioning.changes_since(
                self.ctx.store.reader(), self.ctx.engagement_ref, self.position, actor=self.ctx.actor
            )
        except AuditDeskError:
            return ()  # the store is busy or gone: try again next time
        self.position = found.position
        if found.changed:
            self.refresh(found.others)
        return found.others

    def refresh(self, people: tuple[str, ...]) -> None:
        current = self._current()
        for view in list(self._views()):
            if _dirty(view):
                banner = view.findChild(ChangedBanner, "outsideChangeBanner") or ChangedBanner(view)
                banner.announce(people)
                continue
            view.stale = True
            if view is current:
                view.refresh_if_needed()
        if self.ctx.engagement is not None:
            with contextlib.suppress(AuditDeskError):
                self.ctx.reload_engagement()
        emit(self.changed, people)
