"""Population actions: inspect and validate a client file, import it, generate occurrences.

The long ones are Qt-free progress generators for ``ui.workers.run_with_progress``;
each builds its own reader on the worker thread, so no file handle or session
crosses a thread.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from pathlib import Path

from auditdesk import services
from auditdesk.progress import Progress
from ui.context import AppContext
from workpapers.population_file import (
    ColumnMapping,
    PopulationFilePreview,
    PopulationReader,
    ValidationReport,
    inspect_population_file,
    validate_population_file,
)


def inspect_file_job(*, path: Path, sheet: str | None = None) -> Generator[Progress, None, PopulationFilePreview]:
    """Read a file once for the mapping step (its digest, encoding, headers, first rows)."""
    yield Progress(0, 0, f"Reading {path.name}")
    return inspect_population_file(path, sheet=sheet, preview_rows=20)


def validate_file_job(
    *, ctx: AppContext, path: Path, mapping: ColumnMapping
) -> Generator[Progress, None, ValidationReport]:
    """Check the whole file against the engagement's period; nothing is stored."""
    start, end = services.import_period(ctx.store.reader(), ctx.engagement_ref)
    report: ValidationReport = yield from validate_population_file(path, mapping, start, end)
    return report


def import_population_job(
    *,
    ctx: AppContext,
    path: Path,
    mapping: ColumnMapping,
    name: str,
    accept_issues: bool,
    batch_size: int = 20000,
    exclude: Mapping[int, str] | None = None,
) -> Generator[Progress, None, services.Population]:
    """Import in one transaction; closing the generator (Cancel) stores nothing.

    ``exclude`` maps file lines to the reason each row is left out of the sampling frame.
    """
    ref = ctx.engagement_ref
    start, end = services.import_period(ctx.store.reader(), ref)
    reader = PopulationReader(path, mapping, period_start=start, period_end=end, batch_size=batch_size)
    population: services.Population = yield from services.iter_import_population(
        ctx.store.uow(ctx.actor), ref, reader, name=name, accept_issues=accept_issues, exclude=exclude
    )
    return population


def generate_population(*, ctx: AppContext, control_ref: str, name: str | None = None) -> services.Population:
    return services.generate_population(ctx.store.uow(ctx.actor), ctx.engagement_ref, control_ref, name=name)


def delete_population(*, ctx: AppContext, population_id: int) -> services.Population:
    return services.delete_population(ctx.store.uow(ctx.actor), ctx.engagement_ref, population_id)
