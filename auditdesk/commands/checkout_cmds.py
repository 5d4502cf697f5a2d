"""Check-out / check-in: take an engagement to a file for offline work and bring it back."""

from __future__ import annotations

import argparse
from typing import Any

from auditdesk.commands.registry import Context, command


def _checkout_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the engagement file to work in")


@command(
    "checkout",
    "write an engagement to a file for offline work; it is read-only in this store until checked in",
)(_checkout_args)
def checkout(ctx: Context) -> None:
    from auditdesk.services.checkout import checkout as do_checkout

    result = do_checkout(ctx.store.uow(ctx.actor), ctx.args.engagement, ctx.args.output)
    ctx.emit(
        {
            "engagement": result.engagement,
            "path": str(result.path),
            "sha256": result.sha256,
            "holder": result.holder,
            "checked_out_at": result.checked_out_at,
        },
        f"Checked out {result.engagement} to {result.holder} in {result.path}; work in it with "
        f"'auditdesk --db {result.path} ...' and bring it back with 'auditdesk checkin {result.path}'.",
    )


def _checkin_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the engagement file written by checkout")


@command("checkin", "bring a checked-out engagement's file back into this store (all or nothing)")(_checkin_args)
def checkin(ctx: Context) -> None:
    from auditdesk.services.checkout import checkin as do_checkin

    result = do_checkin(ctx.store.uow(ctx.actor), ctx.args.file)
    ctx.emit(
        {
            "engagement": result.engagement,
            "offline_events": result.offline_events,
            "inserted": result.inserted,
            "updated": result.updated,
            "deleted": result.deleted,
            "evidence_files": result.evidence_files,
            "digest": result.digest,
        },
        f"Checked in {result.engagement}: {result.offline_events} offline changes ({result.inserted} records added, "
        f"{result.updated} changed, {result.deleted} removed, {result.evidence_files} files); "
        f"'auditdesk verify {result.engagement}' checks it.",
    )


def _unlock_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded on the audit trail)")


@command("force-unlock", "a partner takes a checked-out engagement back into this store")(_unlock_args)
def force_unlock(ctx: Context) -> None:
    from auditdesk.services.checkout import force_unlock as do_unlock

    info = do_unlock(ctx.store.uow(ctx.actor), ctx.args.engagement, reason=ctx.args.reason)
    ctx.emit(
        _document(info),
        f"Unlocked {info.engagement} (it was checked out to {info.holder}); {info.holder}'s check-in is refused "
        "if the engagement is changed here meanwhile.",
    )


def _document(info: Any) -> dict[str, Any]:
    return {
        "engagement": info.engagement,
        "holder": info.holder,
        "checked_out_at": info.checked_out_at,
        "file": info.file_name,
        "status": info.status,
        "closed_at": info.closed_at,
        "closed_by": info.closed_by,
        "reason": info.reason,
    }


def _list_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="also the check-outs already closed")


@command("checkouts", "list the engagements checked out for offline work")(_list_args)
def checkouts(ctx: Context) -> None:
    from auditdesk.services.checkout import list_checkouts

    found = list_checkouts(ctx.store.reader(), include_closed=ctx.args.all)

    def text() -> str:
        if not found:
            return "No engagement is checked out."
        lines = []
        for x in found:
            since = x.checked_out_at[:16].replace("T", " ")
            line = f"{x.engagement}  {x.status.replace('_', ' ')}  {x.holder} since {since} UTC  {x.file_name}"
            if x.closed_by:
                line += f"  (closed by {x.closed_by}{': ' + x.reason if x.reason else ''})"
            lines.append(line)
        return "\n".join(lines)

    ctx.emit([_document(x) for x in found], text)
