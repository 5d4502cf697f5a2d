"""Testing actions: results, the tickmark legend, evidence files, exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditdesk import services
from auditdesk.services import testing as testing_services
from ui.context import AppContext


def record_results(
    *,
    ctx: AppContext,
    sample_id: int,
    results: Sequence[services.ResultInput],
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[services.Result, ...]:
    """Save grid cells in one transaction; deviations open exceptions, reverting clears them.

    ``expected_versions``: one per result, the version of the cell as the grid loaded it.
    """
    return services.record_results(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id, list(results), expected_versions=expected_versions
    )


def restore_results(
    *,
    ctx: AppContext,
    sample_id: int,
    previous: Sequence[tuple[str, str, services.Result | None]],
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[services.Result, ...]:
    """Cells back as they were (undo): earlier results recorded again, new ones cleared.

    ``expected_versions``: one per cell, the version the edit being undone left it at.
    """
    return testing_services.restore_results(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id, previous, expected_versions=expected_versions
    )


def save_tickmark(*, ctx: AppContext, symbol: str, meaning: str) -> services.Tickmark:
    return services.save_tickmark(ctx.store.uow(ctx.actor), symbol, meaning)


def attach_evidence(
    *, ctx: AppContext, control_ref: str, path: Path, sample_id: int | None = None, item_key: str | None = None
) -> services.Evidence:
    return services.attach_evidence(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, control_ref, path, sample_id=sample_id, item_key=item_key
    )


def export_evidence(*, ctx: AppContext, evidence_id: int, folder: Path) -> Path:
    """Write the stored copy out after re-checking its SHA-256 (StoreError when altered)."""
    return services.export_evidence(ctx.store.reader(), ctx.engagement_ref, evidence_id, folder)


def update_exception(
    *,
    ctx: AppContext,
    exception_id: int,
    description: str,
    root_cause: str,
    management_response: str,
    compensating_control: str,
    compensating_note: str,
    evaluation: str = "",
    expected_version: str | None = None,
) -> services.ExceptionRecord:
    return services.update_exception(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        exception_id,
        description=description,
        root_cause=root_cause,
        management_response=management_response,
        compensating_control=compensating_control,
        compensating_note=compensating_note,
        evaluation=evaluation,
        expected_version=expected_version,
    )


def add_exception(*, ctx: AppContext, control_ref: str, description: str) -> services.ExceptionRecord:
    return services.add_exception(ctx.store.uow(ctx.actor), ctx.engagement_ref, control_ref, description=description)
