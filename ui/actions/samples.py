"""Sample actions: select with a receipt, re-perform from it, extend it."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from auditdesk import services
from auditdesk.progress import Progress
from ui.context import AppContext


@dataclass(frozen=True, slots=True)
class SampleRequest:
    """What the sampling dialog asks for (rates as decimal strings, e.g. "0.95")."""

    control_ref: str
    population_id: int
    method: str  # random | systematic | stratified | pps
    size: int | None = None
    confidence: str | None = None
    tolerable: str | None = None
    expected: str | None = "0"
    size_method: str | None = None  # binomial | hypergeometric | poisson (None: binomial)
    strata: str = "month"
    seed: int | None = None
    risk: str = "lower"


def select_sample_job(*, ctx: AppContext, request: SampleRequest) -> Generator[Progress, None, services.Sample]:
    sample: services.Sample = yield from services.iter_select_sample(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        request.control_ref,
        population_id=request.population_id,
        method=request.method,
        size=request.size,
        confidence=request.confidence,
        tolerable=request.tolerable,
        expected=request.expected if request.confidence is not None else 0,
        size_method=request.size_method,
        strata=request.strata,
        seed=request.seed,
        risk=request.risk,
    )
    return sample


def reperform_sample(*, ctx: AppContext, sample_id: int) -> services.Reperformance:
    """Re-run the selection from the receipt; the outcome is written to the audit trail."""
    return services.reperform_sample(ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id)


def extend_sample(
    *, ctx: AppContext, sample_id: int, new_size: int | None = None, population_id: int | None = None
) -> services.Sample:
    return services.extend_sample(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id, new_size=new_size, population_id=population_id
    )


def replace_item(*, ctx: AppContext, sample_id: int, item_key: str) -> services.Sample:
    """Replace a not-applicable item by the next item of the same selection receipt."""
    return services.replace_item(ctx.store.uow(ctx.actor), ctx.engagement_ref, sample_id, item_key)
