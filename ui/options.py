"""How the desktop app was asked to start: the store, the person, a screenshot instead of a window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditdesk.commands.registry import global_parser


@dataclass(frozen=True, slots=True)
class GuiOptions:
    db: str | None = None  # --db; None: AUDITDESK_DB, the settings, else the default store
    actor: str | None = None  # --as
    screenshot: str | None = None  # --screenshot PNG: render offscreen and exit
    view: str = "overview"  # --view, for --screenshot


def gui_options(arguments: Sequence[str]) -> GuiOptions | None:
    """The window's options when the command line names no command (None: run the CLI)."""
    if {"-h", "--help"} & set(arguments):
        return None
    known, rest = global_parser(add_help=False).parse_known_args(list(arguments))
    if rest:
        return None
    return GuiOptions(db=known.db, actor=known.actor, screenshot=known.screenshot, view=known.view)
