"""The product speaks to auditors only: no text about its own development anywhere in
the window, and no screen in the navigator that is not there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from ui.app import screenshot
from ui.main_window import MainWindow
from ui.options import GuiOptions
from ui.views.registry import ENGAGEMENT_LIST, VIEW_NAMES

# Words that only make sense to the people building the product.
DEVELOPER_TALK = re.compile(
    r"\bsoon\b|\bcoming\b|\bnot yet available\b|\bplaceholder\b|\[[a-z][a-z-]*\]|\b(?:the|an?|this|later|next) "
    r"(?:\[?\w+\]? )?issues?\b|\bissue\b(?! ?\(s\))",
    re.IGNORECASE,
)
# Data-quality words the auditor does use: "3 issue(s) recorded at import".
ALLOWED = re.compile(r"\d[\d,]* (?:recorded )?issue\(s\)", re.IGNORECASE)


def _model_texts(model: QAbstractItemModel, parent: QModelIndex, rows: int = 30) -> Iterator[str]:
    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    for row in range(min(model.rowCount(parent), rows)):
        for column in range(model.columnCount(parent)):
            index = model.index(row, column, parent)
            for role in roles:
                value = index.data(role)
                if isinstance(value, str):
                    yield value
            if column == 0 and model.rowCount(index) > 0:
                yield from _model_texts(model, index, rows)


def visible_texts(root: QWidget) -> Iterator[str]:
    """Every string the window can show: labels, buttons, tooltips, menus, headers, table cells."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        yield from (w.toolTip(), w.statusTip(), w.whatsThis(), w.windowTitle(), w.accessibleName())
        if isinstance(w, QLabel | QAbstractButton):
            yield w.text()
        if isinstance(w, QLineEdit):
            yield from (w.text(), w.placeholderText())
        if isinstance(w, QPlainTextEdit | QTextEdit):
            yield from (w.toPlainText(), w.placeholderText())
        if isinstance(w, QGroupBox):
            yield w.title()
        if isinstance(w, QTabWidget):
            for n in range(w.count()):
                yield from (w.tabText(n), w.tabToolTip(n))
        if isinstance(w, QComboBox):
            yield from (w.itemText(n) for n in range(w.count()))
        if isinstance(w, QListWidget):
            for n in range(w.count()):
                yield from (w.item(n).text(), w.item(n).toolTip())
        # (QListWidget's internal model is private to Qt; its items are read above.)
        if isinstance(w, QAbstractItemView) and not isinstance(w, QListWidget) and w.model() is not None:
            model = w.model()
            for orientation in (Qt.Orientation.Horizontal,):
                for section in range(model.columnCount(QModelIndex())):
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.headerData(section, orientation, role)
                        if isinstance(value, str):
                            yield value
            yield from _model_texts(model, QModelIndex())
    for action in root.findChildren(QAction):
        yield from (action.text(), action.toolTip(), action.statusTip(), action.whatsThis())


def developer_talk(texts: Iterator[str]) -> set[str]:
    return {t for t in texts if t and DEVELOPER_TALK.search(ALLOWED.sub("", t))}


def test_the_scanner_catches_what_it_is_for() -> None:
    caught = developer_talk(iter([
        "Review notes  (soon)", "Coming with the [review] issue — not yet available.",
        "Preparer and reviewer sign-offs arrive with the [review] issue.",
        "Testing progress joins with [fieldwork].",
    ]))
    assert len(caught) == 4
    assert not developer_talk(iter(["Imported with 3 recorded issue(s):", "2 issue(s) accepted at import.",
                                    "Exceptions: 1 still to document"]))


def test_no_screen_menu_or_tooltip_talks_about_development(demo_window: MainWindow) -> None:
    for name in (*VIEW_NAMES, ENGAGEMENT_LIST):
        demo_window.show_view(name)
    assert set(demo_window.views) >= set(VIEW_NAMES)
    assert developer_talk(visible_texts(demo_window)) == set()


def test_every_navigator_entry_is_a_screen_that_exists(demo_window: MainWindow) -> None:
    nav = demo_window.nav_list
    names = [nav.item(row).data(Qt.ItemDataRole.UserRole) for row in range(nav.count())]
    assert names == [ENGAGEMENT_LIST, *VIEW_NAMES]
    assert "review" not in names
    for name in names[1:]:
        assert demo_window.show_view(name).objectName() == f"view_{name}"


@pytest.mark.parametrize("view", ["review", "sign-off"])
def test_a_screen_that_is_not_there_is_one_sentence_naming_the_views(
    view: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = screenshot(GuiOptions(db=str(tmp_path / "s.sqlite"), screenshot=str(tmp_path / "x.png"), view=view))
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0
    assert err.startswith(f"Unknown view '{view}'")
    assert "overview" in err
    assert "conclusions" in err
    assert ENGAGEMENT_LIST in err
    assert not (tmp_path / "x.png").exists()


def test_conclusions_has_a_shortcut(demo_window: MainWindow) -> None:
    action = demo_window.view_actions["conclusions"]
    assert action.shortcut().toString() == "Ctrl+9"
    shortcuts = [a.shortcut().toString() for a in demo_window.view_actions.values() if not a.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts)) == len(demo_window.view_actions)
