"""The shell around the views: shortcuts, settings, remembered state, start-up, crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog

from auditdesk import config, services
from auditdesk.domain import Phase, Role
from ui import crash, theme
from ui.app import open_store_interactively
from ui.context import AppContext
from ui.dialogs.new_engagement import NewEngagementWizard
from ui.dialogs.settings import SettingsDialog
from ui.main_window import MainWindow, window_settings
from ui.views.controls import ControlsView
from ui.views.coverage import CoverageView


def _press(qtbot, window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, key, modifiers)


def test_undo_and_redo_from_the_keyboard(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.select("CE-03")
    before = controls.selected().criteria  # type: ignore[union-attr]
    controls.mapping.check("CC2.1")
    controls.mapping.save_button.click()
    store = demo_window.ctx.store
    assert "CC2.1" in services.get_control(store.reader(), "DEMO", "CE-03").criteria
    controls.table.setFocus()  # a text box would take Ctrl+Z for its own typing
    _press(qtbot, demo_window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert services.get_control(store.reader(), "DEMO", "CE-03").criteria == before
    assert controls.mapping.selected() == before
    _press(
        qtbot,
        demo_window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert "CC2.1" in services.get_control(store.reader(), "DEMO", "CE-03").criteria
    assert "CC2.1" in controls.mapping.selected()


def test_view_and_wizard_shortcuts(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    _press(qtbot, demo_window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(demo_window.current_view(), CoverageView)
    assert demo_window.nav_list.currentItem().text() == "Criteria coverage"
    _press(qtbot, demo_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(demo_window.wizard, NewEngagementWizard)
    assert demo_window.wizard.isVisible()
    demo_window.wizard.reject()
    demo_window.nav_list.setCurrentRow(0)
    assert demo_window.current_view_name == "engagements"


def test_settings_dialog_saves_the_profile(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    _press(qtbot, demo_window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = demo_window.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    assert dialog.isVisible()
    dialog.name_edit.setText("Jordan Ellis")
    dialog.initials_edit.setText("je")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.MANAGER))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    saved = config.load_settings()
    assert saved.profile == config.Profile(name="Jordan Ellis", initials="JE", role=Role.MANAGER)
    assert saved.theme == "dark"
    assert theme.is_dark()
    theme.apply_theme(QApplication.instance(), "light")  # type: ignore[arg-type]
    # The --as initials of this window still win over the profile.
    assert demo_window.ctx.actor == "PR"
    assert "User: PR (Priya Raman" in demo_window.user_label.text()


def test_settings_refuse_bad_initials(window: MainWindow) -> None:
    dialog = SettingsDialog(window)
    dialog.initials_edit.setText("J.E.")
    dialog.accept()
    assert not dialog.error.isHidden()
    assert "letters or digits" in dialog.error.text()
    assert config.load_settings() == config.Settings()


def test_window_state_and_last_engagement_are_remembered(demo_ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(demo_ctx)
    qtbot.addWidget(first)
    first.show()
    first.open_engagement("DEMO", "coverage")
    first.resize(720, 540)  # within the offscreen screen (800 x 600)
    first.close()
    assert window_settings().value("engagement") == "DEMO"
    again = MainWindow(AppContext(demo_ctx.store, explicit_actor="PR"))
    qtbot.addWidget(again)
    assert again.restore_state() == "DEMO"
    assert (again.width(), again.height()) == (720, 540)
    again.show()
    again.open_engagement("DEMO")
    assert again.current_view_name == "coverage"


def test_release_from_the_phase_menu_runs_the_release_checks(
    demo_window: MainWindow, messages
) -> None:  # type: ignore[no-untyped-def]
    demo_window.move_to_phase(Phase.RELEASED)
    assert "Only a partner" in messages.last  # the window acts as PR, a senior
    demo_window.ctx._explicit_actor = "DW"  # the demo's partner
    demo_window.move_to_phase(Phase.RELEASED)
    assert "cannot be released yet" in messages.last
    assert "checklist" in messages.last or "sign-off" in messages.last
    assert "auditdesk" not in messages.last  # the window never sends the user to the command line
    assert not demo_window.ctx.engagement.locked  # type: ignore[union-attr]
    assert not demo_window.phase_actions[Phase.RELEASED].isChecked()


def test_phase_move_locks_the_engagement_and_edits_are_refused(
    demo_window: MainWindow, messages
) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.locking import lock

    lock(demo_window.ctx.store, "DEMO")
    demo_window.ctx.reload_engagement()
    demo_window.move_to_phase(Phase.RELEASED)  # already released: refused, stays locked
    assert demo_window.ctx.engagement.locked  # type: ignore[union-attr]
    assert "locked" in demo_window.phase_label.text()
    controls = demo_window.show_view("controls")
    assert isinstance(controls, ControlsView)
    controls.select("CE-01")
    controls.mapping.check("CC2.1")
    controls.mapping.save_button.click()
    assert "locked" in messages.last
    assert (
        "CC2.1"
        not in services.get_control(demo_window.ctx.store.reader(), "DEMO", "CE-01").criteria
    )
    demo_window.move_to_phase(Phase.PLANNING)  # a released engagement does not go back
    assert "cannot go back" in messages.last
    assert demo_window.phase_actions[Phase.RELEASED].isChecked()


def test_a_store_that_cannot_be_opened_offers_another(tmp_path: Path, messages) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database " * 20)
    messages.reply = "reject"
    assert open_store_interactively(str(bogus)) is None
    assert "not an AuditDesk store" in messages.last


def test_unexpected_error_writes_a_log_and_offers_the_details(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[crash.CrashDialog] = []
    monkeypatch.setattr(crash.CrashDialog, "exec", lambda self: shown.append(self) or 0)
    try:
        raise RuntimeError("something the code did not expect")
    except RuntimeError as exc:
        path = crash.report_exception(type(exc), exc, exc.__traceback__)
    assert path is not None
    assert path.parent == config.log_dir()
    assert "something the code did not expect" in path.read_text(encoding="utf-8")
    dialog = shown[0]
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    assert "RuntimeError: something the code did not expect" in QGuiApplication.clipboard().text()
    assert dialog.copy_button.text() == "Copied"
    assert isinstance(dialog, QDialog)


def test_excepthook_routes_to_the_crash_report(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    seen: list[BaseException] = []
    monkeypatch.setattr(crash, "report_exception", lambda _t, exc, _tb: seen.append(exc))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    crash.install_excepthook()
    error = ValueError("boom")
    sys.excepthook(ValueError, error, None)
    assert seen == [error]


def test_log_file_is_set_up_in_the_log_folder() -> None:
    path = crash.setup_logging()
    assert path.parent == config.log_dir()
    assert path.name == "auditdesk.log"
    pytest.importorskip("logging").getLogger("auditdesk.ui").info("hello from the test")
