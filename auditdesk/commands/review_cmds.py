"""Review commands: sign-offs, review notes, release and unlock, and verifying a file."""

from __future__ import annotations

import argparse
from typing import Any

from auditdesk import services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.commands.typed import terminal_safe, typed_int
from auditdesk.services.review import NOTE_STATUSES, SIGNOFF_ROLES, Release, ReviewNote, SignOff


def _eng(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _signoff_json(s: SignOff) -> dict[str, Any]:
    return {
        "id": s.id,
        "item": s.item,
        "role": s.role,
        "person": s.person,
        "signed_at": s.signed_at,
        "content_sha256": s.content_sha256,
        "state": s.state,
        "current": s.current,
        "changes": list(s.changes),
    }


def _signoff_text(s: SignOff) -> str:
    line = f"{s.id:>4}  {s.item:<24} {s.role:<9} {s.person:<6} {s.signed_at[:19]}  {s.state}"
    return "\n".join([line, *(f"        changed: {c}" for c in s.changes)])


def _signoff_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("item", metavar="ITEM", help="control:REF, sample:ID, description or opinion")
    parser.add_argument("--role", required=True, choices=SIGNOFF_ROLES)


@command("signoff", "sign off an item (control:REF, sample:ID, description, opinion) as the acting person")(
    _signoff_args
)
def signoff(ctx: Context) -> None:
    a = ctx.args
    s = services.sign_off(ctx.store.uow(ctx.actor), a.engagement, a.item, role=a.role)
    ctx.emit({"signoff": s.id}, f"Signed off {s.item} as {s.role} ({s.person}); sign-off {s.id}.")


def _signoffs_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--item", help="only this item")


@command("signoffs", "list sign-offs, current or stale with what changed since")(_signoffs_args)
def signoffs(ctx: Context) -> None:
    found = services.list_signoffs(ctx.store.reader(), ctx.args.engagement, item=ctx.args.item)
    ctx.emit(
        [_signoff_json(s) for s in found], lambda: "\n".join(_signoff_text(s) for s in found) or "No sign-offs yet."
    )


def _note_json(n: ReviewNote) -> dict[str, Any]:
    return {
        "id": n.id,
        "item": n.item,
        "text": n.text,
        "status": n.status,
        "author": n.author,
        "created_at": n.created_at,
        "response": n.response,
        "responder": n.responder,
        "responded_at": n.responded_at,
        "clearer": n.clearer,
        "cleared_at": n.cleared_at,
    }


def _note_text(n: ReviewNote) -> str:
    lines = [f"{n.id:>4}  [{n.status}] {n.item} by {n.author}: {n.text}"]
    if n.response:
        lines.append(f"        response by {n.responder}: {n.response}")
    if n.clearer:
        lines.append(f"        cleared by {n.clearer} {n.cleared_at[:19]}")
    return "\n".join(lines)


def _note_args(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="add|respond|clear|list")
    add = sub.add_parser("add", help="add a review note to an item")
    _eng(add)
    add.add_argument("item", metavar="ITEM", help="control:REF, sample:ID, description or opinion")
    add.add_argument("text", metavar="TEXT")
    respond = sub.add_parser("respond", help="answer a review note")
    _eng(respond)
    respond.add_argument("note", metavar="NOTE", help="the note's id")
    respond.add_argument("text", metavar="TEXT")
    clear = sub.add_parser("clear", help="clear a review note (its author, a manager or a partner)")
    _eng(clear)
    clear.add_argument("note", metavar="NOTE", help="the note's id")
    listing = sub.add_parser("list", help="list review notes")
    _eng(listing)
    listing.add_argument("--mine", action="store_true", help="notes written or answered by the acting person")
    listing.add_argument("--open", action="store_true", help="notes not cleared yet")
    listing.add_argument("--status", choices=NOTE_STATUSES)
    listing.add_argument("--item", help="notes on this item")


@command("note", "review notes: add, respond, clear, list")(_note_args)
def note(ctx: Context) -> None:
    a = ctx.args
    if a.action == "list":
        found = services.list_notes(
            ctx.store.reader(),
            a.engagement,
            person=ctx.actor if a.mine else None,
            status=a.status,
            item=a.item,
            open_only=a.open,
        )
        ctx.emit([_note_json(n) for n in found], lambda: "\n".join(_note_text(n) for n in found) or "No review notes.")
        return
    uow = ctx.store.uow(ctx.actor)
    if a.action == "add":
        n = services.add_note(uow, a.engagement, a.item, a.text)
    elif a.action == "respond":
        n = services.respond_note(uow, a.engagement, typed_int(a.note, "The note id"), a.text)
    else:
        n = services.clear_note(uow, a.engagement, typed_int(a.note, "The note id"))
    ctx.emit(_note_json(n), lambda: _note_text(n))


def _release_json(r: Release) -> dict[str, Any]:
    return {
        "engagement": r.engagement,
        "phase": r.phase,
        "released_at": r.released_at,
        "released_by": r.released_by,
        "completion_deadline": r.completion_deadline.isoformat() if r.completion_deadline else None,
    }


@command("release", "release (lock) the engagement: a partner, with every sign-off current and no open note")(_eng)
def release(ctx: Context) -> None:
    r = services.release(ctx.store.uow(ctx.actor), ctx.args.engagement)
    ctx.emit(
        _release_json(r),
        f"Released {r.engagement}; it is locked. Documentation completion is due by {r.completion_deadline}.",
    )


def _unlock_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--reason", required=True, help="why the released engagement is reopened (on the trail)")


@command("unlock", "reopen a released engagement for changes (a partner, with a reason)")(_unlock_args)
def unlock(ctx: Context) -> None:
    r = services.unlock(ctx.store.uow(ctx.actor), ctx.args.engagement, reason=ctx.args.reason)
    ctx.emit(_release_json(r), f"Unlocked {r.engagement}; it is back in {r.phase}.")


@command("verify", "check an engagement's file: trail, sign-offs, evidence, samples, report, rows against the trail")(
    _eng
)
def verify(ctx: Context) -> None:
    def check_pdf(pdf: bytes) -> str | None:
        from workpapers import pdf_signing  # loaded only when a signed report is there to check

        return pdf_signing.verify_pdf(pdf).problem or None

    v = services.verify_engagement(ctx.store.reader(), ctx.args.engagement, check_pdf=check_pdf)
    document = {"ok": v.ok, "failures": list(v.failures), "checked": list(v.checked)}
    if not v.ok:
        if not ctx.json:
            ctx.out.write(terminal_safe("\n".join(f"FAILED: {f}" for f in v.failures)) + "\n")
        count = len(v.failures)
        raise CommandFailed(
            f"Engagement {v.engagement} does not verify: {count} problem{'s' if count != 1 else ''} found.", document
        )
    ctx.emit(document, lambda: "\n".join([f"Engagement {v.engagement} verifies:", *(f"  ok: {c}" for c in v.checked)]))
