"""Subcommands of the CLI. Each module registers its commands when imported;
``load_commands`` imports them all (only the CLI needs them, the window never)."""


def load_commands() -> None:
    """Import every subcommand module, which registers its commands in ``registry.COMMANDS``."""
    from auditdesk.commands import (  # noqa: F401
        checkout_cmds,
        core,
        exports,
        fieldwork,
        method,
        planning,
        portable_cmds,
        report_cmds,
        review_cmds,
        sampling_cmds,
    )
