"""The desktop application (PySide6): the top floor; nothing below imports it.

PySide6 is pinned below 6.12 in pyproject.toml: 6.12.0 returns None and True
without taking a reference, and on Python 3.11 the interpreter aborts after
enough calls ("deallocating None").
"""
