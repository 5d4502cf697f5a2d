"""Help > Verify the engagement's file: every check shown, and a row edited behind AuditDesk's back named."""

from __future__ import annotations

import datetime as dt
import sqlite3

from auditdesk import services
from tests.ui.conftest import MessageLog
from ui.main_window import MainWindow


def _verify(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.verify_file_action.isEnabled()
    window.verify_file_action.trigger()
    qtbot.waitUntil(lambda: not window.verify_file_task.running, timeout=60_000)


def test_verify_file_shows_each_check_ok(qtbot, window: MainWindow, messages: MessageLog) -> None:  # type: ignore[no-untyped-def]
    store = window.ctx.store
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.create_engagement(
        store.uow("PR"),
        ref="V-1",
        client="Verify Client",
        system_name="Platform",
        engagement_type="type2",
        categories=["security"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        team=[("PR", "senior")],
    )
    assert not window.verify_file_action.isEnabled()  # no engagement open yet
    assert window.open_engagement("V-1")
    _verify(qtbot, window)
    assert window.last_file_check.ok
    assert "The file of engagement V-1 verifies." in messages.last
    assert "ok: audit trail:" in messages.last
    assert "FAILED" not in messages.last


def test_verify_file_names_a_result_edited_outside(qtbot, demo_window: MainWindow, messages: MessageLog) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(demo_window.ctx.store.location.label) as con:
        (result,) = con.execute("select min(id) from test_result where outcome = 'pass'").fetchone()
        con.execute("update test_result set outcome = 'deviation' where id = ?", (result,))
    _verify(qtbot, demo_window)
    assert not demo_window.last_file_check.ok
    assert "does not verify" in messages.last
    assert f"FAILED: Result {result} (" in messages.last
    assert 'outcome is "deviation", the trail says "pass"' in messages.last
