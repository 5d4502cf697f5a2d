"""Work-arounds for defects of particular Qt for Python releases.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit`` without taking a
reference to it, so every emit made from Python drops one reference to
``True``; after a few hundred emits the interpreter aborts ("deallocating True
or False"). Every emit in ``ui`` goes through :func:`emit`, which gives the
reference back when (and only when) the running release has the defect.
6.11 and earlier are not affected; pinning ``PySide6 != 6.12.0`` is the fix.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance


def _emit_drops_a_reference() -> bool:
    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    rounds = 64
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.ping.emit()
    dropped = before - sys.getrefcount(True)
    # Other code may take or drop a few references meanwhile; a defect drops one per emit.
    if dropped >= rounds // 2:
        for _ in range(dropped):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))  # give the probe's back
        return True
    return False


EMIT_DROPS_REFERENCE = _emit_drops_a_reference()


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``, safe on releases whose emit leaks a reference."""
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]  # 6.12 returns a bool
    if EMIT_DROPS_REFERENCE and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
