"""Portable engagement files: export one engagement with its evidence and trail, import it elsewhere."""

from __future__ import annotations

import argparse

from auditdesk.commands.registry import Context, command


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the engagement file to write")


@command(
    "export-engagement",
    "write one engagement, its evidence and its audit trail to a portable file another store can import",
)(_export_args)
def export_engagement(ctx: Context) -> None:
    from auditdesk.services.portable import export_engagement as export

    result = export(ctx.store.uow(ctx.actor), ctx.args.engagement, ctx.args.output)
    ctx.emit(
        {"path": str(result.path), "sha256": result.sha256, "events": result.events},
        f"Exported {result.engagement} to {result.path} ({result.events} trail events, {result.rows} records, "
        f"{result.evidence_files} files).\nSHA-256 {result.sha256}: compare it where the file arrives.",
    )


def _import_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an engagement file written by export-engagement")


@command("import-engagement", "bring the engagement of a portable file into this store (all or nothing)")(_import_args)
def import_engagement(ctx: Context) -> None:
    from auditdesk.services.portable import import_engagement as do_import

    result = do_import(ctx.store.uow(ctx.actor), ctx.args.file)
    ctx.emit(
        {"engagement": result.engagement},
        f"Imported {result.engagement} ({result.events} trail events from its source, {result.rows} records); "
        f"'auditdesk verify {result.engagement}' checks it.",
    )
