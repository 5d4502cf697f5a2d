"""File > Check out for offline work… and File > Check in…: the window shows who holds the engagement,
refuses edits while it is away, and takes the file back (or says why not, changing nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from auditdesk import services
from auditdesk.services.checkout import checkout_status, force_unlock
from tests.ui.conftest import MessageLog
from ui.main_window import MainWindow
from ui.views.controls import ControlsView

LINE_END = "for offline work; read-only here"


def _engagement(window: MainWindow) -> None:
    """A small engagement of PR (senior) and DW (partner) with one control, open in the window."""
    uow = window.ctx.store.uow
    services.add_person(uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.add_person(uow("PR"), name="Dana Wells", initials="DW", role="partner")
    services.create_engagement(
        uow("PR"),
        ref="CO-1",
        client="Checkout Client",
        system_name="Platform",
        engagement_type="type2",
        categories=["security"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        team=[("PR", "senior"), ("DW", "partner")],
    )
    services.add_control(
        uow("PR"), "CO-1", services.ControlInput(ref="CE-01", description="Access reviews", criteria=("CC6.1",))
    )
    assert window.open_engagement("CO-1")


def _answer_dialogs(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def _check_out(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.checkout_action.isEnabled()
    window.checkout_action.trigger()
    qtbot.waitUntil(lambda: not window.checkout_task.running, timeout=60_000)


def _check_in(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.checkin_action.trigger()
    qtbot.waitUntil(lambda: not window.checkout_task.running, timeout=60_000)


def _map_cc21(window: MainWindow) -> None:
    controls = window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.select("CE-01")
    controls.mapping.check("CC2.1")
    controls.mapping.save_button.click()


def test_check_out_and_in_from_the_window(
    qtbot, window: MainWindow, messages: MessageLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    offline = tmp_path / "CO-1-offline.sqlite"
    _answer_dialogs(monkeypatch, offline)
    _engagement(window)
    store = window.ctx.store
    assert not window.checkout_label.isVisible()

    _check_out(qtbot, window)
    assert offline.exists()
    assert "Checked out CO-1 to PR" in messages.last
    held = checkout_status(store.reader(), "CO-1")
    assert held is not None
    assert held.holder == "PR"
    line = window.checkout_label.text()
    assert line == f"Checked out to PR since {held.checked_out_at[:16].replace('T', ' ')} {LINE_END}"
    assert window.checkout_label.isVisible()

    # An edit here is refused with the checked-out sentence and changes nothing.
    _map_cc21(window)
    assert "is checked out to PR" in messages.last
    assert "read-only here until checked in" in messages.last
    assert "CC2.1" not in services.get_control(store.reader(), "CO-1", "CE-01").criteria

    # Offline, in the file, the same edit is accepted.
    away = services.open_store(offline)
    try:
        services.map_criteria(away.uow("PR"), "CO-1", "CE-01", ["CC2.1"])
    finally:
        away.close()

    # The refused mapping is still ticked on the screen: when the check-in reloads it, the window
    # offers to save it, and the user declines (the file already carries it).
    messages.reply = "reject"
    _check_in(qtbot, window)
    assert "Checked in CO-1" in messages.last
    assert checkout_status(store.reader(), "CO-1") is None
    assert window.checkout_label.text() == ""
    assert not window.checkout_label.isVisible()
    assert "CC2.1" in services.get_control(store.reader(), "CO-1", "CE-01").criteria


def test_a_refused_check_in_says_why_and_changes_nothing(
    qtbot, window: MainWindow, messages: MessageLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    offline = tmp_path / "CO-1-offline.sqlite"
    _answer_dialogs(monkeypatch, offline)
    _engagement(window)
    store = window.ctx.store
    _check_out(qtbot, window)
    # The partner takes it back and changes it here: the file's check-in now conflicts.
    force_unlock(store.uow("DW"), "CO-1", reason="client call")
    window.ctx._explicit_actor = "DW"
    _map_cc21(window)
    assert "CC2.1" in services.get_control(store.reader(), "CO-1", "CE-01").criteria
    window.ctx._explicit_actor = "PR"
    events_before = len(services.recent_events(store.reader(), limit=10_000))
    file_bytes = offline.read_bytes()

    _check_in(qtbot, window)
    assert "changed here since it was checked out" in messages.last
    assert "nothing was checked in" in messages.last
    assert len(services.recent_events(store.reader(), limit=10_000)) == events_before
    assert offline.read_bytes() == file_bytes
    assert not window.checkout_label.isVisible()  # force-unlocked: here to work on again
