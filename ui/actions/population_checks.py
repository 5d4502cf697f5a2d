"""Completeness and accuracy of a population: how it was produced, and its reconciliation."""

from __future__ import annotations

from auditdesk import services
from ui.context import AppContext


def record_population_check(
    *,
    ctx: AppContext,
    population_id: int,
    source_system: str,
    query: str,
    parameters: str,
    independent_count: int | None,
    independent_total: str | None,
    period_checked: bool,
    note: str,
    expected_version: str | None = None,
) -> services.PopulationCheck:
    """Replaces the population's previous C&A record (the audit trail keeps it).

    ``expected_version``: the version of the C&A record the form loaded.
    """
    return services.record_population_check(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        population_id,
        source_system=source_system,
        query=query,
        parameters=parameters,
        independent_count=independent_count,
        independent_total=independent_total,
        period_checked=period_checked,
        note=note,
        expected_version=expected_version,
    )
