"""`auditdesk --screenshot` renders the main window offscreen with a real font."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase, QFontInfo, QImage
from PySide6.QtWidgets import QApplication

from auditdesk import services
from ui.app import check_fonts, render_screenshot, screenshot
from ui.options import GuiOptions


def _colours(image: QImage, step: int = 7) -> set[int]:
    return {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }


def test_the_ui_font_is_a_real_installed_family(qapp: QApplication) -> None:
    family = QFontInfo(qapp.font()).family()
    assert family in QFontDatabase.families()
    assert check_fonts(qapp) == family


def test_screenshot_of_an_empty_store_given_with_db_writes_nothing_into_it(tmp_path: Path) -> None:
    """The real entry point in a subprocess, on an empty store given with --db: its welcome page,
    and nothing is written into it (the demo lives in its own store)."""
    store = tmp_path / "empty.sqlite"
    target = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.launcher",
            "--db",
            str(store),
            "--screenshot",
            str(target),
            "--view",
            "coverage",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1440, 900)
    assert len(_colours(image)) > 50  # text, charts and chrome, not a blank canvas
    opened = services.open_store(store)
    try:
        assert services.list_engagements(opened.reader()) == ()
    finally:
        opened.close()


@pytest.mark.parametrize("view", ["overview", "controls", "engagements", "conclusions"])
def test_render_screenshot_of_each_kind_of_view(
    demo_store: services.Store, tmp_path: Path, view: str
) -> None:
    target = tmp_path / f"{view}.png"
    image = render_screenshot(
        GuiOptions(db=demo_store.label, actor="PR", screenshot=str(target), view=view)
    )
    assert target.exists()
    assert len(_colours(image)) > 50


def test_unknown_view_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = GuiOptions(
        db=str(tmp_path / "s.sqlite"),
        actor=None,
        screenshot=str(tmp_path / "x.png"),
        view="nonsense",
    )
    assert screenshot(options) == 2
    assert "Unknown view 'nonsense'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_unusable_store_is_a_sentence_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text(
        "this is not a database, just some notes that happen to be long enough to matter" * 4
    )
    options = GuiOptions(
        db=str(bogus), actor=None, screenshot=str(tmp_path / "x.png"), view="overview"
    )
    assert screenshot(options) == 1
    assert "not an AuditDesk store" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
