"""A clean first run: the firm's store holds real clients only. An empty store shows a
welcome page; the demo lives in a store of its own; a screenshot never writes a demo
into the user's store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from auditdesk import config, services
from ui.app import GuiLauncher, screenshot
from ui.main_window import DEMO_STORE_BANNER, MainWindow
from ui.options import GuiOptions
from ui.views.engagement_list import EngagementListView


def _count(target: Path | str) -> tuple[int, int, int]:
    """Engagements, people and trail events in the store at ``target``."""
    store = services.open_store(target)
    try:
        reader = store.reader
        return (len(services.list_engagements(reader())), len(services.list_people(reader())),
                services.verify_trail(reader()).events)
    finally:
        store.close()


def _default_store() -> Path:
    return config.data_dir() / config.STORE_FILE


def _start(qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    launcher = GuiLauncher(GuiOptions())
    assert launcher.start()
    window = launcher.window
    assert window is not None
    qtbot.addWidget(window)
    return window


def test_first_start_on_an_empty_store_shows_the_welcome_page_and_writes_nothing(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _start(qtbot)
    assert window.ctx.engagement is None
    assert window.current_view_name == "engagements"
    home = window.current_view()
    assert isinstance(home, EngagementListView)
    assert home.pages.currentWidget() is home.welcome
    assert home.welcome.isVisibleTo(window)
    assert home.welcome.choices()[0] == "New engagement…"
    assert home.welcome.choices()[-1] == "Open the demo store"
    assert window.banner.isHidden()
    window.ctx.store.close()
    assert _count(_default_store()) == (0, 0, 0)


def test_new_engagement_from_the_welcome_page_opens_the_wizard(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _start(qtbot)
    home = window.current_view()
    assert isinstance(home, EngagementListView)
    home.welcome.new_card.button.click()
    assert window.wizard.isVisible()
    window.wizard.reject()
    window.ctx.store.close()


def test_open_the_demo_builds_it_in_its_own_store(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _start(qtbot)
    mine = window.ctx.store.label
    home = window.current_view()
    assert isinstance(home, EngagementListView)
    home.welcome.demo_card.button.click()
    task = window.demo_task
    qtbot.waitUntil(lambda: not task.running, timeout=120_000)
    assert task.outcome == "succeeded"
    assert window.in_demo_store()
    assert window.ctx.store.label == str(config.demo_store_path())
    assert window.ctx.engagement is not None
    assert window.ctx.engagement.ref == "DEMO"
    assert window.banner.text == DEMO_STORE_BANNER.format(store=mine)
    window.ctx.store.close()
    assert _count(_default_store()) == (0, 0, 0)
    engagements, people, events = _count(config.demo_store_path())
    assert engagements == 1
    assert people
    assert events


def test_help_opens_the_demo_store_that_exists_without_building_again(
    qtbot, demo_template: Path  # type: ignore[no-untyped-def]
) -> None:
    config.demo_store_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, config.demo_store_path())
    window = _start(qtbot)
    window.demo_action.trigger()
    assert not hasattr(window, "demo_task")
    assert window.in_demo_store()
    assert window.ctx.engagement is not None
    assert "demo store" in window.banner.text
    window.demo_action.trigger()  # already there: stays, nothing reopened
    assert window.in_demo_store()
    window.ctx.store.close()


def test_screenshot_without_a_store_on_an_empty_default_store_shows_the_demo_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "shot.png"
    assert screenshot(GuiOptions(screenshot=str(target))) == 0, capsys.readouterr().err
    assert target.exists()
    assert not _default_store().exists()  # not even created
    assert _count(config.demo_store_path())[0] == 1
    # A default store that exists but is empty (e.g. after the first start) stays empty too.
    _default_store().parent.mkdir(parents=True, exist_ok=True)
    services.open_store(_default_store()).close()
    assert screenshot(GuiOptions(screenshot=str(tmp_path / "again.png"))) == 0
    assert _count(_default_store()) == (0, 0, 0)
    assert _count(config.demo_store_path())[0] == 1


def test_screenshot_of_the_firms_store_shows_it(tmp_path: Path, demo_template: Path) -> None:
    """A default store with engagements is pictured as it is (the demo store is not involved)."""
    _default_store().parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, _default_store())
    assert screenshot(GuiOptions(screenshot=str(tmp_path / "mine.png"), view="engagements")) == 0
    assert not config.demo_store_path().exists()


def test_the_window_fits_a_1366x768_laptop(window: MainWindow) -> None:
    from PySide6.QtCore import QSize

    from ui.main_window import fitted_size

    laptop = QSize(1366, 728)  # 1366x768 less a 40-pixel task bar
    size = fitted_size(laptop)
    assert size.width() <= 1366
    assert size.height() <= 728 - 30
    assert fitted_size(QSize(2560, 1400)) == QSize(1440, 900)
    screen = QApplication.primaryScreen().availableGeometry()
    assert window.width() <= screen.width()
    assert window.height() <= screen.height()
