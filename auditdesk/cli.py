"""The `auditdesk` command line: the composition root of the core.

Global options come before the command. Exit 0 on success; on failure one
sentence on stderr and a non-zero code. ``--json`` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from auditdesk import config, services
from auditdesk.errors import AuditDeskError
from auditdesk.storage.uow import Store
from sampling.errors import SamplingError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class GuiOptions:
    db: str | None
    actor: str | None
    screenshot: str | None
    view: str


class Context:
    """What a command needs: the parsed options, the store, the acting person."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self._store: Store | None = None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = services.open_store(self.args.db or config.default_store_target())
        return self._store

    @property
    def actor(self) -> str:
        return config.resolve_actor(self.args.actor)

    def emit(self, document: Any, text: str | Callable[[], str]) -> None:
        """Print the JSON document with --json, else the human text."""
        if self.json:
            self.out.write(json.dumps(document, indent=2, default=str) + "\n")
        else:
            self.out.write((text() if callable(text) else text).rstrip("\n") + "\n")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class CommandFailed(AuditDeskError):
    """A command ran but its answer is 'no' (e.g. a broken trail); exit non-zero."""

    def __init__(self, message: str, document: Any = None) -> None:
        super().__init__(message)
        self.document = document


Handler = Callable[[Context], None]
_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {}


def command(
    name: str, help_text: str
) -> Callable[[Callable[[argparse.ArgumentParser], None]], Callable[[Handler], Handler]]:
    """Register a subcommand: ``@command(name, help)(configure)(handler)``."""

    def with_configure(configure: Callable[[argparse.ArgumentParser], None]) -> Callable[[Handler], Handler]:
        def with_handler(handler: Handler) -> Handler:
            _COMMANDS[name] = (configure, handler, help_text)
            return handler

        return with_handler

    return with_configure


def _global_parser(*, add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditdesk",
        description="AuditDesk: SOC 2 workpapers. Without a command, opens the desktop app.",
        add_help=add_help,
    )
    parser.add_argument("--db", metavar="PATH_OR_URL", help="workpaper store (else AUDITDESK_DB, else the default)")
    parser.add_argument("--as", dest="actor", metavar="INITIALS", help="the person acting (else AUDITDESK_USER)")
    parser.add_argument("--json", action="store_true", help="machine-readable output: one JSON document")
    parser.add_argument("--screenshot", metavar="PNG", help="render the main window offscreen to PNG and exit")
    parser.add_argument("--view", default="overview", help="view for --screenshot (default: overview)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    from auditdesk import commands  # noqa: F401  (registers the subcommands)

    parser = _global_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, _handler, help_text) in _COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    gui: Callable[[GuiOptions], int] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    if gui is not None and not {"-h", "--help"} & set(arguments):
        # Without a command the window opens: skip loading every subcommand.
        known, rest = _global_parser(add_help=False).parse_known_args(arguments)
        if not rest:
            return gui(GuiOptions(known.db, known.actor, known.screenshot, known.view))
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        if gui is None:
            err.write("The desktop app is started with the 'auditdesk' command; give a command to use the CLI.\n")
            return EXIT_USAGE
        return gui(GuiOptions(args.db, args.actor, args.screenshot, args.view))
    ctx = Context(args, out)
    try:
        _COMMANDS[args.command][1](ctx)
    except CommandFailed as exc:
        if ctx.json and exc.document is not None:
            out.write(json.dumps(exc.document, indent=2, default=str) + "\n")
        err.write(f"{exc}\n")
        return EXIT_FAILED
    except (AuditDeskError, SamplingError) as exc:
        err.write(f"{exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.write("Interrupted; the operation in progress was rolled back.\n")
        return 130
    finally:
        ctx.close()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
