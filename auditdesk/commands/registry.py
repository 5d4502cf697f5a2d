"""The subcommand registry and the global options: what the CLI and the GUI launcher share.

Command modules register themselves with ``@command``; ``auditdesk.cli`` builds
the parser from the registry and runs the chosen handler. The GUI launcher
reads the same global options to decide whether to open the window. Nothing
here loads the store or a subcommand, so importing it is cheap.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from auditdesk.errors import AuditDeskError

if TYPE_CHECKING:
    from auditdesk.storage.uow import Store


class Context:
    """What a command needs: the parsed options, the store, the acting person."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> None:
        self.args = args
        self.out = out
        self.err = err or sys.stderr
        self._store: Store | None = None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    @property
    def store_target(self) -> str:
        """--db, else AUDITDESK_DB, else the settings' store; a server URL gets its password (see config)."""
        from auditdesk import config

        return config.store_target(self.args.db, ask=_ask_password)

    @property
    def store(self) -> Store:
        if self._store is None:
            from auditdesk import services

            # On a PostgreSQL store the acting person is the server login (auditdesk.storage.server_roles).
            self._store = services.open_store(self.store_target, enforce_logins=True)
            if self._store.notice:  # e.g. read-only: the command goes on, the user is told once
                self.err.write(self._store.notice + "\n")
        return self._store

    @property
    def actor(self) -> str:
        import os

        from auditdesk import config

        fallback = config.resolve_actor(self.args.actor)
        target = self.args.db or os.environ.get("AUDITDESK_DB") or config.default_store_target()
        if self._store is None and "://" in target and not target.lower().startswith("sqlite"):
            self.store  # noqa: B018 - a server store decides who acts: its login's person
        if self._store is None:
            return fallback
        from auditdesk.services.server_roles import server_actor

        return server_actor(self._store, self.args.actor or os.environ.get("AUDITDESK_USER"), fallback)

    def emit(self, document: Any, text: str | Callable[[], str]) -> None:
        """Print the JSON document with --json, else the human text.

        The human text shows control characters from the data (a key, a note) as escapes,
        so a file cannot rewrite the terminal; JSON escapes them itself and stays exact.
        """
        if self.json:
            self.out.write(json.dumps(document, indent=2, default=str) + "\n")
        else:
            from auditdesk.commands.typed import terminal_safe  # here: the window never loads it

            self.out.write(terminal_safe((text() if callable(text) else text).rstrip("\n")) + "\n")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _ask_password(where: str) -> str | None:
    """The database password, typed at a terminal (kept in memory for this run only)."""
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(f"Password for {where}: ") or None


class CommandFailed(AuditDeskError):
    """A command ran but its answer is 'no' (e.g. a broken trail); exit non-zero."""

    def __init__(self, message: str, document: Any = None) -> None:
        super().__init__(message)
        self.document = document


Handler = Callable[[Context], None]
Configure = Callable[[argparse.ArgumentParser], None]
#: name -> (adds the command's arguments, runs it, one-line help)
COMMANDS: dict[str, tuple[Configure, Handler, str]] = {}


def command(name: str, help_text: str) -> Callable[[Configure], Callable[[Handler], Handler]]:
    """Register a subcommand: ``@command(name, help)(configure)(handler)``."""

    def with_configure(configure: Configure) -> Callable[[Handler], Handler]:
        def with_handler(handler: Handler) -> Handler:
            COMMANDS[name] = (configure, handler, help_text)
            return handler

        return with_handler

    return with_configure


def global_parser(*, add_help: bool = True) -> argparse.ArgumentParser:
    """The options that come before the command (and, without one, start the window)."""
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
