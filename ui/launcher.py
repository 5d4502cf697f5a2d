"""Entry point of the `auditdesk` command: the desktop app, or the CLI when a command is given."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ui.options import gui_options


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = gui_options(arguments)
    if options is None:
        # Scripts never load Qt; the window never loads the subcommands.
        from auditdesk import cli

        return cli.main(arguments)
    from ui.app import run_gui

    return run_gui(options)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
