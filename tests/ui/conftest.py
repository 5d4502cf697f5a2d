"""Fixtures for the GUI tier: stores in tmp_path, the real main window, message boxes
answered without blocking, and a guard against worker threads left running."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from auditdesk import demo, services
from ui import theme
from ui.context import AppContext
from ui.main_window import MainWindow

ACTOR = "PR"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform warns that it cannot apply top-level size hints;
    # that says nothing about our code, every other Qt warning still fails a test.
    for item in items:
        if "tests/ui" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


@pytest.fixture(autouse=True)
def light_theme(qapp: QApplication) -> None:
    theme.apply_theme(qapp, "light")


@pytest.fixture(autouse=True)
def no_worker_left_running() -> Iterator[None]:
    """Fail a test that leaves a thread-pool worker running."""
    yield
    pool = QThreadPool.globalInstance()
    # A worker that has just delivered its result may still be returning from run().
    pool.waitForDone(3000)
    if pool.activeThreadCount():
        pytest.fail(f"{pool.activeThreadCount()} worker thread(s) still running after the test")


@pytest.fixture(autouse=True)
def modifiers_lifted(qtbot) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A simulated Ctrl+key (or Shift+key) click leaves the modifier down in the offscreen
    application's state; lift it after every test, or the next test's grid selects cells
    as if it were held."""
    yield
    held = QApplication.keyboardModifiers()
    if held & (
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
    ):
        probe = QWidget()
        qtbot.addWidget(probe)
        probe.show()
        qtbot.waitExposed(probe)
        for modifier, key in (
            (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Control),
            (Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Shift),
            (Qt.KeyboardModifier.AltModifier, Qt.Key.Key_Alt),
        ):
            if held & modifier:
                qtbot.keyRelease(probe, key)


@dataclass
class MessageLog:
    """Message boxes shown during a test (none blocks); ``reply`` answers questions."""

    texts: list[str] = field(default_factory=list)
    reply: str = "accept"  # accept | reject

    @property
    def last(self) -> str:
        return self.texts[-1] if self.texts else ""


@pytest.fixture(autouse=True)
def messages(monkeypatch: pytest.MonkeyPatch) -> MessageLog:
    log = MessageLog()

    def fake_exec(box: QMessageBox) -> int:
        log.texts.append(box.text())
        wanted = QMessageBox.ButtonRole.AcceptRole if log.reply == "accept" else QMessageBox.ButtonRole.RejectRole
        for button in box.buttons():
            if box.buttonRole(button) == wanted:
                button.click()
                break
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return log


@pytest.fixture
def store(tmp_path: Path) -> Iterator[services.Store]:
    opened = services.open_store(tmp_path / "store.sqlite")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once per run and copied for each test that needs it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    built = services.open_store(path)
    demo.build_demo(built, ACTOR)
    built.close()
    return path


@pytest.fixture
def demo_store(tmp_path: Path, demo_template: Path) -> Iterator[services.Store]:
    target = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, target)
    opened = services.open_store(target)
    yield opened
    opened.close()


@pytest.fixture
def ctx(store: services.Store) -> AppContext:
    return AppContext(store, explicit_actor=ACTOR)


@pytest.fixture
def demo_ctx(demo_store: services.Store) -> AppContext:
    return AppContext(demo_store, explicit_actor=ACTOR)


def _window(qtbot, context: AppContext) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, ctx: AppContext) -> MainWindow:  # type: ignore[no-untyped-def]
    """The real main window on an empty store."""
    return _window(qtbot, ctx)


@pytest.fixture
def demo_window(qtbot, demo_ctx: AppContext) -> MainWindow:  # type: ignore[no-untyped-def]
    """The real main window with the demo engagement open."""
    shown = _window(qtbot, demo_ctx)
    shown.open_engagement("DEMO", "overview")
    return shown
