"""Work-arounds for defects of particular Qt for Python releases.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit`` (and ``None`` from
void methods) without taking a reference, which aborts Python 3.11; it is
excluded in pyproject.toml. :func:`emit` stays the one place to adapt emitting
should a later release need it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import SignalInstance


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``."""
    signal.emit(*args)
