"""Completeness and accuracy (C&A) of populations: information produced by the entity.

A population comes from the client's system. Before selecting from it the auditor
documents how it was produced (system, query or report, parameters) and tests it:
the record count and, when it has amounts, the total reconciled to an independent
source, and the period covered checked. The check is tested only when all of that
agrees; otherwise it is kept with the differences stated, and sampling warns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from auditdesk import trail
from auditdesk.errors import ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import engagement_row, require_text
from auditdesk.services.populations import population_row
from auditdesk.storage.schema import PopulationCheckRow, PopulationRow
from auditdesk.storage.uow import SqlUnitOfWork

Amount = Decimal | int | str


@dataclass(frozen=True, slots=True)
class PopulationCheck:
    """The C&A record of one population; ``tested`` only when count, total and period all agree."""

    population_id: int
    population_name: str
    source_system: str
    query: str
    parameters: str
    population_rows: int
    independent_count: int | None
    population_total: str  # "" when the population has no amounts
    independent_total: str
    period_checked: bool
    tested: bool
    differences: tuple[str, ...]
    note: str
    tested_by: str
    tested_at: str

    @property
    def status(self) -> str:
        return "C&A tested" if self.tested else "C&A not tested"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _amount(value: Amount | None, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    text = value.strip().replace(",", "").replace("$", "").replace(" ", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"The {what} '{value}' is not an amount; write it like 125430.50.") from None
    if not number.is_finite():
        raise ValidationError(f"The {what} '{value}' is not an amount; write it like 125430.50.")
    return number


def differences(
    *,
    rows: int,
    total: str,
    has_amounts: bool,
    independent_count: int | None,
    independent_total: str,
    period_checked: bool,
) -> tuple[str, ...]:
    """What keeps a C&A check from being tested, one sentence each (empty: tested)."""
    out: list[str] = []
    if independent_count is None:
        out.append("No record count from an independent source was recorded.")
    elif independent_count != rows:
        gap = rows - independent_count
        out.append(
            f"The population has {rows} rows but the independent source counts {independent_count} "
            f"({'+' if gap > 0 else ''}{gap})."
        )
    if has_amounts:
        independent = _amount(independent_total, "independent total")
        population = Decimal(total or "0")
        if independent is None:
            out.append("The total of the amounts was not reconciled to an independent source.")
        elif independent != population:
            out.append(
                f"The population's amounts total {population} but the independent source shows {independent} "
                f"(difference {population - independent})."
            )
    if not period_checked:
        out.append("The period the population covers was not checked.")
    return tuple(out)


def _record(check: PopulationCheckRow, pop: PopulationRow) -> PopulationCheck:
    found = differences(
        rows=pop.rows,
        total=pop.total_amount,
        has_amounts=bool(pop.amount_column),
        independent_count=check.independent_count,
        independent_total=check.independent_total,
        period_checked=check.period_checked,
    )
    return PopulationCheck(
        population_id=pop.id,
        population_name=pop.name,
        source_system=check.source_system,
        query=check.query,
        parameters=check.parameters,
        population_rows=pop.rows,
        independent_count=check.independent_count,
        population_total=pop.total_amount if pop.amount_column else "",
        independent_total=check.independent_total,
        period_checked=check.period_checked,
        tested=check.tested,
        differences=found,
        note=check.note,
        tested_by=check.tested_by,
        tested_at=check.tested_at,
    )


def record_population_check(
    uow: SqlUnitOfWork,
    engagement: str | int,
    population_id: int,
    *,
    source_system: str,
    query: str,
    parameters: str = "",
    independent_count: int | None = None,
    independent_total: Amount | None = None,
    period_checked: bool = False,
    note: str = "",
    expected_version: str | None = None,
) -> PopulationCheck:
    """Document how a population was produced and its reconciliation; replaces the previous record (trail keeps it).

    ``expected_version`` is the version of the C&A record the form loaded
    (``versioning.record_version(..., "population_check", population_id)``,
    ``versioning.ABSENT`` when none was on file); a record saved by someone else
    since is refused with ``ConflictError`` instead of being replaced.
    """
    if independent_count is not None and independent_count < 0:
        raise ValidationError("The independent record count cannot be negative.")
    total = _amount(independent_total, "independent total")
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        pop = population_row(uow, eng.id, population_id)
        row = uow.session.get(PopulationCheckRow, pop.id)
        before = None if row is None else _record(row, pop)
        versioning.check(
            uow,
            expected_version,
            before,
            what=f"The completeness and accuracy record of population '{pop.name}'",
            entity="population",
            entity_id=pop.id,
            engagement_id=eng.id,
            mine={
                "source_system": source_system.strip(),
                "query": query.strip(),
                "parameters": parameters.strip(),
                "independent_count": independent_count,
                "independent_total": "" if total is None else format(total, "f"),
                "period_checked": bool(period_checked),
                "note": note.strip(),
            },
            actions=("population.check",),
        )
        if row is None:
            row = PopulationCheckRow(population_id=pop.id)
            uow.session.add(row)
        row.source_system = require_text(source_system, "source system")
        row.query = require_text(query, "query or report that produced the population")
        row.parameters = parameters.strip()
        row.independent_count = independent_count
        row.independent_total = "" if total is None else format(total, "f")
        row.period_checked = bool(period_checked)
        row.note = note.strip()
        row.tested_by = uow.actor
        row.tested_at = _now()
        found = differences(
            rows=pop.rows,
            total=pop.total_amount,
            has_amounts=bool(pop.amount_column),
            independent_count=independent_count,
            independent_total=row.independent_total,
            period_checked=row.period_checked,
        )
        row.tested = not found
        uow.session.flush()
        after = _record(row, pop)
        trail.record(uow, "population.check", "population", pop.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def stored_check(uow: SqlUnitOfWork, eng_id: int, population_id: int) -> PopulationCheck | None:
    """The population's C&A record as stored (None: none yet), inside the caller's ``with uow``."""
    pop = population_row(uow, eng_id, population_id)
    row = uow.session.get(PopulationCheckRow, pop.id)
    return None if row is None else _record(row, pop)


def population_check(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> PopulationCheck | None:
    """The population's C&A record, or None when nothing was documented yet."""
    with uow:
        eng = engagement_row(uow, engagement)
        pop = population_row(uow, eng.id, population_id)
        row = uow.session.get(PopulationCheckRow, pop.id)
        return None if row is None else _record(row, pop)


def population_checks(uow: SqlUnitOfWork, engagement: str | int) -> dict[int, PopulationCheck]:
    """Every documented C&A record of the engagement, keyed by population id."""
    with uow:
        eng = engagement_row(uow, engagement)
        pairs = uow.session.execute(
            select(PopulationCheckRow, PopulationRow)
            .join(PopulationRow, PopulationRow.id == PopulationCheckRow.population_id)
            .where(PopulationRow.engagement_id == eng.id)
        ).all()
        return {pop.id: _record(check, pop) for check, pop in pairs}


def warning_for(pop_name: str, source: str, check: PopulationCheck | None) -> str | None:
    """Pure rule behind :func:`untested_population_warning`."""
    if source == "generated":
        return None  # occurrences AuditDesk generated from the control's frequency: no client report
    if check is None:
        return (
            f"Population '{pop_name}' has no completeness and accuracy test on file; document how it was produced "
            "and reconcile it to an independent source before relying on a sample from it."
        )
    if check.tested:
        return None
    reasons = "; ".join(d[0].lower() + d[1:].rstrip(".") for d in check.differences)
    return f"Population '{pop_name}' is not C&A tested: {reasons}."


def untested_population_warning(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> str | None:
    """A sentence warning that the population's completeness and accuracy is not tested, or None."""
    with uow:
        eng = engagement_row(uow, engagement)
        pop = population_row(uow, eng.id, population_id)
        row = uow.session.get(PopulationCheckRow, pop.id)
        return warning_for(pop.name, pop.source, None if row is None else _record(row, pop))


__all__ = [
    "PopulationCheck",
    "differences",
    "population_check",
    "population_checks",
    "record_population_check",
    "untested_population_warning",
    "warning_for",
]
