"""What every screen shares: the open store, who is acting, the engagement, undo.

Writes return the records they changed; whoever made the change announces it
here, and each view decides whether it needs to reload (Anki's OpChanges idea).
"""

from __future__ import annotations

import os
from enum import StrEnum

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from auditdesk import config, services
from auditdesk.domain import Control, Engagement
from auditdesk.errors import ValidationError
from auditdesk.services.server_roles import server_actor
from ui.qt_compat import emit
from ui.undo_history import UndoHistory


class Topic(StrEnum):
    """What a change touched; views subscribe to the topics they show."""

    ENGAGEMENTS = "engagements"  # the list: added engagements, progress figures
    ENGAGEMENT = "engagement"  # particulars, phase, categories of the open one
    TEAM = "team"
    PEOPLE = "people"  # the firm's staff list
    CONTROLS = "controls"  # controls, mapping, test plans
    DESCRIPTION = "description"  # DC 200 sections, CUECs, subservice orgs
    POPULATIONS = "populations"  # imported and generated populations
    SAMPLES = "samples"  # selected, extended and re-performed samples
    RESULTS = "results"  # test results and the tickmark legend
    EVIDENCE = "evidence"  # evidence files attached to controls and items
    EXCEPTIONS = "exceptions"  # exception records
    CONCLUSIONS = "conclusions"  # control, criterion and opinion conclusions, matters
    REQUESTS = "requests"  # client requests and what the client answered


class AppContext(QObject):
    """The open store and the current engagement, with change notifications."""

    engagement_changed = Signal(object)  # Engagement | None
    changed = Signal(object)  # frozenset[Topic]
    control_saved = Signal(str, object)  # previous ref ('' when new), Control
    control_removed = Signal(str)  # ref
    actor_changed = Signal(str)

    def __init__(self, store: services.Store, *, explicit_actor: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self._explicit_actor = explicit_actor
        self._engagement: Engagement | None = None
        # One undo stack per screen and engagement; the visible screen's is active.
        self.undo = UndoHistory(self)
        # Message boxes raised by actions attach here (the main window).
        self.dialog_parent: QWidget | None = None

    @property
    def undo_stack(self) -> QUndoStack:
        """The undo stack of the visible screen for the open engagement."""
        return self.undo.active()

    @property
    def actor(self) -> str:
        """Initials of the acting person: --as, AUDITDESK_USER, the profile, the login.

        On a PostgreSQL store opened with logins enforced it is the server login's person,
        as on the command line (``server_actor``); the store refuses anyone else's writes.
        """
        try:
            return self.actor_on(self.store)
        except ValidationError:
            # --as named someone else: opening the store said so; the login's person acts.
            return self.store.login_person or config.resolve_actor(self._explicit_actor)

    def actor_on(self, store: services.Store) -> str:
        """Who acts on ``store``; ValidationError when --as or AUDITDESK_USER names someone the login is not."""
        typed = self._explicit_actor or os.environ.get("AUDITDESK_USER")
        return server_actor(store, typed, config.resolve_actor(self._explicit_actor))

    @property
    def engagement(self) -> Engagement | None:
        return self._engagement

    @property
    def engagement_ref(self) -> str:
        if self._engagement is None:
            raise RuntimeError("no engagement is open")
        return self._engagement.ref

    def open_engagement(self, engagement: Engagement | None) -> None:
        """Make ``engagement`` current; its screens' undo stacks take over."""
        self._engagement = engagement
        self.undo.set_engagement(engagement.id if engagement is not None else None)
        emit(self.engagement_changed, engagement)

    def reload_engagement(self) -> Engagement | None:
        """Re-read the current engagement (after phase, team or scope changes)."""
        if self._engagement is not None:
            self._engagement = services.get_engagement(self.store.reader(), self._engagement.ref)
        return self._engagement

    def switch_store(self, store: services.Store) -> services.Store:
        """Work in another store from now on; returns the previous one (the caller closes it)."""
        previous, self.store = self.store, store
        self.undo.forget()
        self.open_engagement(None)
        self.notify(*Topic)
        return previous

    def notify(self, *topics: Topic) -> None:
        emit(self.changed, frozenset(topics))

    def announce_control(self, previous_ref: str, control: Control) -> None:
        emit(self.control_saved, previous_ref, control)
        self.notify(Topic.CONTROLS)

    def announce_control_removed(self, ref: str) -> None:
        emit(self.control_removed, ref)
        self.notify(Topic.CONTROLS)

    def profile_changed(self) -> None:
        emit(self.actor_changed, self.actor)
