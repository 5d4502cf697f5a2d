"""Subcommands of the CLI, registered on import."""

from auditdesk.commands import core, fieldwork, sampling_cmds  # noqa: F401
