"""Client request actions: make, change, answer with evidence; export to Excel and read a returned list.

The exports and the reading of a returned list are Qt-free progress generators for
``ui.workers.run_with_progress``; each opens its own unit of work on the worker
thread, so no session crosses a thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Sequence
from pathlib import Path

from auditdesk import services
from auditdesk.progress import Progress
from auditdesk.services import requests as request_services
from auditdesk.services.requests import KEEP, ClientRequest, Keep, RequestCounts, RequestImport, RequestStatus
from auditdesk.services.workpaper_data import engagement_workpapers
from ui.context import AppContext
from workpapers.excel_requests import (
    ExportResult,
    ListCover,
    RequestListReview,
    compare_request_list,
    iter_export_request_list,
    read_returned_request_list,
)
from workpapers.excel_workpapers import iter_export_workpapers


def list_requests(*, ctx: AppContext) -> tuple[ClientRequest, ...]:
    return request_services.list_requests(ctx.store.reader(), ctx.engagement_ref)


def request_counts(*, ctx: AppContext) -> RequestCounts:
    return request_services.request_counts(ctx.store.reader(), ctx.engagement_ref)


def create_sample_requests(
    *, ctx: AppContext, sample_id: int, assignee: str = "", due_date: dt.date | None = None
) -> tuple[ClientRequest, ...]:
    """One request per item of the sample that has none yet."""
    return request_services.create_sample_requests(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id, assignee=assignee, due_date=due_date
    )


def create_request(
    *, ctx: AppContext, description: str, control_ref: str = "", assignee: str = "", due_date: dt.date | None = None
) -> ClientRequest:
    return request_services.create_request(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        description=description,
        control=control_ref or None,
        assignee=assignee,
        due_date=due_date,
    )


def update_requests(
    *,
    ctx: AppContext,
    refs: Sequence[str],
    status: RequestStatus | None = None,
    assignee: str | None = None,
    due_date: dt.date | None | Keep = KEEP,
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[ClientRequest, ...]:
    """Change status, assignee or due date of the requests (``due_date=None`` clears it).

    ``expected_versions``: one per request, the version the screen loaded.
    """
    return request_services.update_requests(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, refs, status=status, assignee=assignee, due_date=due_date,
        expected_versions=expected_versions,
    )


def restore_requests(
    *, ctx: AppContext, previous: Sequence[ClientRequest], expected_versions: Sequence[str | None] | None = None
) -> tuple[ClientRequest, ...]:
    """Put requests back as they were (undo), in one transaction.

    ``expected_versions``: one per request, the version the edit being undone left it at.
    """
    uow = ctx.store.uow(ctx.actor)
    restored: list[ClientRequest] = []
    versions = list(expected_versions) if expected_versions is not None else [None] * len(previous)
    with uow:
        for r, version in zip(previous, versions, strict=True):
            restored.append(
                request_services.update_request(
                    uow, ctx.engagement_ref, r.ref, status=r.status, assignee=r.assignee, due_date=r.due_date,
                    expected_version=version,
                )
            )
        uow.commit()
    return tuple(restored)


def attach_request_evidence(*, ctx: AppContext, ref: str, path: Path) -> request_services.RequestEvidence:
    return request_services.attach_request_evidence(ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, path)


def samples_for_requests(*, ctx: AppContext) -> tuple[services.Sample, ...]:
    """The live samples of the engagement (requests are made for their items)."""
    return tuple(s for s in services.list_samples(ctx.store.reader(), ctx.engagement_ref) if not s.retired)


def _cover(ctx: AppContext) -> ListCover:
    reader = ctx.store.reader()
    with reader:
        e = services.get_engagement(reader, ctx.engagement_ref)
        firm = services.get_firm(reader)
    return ListCover(
        e.ref,
        e.client,
        e.system_name,
        e.period_label,
        dt.datetime.now(dt.UTC),
        ctx.actor,
        firm.name if firm is not None else "",
    )


def export_request_list_job(*, ctx: AppContext, path: Path) -> Generator[Progress, None, ExportResult]:
    """The stored requests to an Excel request list; Cancel leaves no file behind."""
    ref = ctx.engagement_ref
    total = request_services.count_requests(ctx.store.reader(), ref)
    rows = request_services.iter_requests(ctx.store.reader(), ref)
    try:
        result: ExportResult = yield from iter_export_request_list(path, _cover(ctx), rows, total=total)
    finally:
        rows.close()  # ends the reading transaction even when cancelled
    return result


def export_workpapers_job(*, ctx: AppContext, path: Path, kind: str) -> Generator[Progress, None, ExportResult]:
    """One of the workpaper exports (matrix, tests, exceptions, samples, workbook)."""
    yield Progress(0, 0, "Reading the engagement")
    ref = ctx.engagement_ref
    data = engagement_workpapers(ctx.store.reader(), ref)
    requests = request_services.list_requests(ctx.store.reader(), ref) if kind == "workbook" else ()
    result: ExportResult = yield from iter_export_workpapers(
        path, data, kind, exported_at=dt.datetime.now(dt.UTC), exported_by=ctx.actor, requests=requests
    )
    return result


def review_returned_list_job(*, ctx: AppContext, path: Path) -> Generator[Progress, None, RequestListReview]:
    """Read a returned request list and compare it with the store; nothing is stored."""
    yield Progress(0, 0, f"Reading {path.name}")
    returned = read_returned_request_list(path)
    yield Progress(0, 0, "Comparing with the requests in AuditDesk")
    return compare_request_list(returned, list_requests(ctx=ctx), engagement_ref=ctx.engagement_ref)


def apply_returned_list(*, ctx: AppContext, review: RequestListReview) -> RequestImport:
    """Take the accepted changes of a returned list, in one transaction with its trail event."""
    return request_services.apply_request_updates(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        review.updates,
        refused=review.refused,
        source=review.file_name,
        source_sha256=review.sha256,
    )
