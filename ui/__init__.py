"""The desktop application (PySide6): the top floor; nothing below imports it."""

from __future__ import annotations

import ctypes
import sys


def _pin_singletons() -> None:
    """Give None, True and False a reference count no session can use up.

    PySide6 6.12.0 returns None from every void method, and True from
    ``SignalInstance.emit``, without taking a reference: correct on Python
    3.12+, where these objects are immortal (PEP 683), but on 3.11 every such
    call drops one reference, and after some tens of thousands of calls the
    interpreter aborts ("deallocating None"). The three are static objects that
    are never freed, so a huge count is harmless: it is what 3.12 does for them.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object; id() is its address.
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_pin_singletons()
