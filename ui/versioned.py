"""What an editor loaded, so that it can tell a draft from what is stored.

``Baseline`` remembers the values an editor's fields showed when it loaded (or
last saved) and says the editor is dirty while they differ: typing something and
deleting it again leaves it clean. Screens answer ``has_unsaved_edits()`` from
their baselines; the watcher (``ui.watcher``) reloads only screens that say they
are clean.
"""

from __future__ import annotations

from collections.abc import Callable


class Baseline:
    """The fields' values as loaded; ``dirty`` while the fields show something else."""

    def __init__(self, read: Callable[[], object]) -> None:
        self._read = read
        self._clean: object = read()

    def reset(self) -> None:
        """What the fields show now is what is stored (after a load or a save)."""
        self._clean = self._read()

    @property
    def dirty(self) -> bool:
        return bool(self._read() != self._clean)
