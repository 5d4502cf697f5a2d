"""Helpers the team-editing tests share: a screen opened as one person, and a scripted conflict dialog."""

from __future__ import annotations

import pytest

from auditdesk import services
from ui.context import AppContext
from ui.dialogs.conflict import ConflictDialog
from ui.views.base import WorkspaceView


def open_view(qtbot, store: services.Store, engagement: str, actor: str,  # type: ignore[no-untyped-def]
              view_class: type[WorkspaceView]) -> WorkspaceView:
    """``view_class`` on ``engagement``, shown and loaded, with ``actor`` acting."""
    ctx = AppContext(store, explicit_actor=actor)
    ctx.open_engagement(services.get_engagement(ctx.store.reader(), engagement))
    view = view_class(ctx)
    qtbot.addWidget(view)
    view.show()
    view.refresh_if_needed()
    return view


def answer_conflicts(monkeypatch: pytest.MonkeyPatch, button: str) -> list[ConflictDialog]:
    """Make the conflict dialog, when it opens, record itself and click ``button``."""
    shown: list[ConflictDialog] = []

    def fake_exec(dialog: ConflictDialog) -> int:
        shown.append(dialog)
        getattr(dialog, button).click()
        return 0

    monkeypatch.setattr(ConflictDialog, "exec", fake_exec)
    return shown
