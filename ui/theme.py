"""Light and dark themes: Fusion, a palette, and the stylesheet from resources.

"system" follows the OS through QStyleHints.colorScheme and switches live
when the OS does. Charts take their status colours from :func:`colors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
_state = {"theme": "system", "dark": False}


@dataclass(frozen=True, slots=True)
class StatusColors:
    good: QColor
    warning: QColor
    bad: QColor
    neutral: QColor
    accent: QColor
    track: QColor  # the empty part of bars and rings


_LIGHT = StatusColors(
    good=QColor("#2e8540"), warning=QColor("#d08a00"), bad=QColor("#c0392b"),
    neutral=QColor("#8a94a0"), accent=QColor("#2f6fde"), track=QColor("#e4e8ee"),
)
_DARK = StatusColors(
    good=QColor("#5cc46f"), warning=QColor("#f0b429"), bad=QColor("#ef6f61"),
    neutral=QColor("#9aa4b0"), accent=QColor("#6ea1ff"), track=QColor("#3a4048"),
)


def is_dark() -> bool:
    return bool(_state["dark"])


def colors() -> StatusColors:
    return _DARK if is_dark() else _LIGHT


@cache
def stylesheet(dark: bool) -> str:
    """The app's stylesheet (base, plus the dark additions in dark mode)."""
    folder = resources.files("resources")
    text = folder.joinpath("style.qss").read_text(encoding="utf-8")
    if dark:
        text += "\n" + folder.joinpath("style_dark.qss").read_text(encoding="utf-8")
    return text


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#23272e"), QColor("#1b1e23"), QColor("#e6e8eb")
    # The disabled group gets every colour too: left to Qt's defaults, disabled buttons and
    # fields would be drawn light grey, brighter than the enabled ones.
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#262a31"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#2d323a"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#2d323a"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#3d6fc4"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#6ea1ff"))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8d96a0"))
        p.setColor(group, QPalette.ColorRole.Mid, QColor("#3a4048"))
        p.setColor(group, QPalette.ColorRole.Midlight, QColor("#343941"))
        p.setColor(group, QPalette.ColorRole.Dark, QColor("#15181c"))
        p.setColor(group, QPalette.ColorRole.Light, QColor("#3f454e"))
    # Disabled: dimmer surfaces and muted text, so a disabled control recedes.
    for role, color in (
        (QPalette.ColorRole.WindowText, "#7c848e"),
        (QPalette.ColorRole.Text, "#7c848e"),
        (QPalette.ColorRole.ButtonText, "#7c848e"),
        (QPalette.ColorRole.Button, "#272b31"),
        (QPalette.ColorRole.Base, "#1b1e23"),
        (QPalette.ColorRole.Highlight, "#39414d"),
        (QPalette.ColorRole.HighlightedText, "#9aa4b0"),
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return p


def _light_palette(app: QApplication) -> QPalette:
    p = app.style().standardPalette()
    # Fusion's stock highlight is a saturated blue; a calmer one reads better in long tables.
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fde"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f5f7fa"))
    return p


def system_prefers_dark() -> bool:
    scheme = QGuiApplication.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str = "system") -> bool:
    """Apply a theme ("system", "light" or "dark"); returns whether it is dark."""
    if theme not in THEMES:
        theme = "system"
    # With a stylesheet set, style() is Qt's stylesheet proxy whose name() is empty;
    # replacing the style under live stylesheet widgets crashes Qt, so only the
    # first call (before any stylesheet) may switch to Fusion.
    if not app.styleSheet() and app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    _state["theme"], _state["dark"] = theme, dark
    app.setPalette(_dark_palette() if dark else _light_palette(app))
    if app.styleSheet() != stylesheet(dark):
        app.setStyleSheet(stylesheet(dark))
    return dark


def follow_system(app: QApplication) -> None:
    """Re-apply the "system" theme when the OS switches between light and dark."""

    def on_change(_scheme: Qt.ColorScheme) -> None:
        if _state["theme"] == "system":
            apply_theme(app, "system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(on_change)
