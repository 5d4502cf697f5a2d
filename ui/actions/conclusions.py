"""Conclusion actions: controls, criteria, matters, the opinion; and the roll-forward."""

from __future__ import annotations

import datetime as dt

from auditdesk import services
from auditdesk.conclusions import ControlConclusion, CriterionConclusion, MatterKind, Opinion
from auditdesk.domain import Engagement
from ui.context import AppContext


def set_control_conclusion(
    *, ctx: AppContext, ref: str, conclusion: ControlConclusion, rationale: str, expected_version: str | None = None
) -> services.ControlStatus:
    return services.set_control_conclusion(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, conclusion, rationale=rationale,
        expected_version=expected_version,
    )


def clear_control_conclusion(
    *, ctx: AppContext, ref: str, expected_version: str | None = None
) -> services.ControlStatus:
    return services.clear_control_conclusion(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, expected_version=expected_version
    )


def set_criterion_conclusion(
    *,
    ctx: AppContext,
    criterion_id: str,
    conclusion: CriterionConclusion | None,
    rationale: str = "",
    expected_version: str | None = None,
) -> services.CriterionStatus:
    return services.set_criterion_conclusion(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, criterion_id, conclusion, rationale=rationale,
        expected_version=expected_version,
    )


def add_matter(
    *, ctx: AppContext, kind: MatterKind, description: str, material: bool, pervasive: bool
) -> services.MatterRecord:
    return services.add_matter(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, kind, description, material=material, pervasive=pervasive
    )


def delete_matter(*, ctx: AppContext, matter_id: int) -> None:
    services.delete_matter(ctx.store.uow(ctx.actor), ctx.engagement_ref, matter_id)


def record_opinion(
    *, ctx: AppContext, opinion: Opinion, basis: str, override_reason: str = "", expected_version: str | None = None
) -> services.RecordedOpinion:
    """Only a partner on the team may; a modified opinion needs its basis paragraph.

    ``expected_version``: the version of the recorded opinion the screen loaded.
    """
    return services.record_opinion(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, opinion, basis=basis, override_reason=override_reason,
        expected_version=expected_version,
    )


def roll_forward(
    *,
    ctx: AppContext,
    ref: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    as_of_date: dt.date | None = None,
) -> Engagement:
    """Start the next period's engagement from the open one (no populations, samples or results)."""
    return services.roll_forward(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        ref=ref,
        period_start=period_start,
        period_end=period_end,
        as_of_date=as_of_date,
    )
