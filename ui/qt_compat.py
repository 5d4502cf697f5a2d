"""Work-arounds for defects of particular Qt for Python releases.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit`` (and ``None`` from
void methods) without taking a reference. ``ui/__init__.py`` pins the
reference counts of those singletons, which makes the defect harmless on
Python 3.11; :func:`emit` is kept as the one place to adapt emitting should a
later release need it. Pinning ``PySide6 != 6.12.0`` is the proper fix.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import SignalInstance


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``."""
    signal.emit(*args)
