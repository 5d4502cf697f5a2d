"""Review commands: sign-offs, review notes, release and unlock, and verifying a file."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from auditdesk import services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.commands.typed import quoted, terminal_safe, typed_int
from auditdesk.errors import ValidationError
from auditdesk.services.checklist import COMPLETABLE, AssemblyAddition, ChecklistItem
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
    parser.add_argument("item", metavar="ITEM", help="control:REF, sample:ID, description, opinion or report:N")
    parser.add_argument("--role", required=True, choices=SIGNOFF_ROLES)


@command("signoff", "sign off an item (control:REF, sample:ID, description, opinion, report:N) as the acting person")(
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
    add.add_argument("item", metavar="ITEM", help="control:REF, sample:ID, description, opinion or report:N")
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
    document = {
        "ok": v.ok,
        "failures": list(v.failures),
        "checked": list(v.checked),
        "intact": v.intact,  # false when something was changed behind the app's back
        "stale": list(v.stale),  # failures that are sign-offs made stale by later work
    }
    if not v.ok:
        if not ctx.json:
            ctx.out.write(terminal_safe("\n".join(f"FAILED: {f}" for f in v.failures)) + "\n")
        count = len(v.failures)
        kind = "" if v.intact else " (changes made outside AuditDesk among them)"
        raise CommandFailed(
            f"Engagement {v.engagement} does not verify: {count} problem{'s' if count != 1 else ''} found{kind}.",
            document,
        )
    ctx.emit(document, lambda: "\n".join([f"Engagement {v.engagement} verifies:", *(f"  ok: {c}" for c in v.checked)]))


# ---- completion checklist, phase, assembly after release ---------------------------


def _date(text: str | None, what: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{what} '{quoted(text)}' is not a date; write it like 2026-07-15.") from None


def _item_json(i: ChecklistItem) -> dict[str, Any]:
    return {
        "item": i.item,
        "subject": i.subject,
        "label": i.label,
        "required": i.required,
        "done": i.done,
        "dated": i.dated.isoformat() if i.dated else None,
        "by": i.by,
        "signed_at": i.signed_at,
        "detail": i.detail,
        "missing": i.missing,
    }


def _item_text(i: ChecklistItem) -> str:
    state = "done" if i.done else ("open" if i.required else "n/a")
    tail = f"{i.dated} {i.by}" if i.done else i.missing
    return f"[{state:<4}] {i.label:<58} {tail}"


def _checklist_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("action", nargs="?", choices=("complete", "reopen"), help="complete or reopen an item")
    parser.add_argument("item", nargs="?", metavar="ITEM", help=", ".join(COMPLETABLE))
    parser.add_argument("--person", metavar="INITIALS", help="independence: the team member (default: yourself)")
    parser.add_argument("--point", metavar="KEY", help="description review: the DC 200 point (e.g. services, cuecs)")
    parser.add_argument("--dated", metavar="DATE", help="the date the item was completed (default: today)")
    parser.add_argument("--note", default="", help="a note or the reference of the document")
    parser.add_argument("--reason", help="why the item is reopened")


@command("checklist", "the completion checklist: list it, complete an item or reopen one with a reason")(
    _checklist_args
)
def checklist(ctx: Context) -> None:
    a = ctx.args
    if a.action is None:
        items = services.list_checklist(ctx.store.reader(), a.engagement)
        ctx.emit([_item_json(i) for i in items], lambda: "\n".join(_item_text(i) for i in items))
        return
    if not a.item:
        raise ValidationError(f"Name the checklist item to {a.action}: one of {', '.join(COMPLETABLE)}.")
    subject = a.person or a.point
    uow = ctx.store.uow(ctx.actor)
    if a.action == "complete":
        done = services.complete_item(
            uow, a.engagement, a.item, subject=subject, dated=_date(a.dated, "The date"), note=a.note
        )
        ctx.emit(_item_json(done), f"Completed: {done.label}, dated {done.dated}, signed by {done.by}.")
        return
    if not a.reason:
        raise ValidationError("Give the reason for reopening the item with --reason.")
    entry = services.reopen_item(uow, a.engagement, a.item, subject=subject, reason=a.reason)
    ctx.emit(
        {"item": entry.item, "subject": entry.subject, "reopened_by": entry.reopened_by, "reason": entry.reopen_reason},
        f"Reopened {entry.item}{' ' + entry.subject if entry.subject else ''}.",
    )


def _phase_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("phase", metavar="PHASE", help="planning, fieldwork, review or reporting")


@command("phase", "move the engagement to planning, fieldwork, review or reporting (release has its own command)")(
    _phase_args
)
def phase(ctx: Context) -> None:
    e = services.set_phase(ctx.store.uow(ctx.actor), ctx.args.engagement, ctx.args.phase.strip().lower())
    ctx.emit({"engagement": e.ref, "phase": e.phase.value}, f"Engagement {e.ref} is in {e.phase.value}.")


@command("archive", "archive a released engagement once its documentation completion deadline has passed")(_eng)
def archive(ctx: Context) -> None:
    done = services.archive(ctx.store.uow(ctx.actor), ctx.args.engagement)
    ctx.emit({"engagement": ctx.args.engagement, "phase": done}, f"Engagement {ctx.args.engagement} is archived.")


def _addition_json(x: AssemblyAddition) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind,
        "file_name": x.file_name,
        "sha256": x.sha256,
        "memo": x.memo,
        "reason": x.reason,
        "dated": x.dated.isoformat() if x.dated else None,
        "after_archive": x.after_archive,
        "added_by": x.added_by,
        "added_at": x.added_at,
        "signed": x.signed,
    }


def _add_assembly_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--reason", required=True, help="why the document is added after release")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", metavar="FILE", help="a file to keep in the engagement's file")
    what.add_argument("--memo", metavar="TEXT", help="a memo")
    parser.add_argument("--dated", metavar="DATE", help="the date the addition documents (needed once archived)")


@command("add-assembly", "add a file or memo to a released engagement, with the reason (logged; signed once archived)")(
    _add_assembly_args
)
def add_assembly(ctx: Context) -> None:
    from auditdesk.services.testing import read_evidence_file

    a = ctx.args
    file = read_evidence_file(a.file) if a.file else None
    x = services.add_assembly_document(
        ctx.store.uow(ctx.actor),
        a.engagement,
        reason=a.reason,
        file=file,
        memo=a.memo or "",
        dated=_date(a.dated, "The date"),
    )
    ctx.emit(
        _addition_json(x), f"Added {x.file_name or 'a memo'} to {x.engagement} ({'signed' if x.signed else 'logged'})."
    )


@command("assembly", "list the documents added to an engagement after its release")(_eng)
def assembly(ctx: Context) -> None:
    found = services.list_assembly(ctx.store.reader(), ctx.args.engagement)
    ctx.emit(
        [_addition_json(x) for x in found],
        lambda: (
            "\n".join(
                f"{x.id:>4}  {x.added_at[:19]} {x.added_by:<6} {x.file_name or 'memo'}: {x.reason}" for x in found
            )
            or "Nothing was added after release."
        ),
    )
