"""Client requests and Excel exports: ``requests``, ``add-request``, ``update-request``,
``request-evidence``, ``export`` and ``import-requests``."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditdesk import services
from auditdesk.commands.registry import Context, command
from auditdesk.errors import ValidationError
from auditdesk.services import requests as request_services
from auditdesk.services.requests import KEEP, ClientRequest, RefusedRow, RequestStatus

if TYPE_CHECKING:
    from workpapers.excel_requests import ListCover

# The Excel writers load openpyxl; they are imported when an export runs, so other commands start faster.
EXPORT_KINDS = ("requests", "matrix", "tests", "exceptions", "samples", "workbook")
STATUSES = tuple(s.value for s in RequestStatus)


def _eng(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None or not value.strip() or value.strip().lower() == "none":
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"The {what} is a date like 2026-03-31; got '{value}'.") from None


def _request_json(r: ClientRequest) -> dict[str, Any]:
    return {
        "ref": r.ref,
        "control": r.control_ref or None,
        "source": r.source,
        "sample": r.sample_id,
        "item": r.item_key,
        "item_date": r.item_date.isoformat() if r.item_date else None,
        "description": r.description,
        "assignee": r.assignee,
        "due_date": r.due_date.isoformat() if r.due_date else None,
        "status": r.status.value,
        "response": r.response,
        "evidence_file_name": r.evidence_file_name,
        "comments": r.client_comment,
        "evidence_files": r.evidence_files,
    }


def _request_lines(items: Sequence[ClientRequest]) -> str:
    if not items:
        return "No requests."
    return "\n".join(
        f"{r.ref:<8} {r.control_ref or '-':<8} {r.status.value:<9} "
        f"{r.due_date.isoformat() if r.due_date else '':<10} {r.assignee[:16]:<16} {r.description}"
        for r in items
    )


def _requests_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument(
        "--from-sample",
        type=int,
        metavar="ID",
        help="first make one request per item of sample ID that has none yet, then list that sample's requests",
    )
    parser.add_argument("--status", choices=STATUSES, action="append", help="only requests in this status")
    parser.add_argument("--control", metavar="CTRL", help="only this control's requests")
    parser.add_argument("--assignee", metavar="NAME", help="only requests assigned to NAME")
    parser.add_argument("--overdue", action="store_true", help="only requests past their due date and still open")
    parser.add_argument("--due", metavar="DATE", help="due date of the requests --from-sample makes")


@command("requests", "list client requests (and make them for a sample's items with --from-sample)")(_requests_args)
def requests(ctx: Context) -> None:
    a = ctx.args
    created: tuple[ClientRequest, ...] = ()
    if a.from_sample is not None:
        created = request_services.create_sample_requests(
            ctx.store.uow(ctx.actor), a.engagement, a.from_sample, due_date=_date(a.due, "due date")
        )
    items = request_services.list_requests(
        ctx.store.reader(),
        a.engagement,
        status=a.status,
        control=a.control,
        assignee=a.assignee,
        overdue=a.overdue,
        sample_id=a.from_sample,
    )
    made = f"Made {len(created)} request(s) for sample {a.from_sample}.\n" if a.from_sample is not None else ""
    ctx.emit([_request_json(r) for r in items], lambda: made + _request_lines(items))


def _add_request_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--description", required=False, default="", help="what is requested")
    parser.add_argument("--control", metavar="CTRL", help="the control the request is for")
    parser.add_argument(
        "--for",
        dest="purpose",
        choices=["manual", "walkthrough", "population"],
        default="manual",
        help="a request written by hand (default), for a walkthrough of --control, or for a population",
    )
    parser.add_argument("--walkthrough", type=int, metavar="ID", help="the walkthrough a walkthrough request is for")
    parser.add_argument("--population", type=int, metavar="ID", help="the population a population request is for")
    parser.add_argument("--assignee", default="", metavar="NAME", help="who owes the answer (default: control owner)")
    parser.add_argument("--due", metavar="DATE", help="due date, e.g. 2026-03-31")


@command("add-request", "make a client request by hand, for a walkthrough or for a population")(_add_request_args)
def add_request(ctx: Context) -> None:
    a = ctx.args
    uow = ctx.store.uow(ctx.actor)
    due = _date(a.due, "due date")
    if a.purpose == "walkthrough":
        if not a.control:
            raise ValidationError("A walkthrough request names its control with --control.")
        r = request_services.create_walkthrough_request(
            uow,
            a.engagement,
            a.control,
            walkthrough_id=a.walkthrough,
            assignee=a.assignee,
            due_date=due,
            description=a.description,
        )
    elif a.purpose == "population":
        r = request_services.create_population_request(
            uow,
            a.engagement,
            control=a.control,
            population_id=a.population,
            what=a.description,
            assignee=a.assignee,
            due_date=due,
        )
    else:
        r = request_services.create_request(
            uow, a.engagement, description=a.description, control=a.control, assignee=a.assignee, due_date=due
        )
    ctx.emit(_request_json(r), f"Request {r.ref}: {r.description}")


def _update_request_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("refs", nargs="+", metavar="REF", help="request reference(s), e.g. R-0001")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--assignee", metavar="NAME")
    parser.add_argument("--due", metavar="DATE", help="new due date, or 'none' to clear it")


@command("update-request", "change the status, assignee or due date of requests")(_update_request_args)
def update_request(ctx: Context) -> None:
    a = ctx.args
    due = KEEP if a.due is None else _date(a.due, "due date")
    changed = request_services.update_requests(
        ctx.store.uow(ctx.actor), a.engagement, a.refs, status=a.status, assignee=a.assignee, due_date=due
    )
    ctx.emit([_request_json(r) for r in changed], lambda: _request_lines(changed))


def _request_evidence_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("ref", metavar="REF", help="request reference, e.g. R-0001")
    parser.add_argument("file", metavar="FILE", help="the file that answers the request")


@command("request-evidence", "file the evidence that answers a request (hashed; the request becomes received)")(
    _request_evidence_args
)
def request_evidence(ctx: Context) -> None:
    a = ctx.args
    e = request_services.attach_request_evidence(ctx.store.uow(ctx.actor), a.engagement, a.ref, Path(a.file))
    ctx.emit(
        {"evidence": e.id, "request": e.request_ref, "file_name": e.file_name, "sha256": e.sha256, "size": e.size},
        f"Filed {e.file_name} for {e.request_ref} (SHA-256 {e.sha256}).",
    )


# ---- export and import -------------------------------------------------------------------------


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=EXPORT_KINDS,
        help="requests: the client request list; matrix: risk and control matrix with criteria mapping; "
        "tests: test matrix and conclusions; exceptions: exception log; samples: sample selection with "
        "receipts; workbook: all of them in one workbook",
    )
    _eng(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the .xlsx file to write")
    parser.add_argument(
        "--no-new-requests",
        action="store_true",
        help="requests: export the stored requests only (by default, sampled items without one get one first)",
    )


def _cover(ctx: Context, engagement: str) -> ListCover:
    from workpapers.excel_requests import ListCover

    reader = ctx.store.reader()
    with reader:
        e = services.get_engagement(reader, engagement)
        firm = services.get_firm(reader)
    return ListCover(
        engagement_ref=e.ref,
        client=e.client,
        system_name=e.system_name,
        period=e.period_label,
        exported_at=dt.datetime.now(dt.UTC),
        exported_by=ctx.actor,
        firm=firm.name if firm is not None else "",
    )


@command("export", "write an Excel workpaper or the client request list")(_export_args)
def export(ctx: Context) -> None:
    from workpapers.excel_requests import export_request_list
    from workpapers.excel_workpapers import export_workpapers

    a = ctx.args
    target = Path(a.output)
    created = 0
    if a.kind == "requests":
        engagement = services.get_engagement(ctx.store.reader(), a.engagement)
        if not a.no_new_requests and not engagement.locked:
            created = len(request_services.create_sampled_item_requests(ctx.store.uow(ctx.actor), engagement.ref))
        total = request_services.count_requests(ctx.store.reader(), engagement.ref)
        result = export_request_list(
            target,
            _cover(ctx, engagement.ref),
            request_services.iter_requests(ctx.store.reader(), engagement.ref),
            total=total,
        )
    else:
        from auditdesk.services.workpaper_data import engagement_workpapers

        data = engagement_workpapers(ctx.store.reader(), a.engagement)
        listed = request_services.list_requests(ctx.store.reader(), data.engagement.ref) if a.kind == "workbook" else ()
        result = export_workpapers(
            target, data, a.kind, exported_at=dt.datetime.now(dt.UTC), exported_by=ctx.actor, requests=listed
        )
    document: dict[str, Any] = {
        "path": str(result.path),
        "rows": result.rows,
        "sheets": {name: rows for name, rows in result.sheets},
        "notes": list(result.notes),
    }
    if a.kind == "requests":
        document["created"] = created

    def text() -> str:
        lines = []
        if created:
            lines.append(f"Made {created} request(s) for sampled items that had none.")
        lines.append(f"Wrote {result.rows} row(s) to {result.path}.")
        return "\n".join(lines + list(result.notes))

    ctx.emit(document, text)


def _import_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("file", metavar="FILE", help="the request list returned by the client (.xlsx)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; store nothing")


def _refused_json(r: RefusedRow) -> dict[str, Any]:
    found: dict[str, Any] = {"row": r.row, "ref": r.ref, "reason": r.reason}
    if r.original_ref:
        found["original_ref"] = r.original_ref
    return found


@command("import-requests", "read a returned request list: take the client's columns, refuse altered rows")(
    _import_args
)
def import_requests(ctx: Context) -> None:
    from workpapers.excel_requests import compare_request_list, read_returned_request_list

    a = ctx.args
    returned = read_returned_request_list(Path(a.file))
    uow = ctx.store.uow(ctx.actor)
    changes: list[dict[str, Any]] = []
    with uow:
        engagement = services.get_engagement(uow, a.engagement)
        review = compare_request_list(
            returned, request_services.list_requests(uow, engagement.ref), engagement_ref=engagement.ref
        )
        for u in review.updates:
            changes.append(
                {
                    "ref": u.ref,
                    "row": u.row,
                    "changes": [{"column": c, "before": b, "after": x} for c, b, x in u.changes],
                }
            )
        if a.dry_run:
            updated: tuple[ClientRequest, ...] = ()
            refused = review.refused
        else:
            outcome = request_services.apply_request_updates(
                uow,
                a.engagement,
                review.updates,
                refused=review.refused,
                source=review.file_name,
                source_sha256=review.sha256,
            )
            uow.commit()
            updated, refused = outcome.updated, outcome.refused
    document = {
        "updated": len(updated),
        "refused": [_refused_json(r) for r in refused],
        "unchanged": review.unchanged,
        "changes": changes,
        "not_in_file": list(review.not_in_file),
        "notes": list(review.notes),
        "dry_run": bool(a.dry_run),
    }

    def text() -> str:
        head = f"Would update {len(review.updates)} request(s)" if a.dry_run else f"Updated {len(updated)} request(s)"
        lines = [f"{head}; {review.unchanged} unchanged; {len(refused)} row(s) refused."]
        for change in changes:
            for c in change["changes"]:
                lines.append(f"  {change['ref']} {c['column']}: '{c['before']}' -> '{c['after']}'")
        lines += [f"Refused row {r.row} ({r.ref or 'no ID'}): {r.reason}." for r in refused]
        return "\n".join(lines + list(review.notes))

    ctx.emit(document, text)
