"""The `auditdesk` command line: the composition root of the core.

Global options come before the command. Exit 0 on success; on failure one
sentence on stderr and a non-zero code. ``--json`` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from auditdesk.commands import load_commands
from auditdesk.commands.registry import COMMANDS, CommandFailed, Context, command, global_parser
from auditdesk.commands.typed import terminal_line
from auditdesk.errors import AuditDeskError
from sampling.errors import SamplingError

# Command modules may import these from here as well as from auditdesk.commands.registry.
__all__ = ["CommandFailed", "Context", "build_parser", "command", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    load_commands()
    parser = global_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, _handler, help_text) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        # The installed `auditdesk` (ui.launcher) opens the window before reaching here.
        err.write("The desktop app is started with the 'auditdesk' command; give a command to use the CLI.\n")
        return EXIT_USAGE
    ctx = Context(args, out, err)
    try:
        COMMANDS[args.command][1](ctx)
    except CommandFailed as exc:
        if ctx.json and exc.document is not None:
            out.write(json.dumps(exc.document, indent=2, default=str) + "\n")
        err.write(terminal_line(str(exc)) + "\n")
        return EXIT_FAILED
    except (AuditDeskError, SamplingError) as exc:
        err.write(terminal_line(str(exc)) + "\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.write("Interrupted; the operation in progress was rolled back.\n")
        return 130
    except Exception as exc:
        # A database error that escaped a unit of work (damage met outside one): a sentence, not a traceback.
        from auditdesk.storage.engine import DATABASE_ERRORS, describe_database_error

        if not isinstance(exc, DATABASE_ERRORS):
            raise
        err.write(f"{describe_database_error(exc)}\n")
        return EXIT_FAILED
    finally:
        ctx.close()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
