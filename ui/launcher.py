"""Entry point of the `auditdesk` command: the CLI, or the desktop app without a command."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from auditdesk import cli


def _run_gui(options: cli.GuiOptions) -> int:
    # Qt is imported only when the window is wanted, so scripts stay fast.
    from ui.app import run_gui

    return run_gui(options)


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(sys.argv[1:] if argv is None else argv, gui=_run_gui)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
