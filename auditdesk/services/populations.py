"""Populations: imported client files and generated occurrences of periodic controls."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, delete, func, insert, or_, select, update

import sampling
from auditdesk import trail
from auditdesk.errors import DuplicateError, NotFoundError, ValidationError
from auditdesk.progress import Progress
from auditdesk.services._common import control_row, engagement_row, require_text
from auditdesk.storage.schema import (
    ControlRow,
    EngagementRow,
    PopulationExclusionRow,
    PopulationItemRow,
    PopulationRow,
    SampleRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

BATCH_LABEL = "Importing the population"

# A population row as a reader hands it over: (line, key, date, amount, extra-columns JSON).
SourceRow = tuple[int, str, dt.date | None, str | None, str | None]


class SourceBatch(Protocol):
    @property
    def rows(self) -> Sequence[SourceRow]: ...
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int: ...


class SourceIssue(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def message(self) -> str: ...


class SourceReport(Protocol):
    @property
    def rows(self) -> int: ...
    @property
    def issue_counts(self) -> dict[str, int]: ...
    @property
    def issues(self) -> Sequence[SourceIssue]: ...
    @property
    def issue_count(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def headers(self) -> Sequence[str]: ...


class SourceMapping(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def amount(self) -> str | None: ...
    @property
    def sheet(self) -> str | None: ...


class PopulationSource(Protocol):
    """What the import needs from a file reader (workpapers.PopulationReader is one).

    The core never opens client files itself: the caller (CLI or GUI) builds the
    reader with the engagement's period, and the service stores what it yields.
    """

    @property
    def name(self) -> str: ...
    @property
    def mapping(self) -> SourceMapping: ...
    @property
    def period_start(self) -> dt.date | None: ...
    @property
    def period_end(self) -> dt.date | None: ...
    def batches(self) -> Iterable[SourceBatch]: ...
    @property
    def report(self) -> SourceReport: ...
    @property
    def size(self) -> int: ...


_INSERT_SQL = (
    "INSERT INTO population_item (population_id, seq, line, key, date, amount, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class IssueRecord:
    kind: str
    line: int | None
    column: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Population:
    """A stored population as the UI and scripts see it."""

    id: int
    engagement_id: int
    name: str
    source: str
    rows: int
    digest: str
    file_name: str
    file_sha256: str
    file_size: int
    sheet: str
    key_column: str
    date_column: str
    amount_column: str
    extra_columns: tuple[str, ...]
    first_date: dt.date | None
    last_date: dt.date | None
    total_amount: str
    issue_count: int
    issues: tuple[IssueRecord, ...]
    imported_at: str
    imported_by: str
    control_ref: str | None
    #: rows of the file left out of the sampling frame, each with its reason
    excluded: int = 0
    #: the sum of their amounts ("0" when none or no amount column)
    excluded_amount: str = "0"

    @property
    def frame_rows(self) -> int:
        """The rows selection draws from: the file's rows less the excluded ones."""
        return self.rows - self.excluded

    @property
    def frame_total_amount(self) -> str:
        """The book value of the sampling frame (PPS draws from it); "" without an amount column."""
        if not self.total_amount:
            return ""
        return str(Decimal(self.total_amount) - Decimal(self.excluded_amount))


@dataclass(frozen=True, slots=True)
class PopulationExclusion:
    """A row of the population file left out of the sampling frame, with who left it out and why."""

    population_id: int
    line: int
    key: str
    reason: str
    excluded_by: str
    excluded_at: str


@dataclass(frozen=True, slots=True)
class SamplingFrame:
    """What selection draws from: the stored file less its excluded rows (AU-C 530).

    ``file`` is every row of the file (its digest is the one recorded at import);
    ``population`` the frame (the same object when nothing is excluded).
    """

    file: sampling.Population
    population: sampling.Population
    exclusions: tuple[PopulationExclusion, ...]

    @property
    def excluded_lines(self) -> tuple[int, ...]:
        return tuple(e.line for e in self.exclusions)

    @property
    def exclusions_sha256(self) -> str:
        return exclusions_digest(self.exclusions)

    def receipt_record(self) -> dict[str, object]:
        """What a selection receipt keeps of the frame, so re-performance rebuilds the same one."""
        return {
            "file_digest": self.file.digest,
            "file_rows": len(self.file),
            "excluded_lines": list(self.excluded_lines),
            "exclusions_sha256": self.exclusions_sha256,
            "frame_size": len(self.population),
        }


@dataclass(frozen=True, slots=True)
class PopulationItem:
    seq: int
    line: int
    key: str
    date: dt.date | None
    amount: str | None
    data: dict[str, str]


class PopulationIssuesError(ValidationError):
    """The file has problems and the user has not chosen to import anyway."""

    def __init__(self, report: SourceReport) -> None:
        counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(report.issue_counts.items()))
        super().__init__(
            f"The file has {report.issue_count} problem(s) ({counts}); nothing was imported. "
            "Fix the file, or import anyway with the issues recorded (--accept-issues)."
        )
        self.report = report


def _record(row: PopulationRow, control_ref: str | None, excluded: int = 0, excluded_amount: str = "0") -> Population:
    issues = tuple(IssueRecord(**i) for i in json.loads(row.issues_json))
    return Population(
        id=row.id,
        engagement_id=row.engagement_id,
        name=row.name,
        source=row.source,
        rows=row.rows,
        digest=row.digest,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        file_size=row.file_size,
        sheet=row.sheet,
        key_column=row.key_column,
        date_column=row.date_column,
        amount_column=row.amount_column,
        extra_columns=tuple(json.loads(row.extra_columns)),
        first_date=row.first_date,
        last_date=row.last_date,
        total_amount=row.total_amount,
        issue_count=row.issue_count,
        issues=issues,
        imported_at=row.imported_at,
        imported_by=row.imported_by,
        control_ref=control_ref,
        excluded=excluded,
        excluded_amount=excluded_amount,
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_name(uow: SqlUnitOfWork, eng: EngagementRow, name: str) -> str:
    name = require_text(name, "population name")
    if len(name) > 200:
        raise ValidationError("A population name is at most 200 characters.")
    clash = uow.session.scalars(
        select(PopulationRow.id).where(PopulationRow.engagement_id == eng.id, PopulationRow.name == name)
    ).first()
    if clash is not None:
        raise DuplicateError(f"A population named '{name}' already exists in this engagement; choose another name.")
    return name


class _ItemWriter:
    """Bulk-inserts items in batches inside the caller's transaction."""

    def __init__(self, conn: Connection, population_id: int) -> None:
        self.conn = conn
        self.population_id = population_id
        self.sqlite = conn.dialect.name == "sqlite"
        self.seq = 0

    def write(self, rows: Sequence[tuple[int, str, dt.date | None, str | None, str | None]]) -> None:
        pid = self.population_id
        start = self.seq
        self.seq += len(rows)
        if self.sqlite:
            # The driver's executemany is the floor the import is measured against.
            self.conn.exec_driver_sql(
                _INSERT_SQL,
                [
                    (pid, start + i, line, key, None if day is None else day.isoformat(), amount, data)
                    for i, (line, key, day, amount, data) in enumerate(rows)
                ],
            )
            return
        self.conn.execute(
            insert(PopulationItemRow),
            [
                {
                    "population_id": pid,
                    "seq": start + i,
                    "line": line,
                    "key": key,
                    "date": day,
                    "amount": amount,
                    "data": data,
                }
                for i, (line, key, day, amount, data) in enumerate(rows)
            ],
        )


class _UniqueKeys:
    """Item keys made unique as the rows stream in.

    Keys identify sampled items, so they must be unique; a repeated key is kept under
    a marked key (KEY#2, KEY#3...) and a blank one as "(blank key, line N)", reported,
    never dropped.  A mark never holds a key that is in the file: when a later row's
    own key equals a mark given earlier, that row keeps its key and the marked row is
    marked anew; :meth:`moved` hands those rows (by seq) to the caller to rewrite.
    """

    def __init__(self) -> None:
        self.real: set[str] = set()
        self.marks: dict[str, tuple[int, str]] = {}  # mark -> (seq of its row, key marked)
        self.counters: dict[str, int] = {}
        self._moved: list[tuple[int, str]] = []

    def key(self, key: str, line: int, seq: int) -> str:
        if not key:
            return self._mark(f"(blank key, line {line})", seq, plain=True)
        if key in self.marks:
            marked_seq, marked = self.marks.pop(key)
            self._moved.append((marked_seq, self._mark(marked, marked_seq)))
        elif key in self.real:
            return self._mark(key, seq)
        self.real.add(key)
        return key

    def _mark(self, key: str, seq: int, plain: bool = False) -> str:
        n = self.counters.get(key, 1)
        candidate = key if plain else f"{key}#{n + 1}"
        while candidate in self.real or candidate in self.marks:
            n += 1
            candidate = f"{key}#{n}" if plain else f"{key}#{n + 1}"
        self.counters[key] = n if plain else n + 1
        self.marks[candidate] = (seq, key)
        return candidate

    def moved(self) -> list[tuple[int, str]]:
        moved, self._moved = self._moved, []
        return moved


def iter_import_population(
    uow: SqlUnitOfWork,
    engagement: str | int,
    source: PopulationSource,
    *,
    name: str,
    accept_issues: bool = False,
    exclude: Mapping[int, str] | None = None,
    exclude_flagged: str | None = None,
) -> Generator[Progress, None, Population]:
    """Import a population from a file reader in one transaction, yielding progress.

    Nothing is stored unless the whole file is read and either has no issues or
    ``accept_issues`` is set (the issues are then recorded with the population).
    Closing the generator early rolls everything back.

    Rows can be left out of the sampling frame, each with its reason: ``exclude``
    maps file lines to reasons, and ``exclude_flagged`` (a reason) leaves out every
    row the validation flagged, which also records the file's issues. The stored
    digest stays that of the whole file; the exclusions are recorded with who and
    when, so the frame is documented and re-performance rebuilds it (AU-C 530: the
    frame must be complete and appropriate for the test's objective).
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "population.import")
        name = _check_name(uow, eng, name)
        if (source.period_start, source.period_end) != period_of(eng):
            raise ValidationError("The file was checked against another period than this engagement's; read it again.")
        mapping = source.mapping
        reader = source
        row = PopulationRow(
            engagement_id=eng.id,
            name=name,
            source="file",
            digest="",
            imported_at=_now(),
            imported_by=uow.actor,
            key_column=mapping.key,
            date_column=mapping.date,
            amount_column=mapping.amount or "",
            sheet=mapping.sheet or "",
        )
        uow.session.add(row)
        uow.session.flush()
        writer = _ItemWriter(uow.session.connection(), row.id)
        seen = _UniqueKeys()
        for batch in reader.batches():
            first = writer.seq
            fixed = [
                (line, seen.key(key, line, first + i), day, amount, data)
                for i, (line, key, day, amount, data) in enumerate(batch.rows)
            ]
            for seq, key in seen.moved():
                if seq >= first:
                    fixed[seq - first] = (fixed[seq - first][0], key, *fixed[seq - first][2:])
                else:
                    writer.conn.execute(
                        update(PopulationItemRow)
                        .where(PopulationItemRow.population_id == row.id, PopulationItemRow.seq == seq)
                        .values(key=key)
                    )
            if fixed:
                writer.write(fixed)
            yield Progress(batch.done, batch.total, BATCH_LABEL)
        report = reader.report
        # Free the reader's and our key sets before the population is loaded
        # back: a million-row import stays well under 400 MB that way.
        del seen
        if report.issue_count and not (accept_issues or exclude_flagged is not None):
            raise PopulationIssuesError(report)
        if writer.seq == 0:
            raise ValidationError(f"{source.name} has no data rows below its header; nothing was imported.")
        reasons = _import_exclusions(uow, eng, row.id, report, exclude, exclude_flagged)
        excluded = _store_exclusions(uow, row.id, reasons, source.name)
        if excluded and len(excluded) >= writer.seq:
            raise ValidationError(
                "Every row of the file would be excluded, which leaves nothing to sample; nothing was imported."
            )
        yield Progress(0, 1, "Computing the population digest")
        uow.session.flush()
        row.amount_column = mapping.amount or ""
        pop = load_population(uow, row.id)
        preview_headers = report.headers
        extras = [h for h in preview_headers if h not in (mapping.key, mapping.date, mapping.amount)]
        row.file_name = source.name
        row.file_sha256 = report.sha256
        row.file_size = source.size
        row.extra_columns = json.dumps(extras)
        row.rows = len(pop)
        row.digest = pop.digest
        row.first_date = pop.first_date
        row.last_date = pop.last_date
        row.total_amount = str(pop.total_amount()) if mapping.amount else ""
        row.issues_json = json.dumps(
            [{"kind": i.kind, "line": i.line, "column": i.column, "message": i.message} for i in report.issues]
        )
        row.issue_count = report.issue_count
        record = _record(row, None, *_excluded_counts(uow, [row.id]).get(row.id, (0, "0")))
        after: dict[str, object] = {**_summary(record), "issue_counts": report.issue_counts}
        if excluded:
            after["exclusions"] = _exclusions_summary(excluded)
        trail.record(uow, "population.import", "population", row.id, engagement_id=eng.id, after=after)
        uow.commit()
    return record


def _lines_and_keys(uow: SqlUnitOfWork, population_id: int, lines: Iterable[int]) -> dict[int, str]:
    """The keys of the given file lines that are rows of the population (others are left out)."""
    wanted = sorted(set(lines))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = uow.session.execute(
            select(PopulationItemRow.line, PopulationItemRow.key).where(
                PopulationItemRow.population_id == population_id, PopulationItemRow.line.in_(chunk)
            )
        )
        found.update({int(line): str(key) for line, key in rows})
    return found


def _flagged_lines(uow: SqlUnitOfWork, eng: EngagementRow, population_id: int, report: SourceReport) -> set[int]:
    """Every stored row the validation flagged: the lines its issues name, and every row dated outside the period.

    Rows outside the period are found in the stored items, so none is missed when the
    report lists only the first problems; other kinds are known by the lines listed.
    """
    listed: dict[str, int] = {}
    lines: set[int] = set()
    for issue in report.issues:
        listed[issue.kind] = listed.get(issue.kind, 0) + 1
        if issue.line is not None:
            lines.add(issue.line)
    unlisted = [kind for kind, n in report.issue_counts.items() if kind != "outside_period" and n > listed.get(kind, 0)]
    if unlisted:
        raise ValidationError(
            "The file has more problems than the report lists, so not every flagged row is known; "
            "fix the file, or leave rows out by line (--exclude LINE=REASON); nothing was imported."
        )
    start, end = period_of(eng)
    if start is not None and end is not None:
        lines.update(
            uow.session.scalars(
                select(PopulationItemRow.line).where(
                    PopulationItemRow.population_id == population_id,
                    PopulationItemRow.date.is_not(None),
                    or_(PopulationItemRow.date < start, PopulationItemRow.date > end),
                )
            )
        )
    return lines


def _import_exclusions(
    uow: SqlUnitOfWork,
    eng: EngagementRow,
    population_id: int,
    report: SourceReport,
    exclude: Mapping[int, str] | None,
    exclude_flagged: str | None,
) -> dict[int, str]:
    """Line -> reason for the rows to leave out of the frame (explicit reasons win over the policy's)."""
    reasons: dict[int, str] = {}
    if exclude_flagged is not None:
        policy = require_text(exclude_flagged, "reason for excluding the flagged rows")
        flagged = _flagged_lines(uow, eng, population_id, report)
        # Blank rows and rows cut short are flagged but are not rows of the population.
        reasons.update(dict.fromkeys(sorted(_lines_and_keys(uow, population_id, flagged)), policy))
    for line, reason in (exclude or {}).items():
        reasons[int(line)] = _reason(reason, int(line))
    return reasons


def _reason(reason: str, line: int) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError(f"Give a reason for excluding line {line}; an exclusion without one is not recorded.")
    return text


def _store_exclusions(
    uow: SqlUnitOfWork, population_id: int, reasons: Mapping[int, str], file_name: str
) -> tuple[PopulationExclusion, ...]:
    """Record the exclusions after checking each line is a row of the population."""
    if not reasons:
        return ()
    keys = _lines_and_keys(uow, population_id, reasons)
    missing = sorted(line for line in reasons if line not in keys)
    if missing:
        shown = ", ".join(str(n) for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ValidationError(
            f"Line {shown} is not a data row of {file_name or 'the population'}; "
            "exclude lines as the validation report numbers them."
        )
    now = _now()
    records = tuple(
        PopulationExclusion(population_id, line, keys[line], reasons[line], uow.actor, now) for line in sorted(reasons)
    )
    uow.session.execute(
        insert(PopulationExclusionRow),
        [
            {
                "population_id": e.population_id,
                "line": e.line,
                "key": e.key[:200],
                "reason": e.reason,
                "excluded_by": e.excluded_by,
                "excluded_at": e.excluded_at,
            }
            for e in records
        ],
    )
    return records


def exclusions_digest(exclusions: Iterable[PopulationExclusion]) -> str:
    """SHA-256 of the excluded lines with their keys and reasons, in line order."""
    h = hashlib.sha256()
    for e in sorted(exclusions, key=lambda x: x.line):
        h.update(f"{e.line}\x1f{e.key}\x1f{e.reason}\x1e".encode())
    return h.hexdigest()


def _exclusions_summary(exclusions: Sequence[PopulationExclusion]) -> dict[str, object]:
    """What the trail keeps of a set of exclusions."""
    reasons = sorted({e.reason for e in exclusions})
    return {
        "count": len(exclusions),
        "lines": [e.line for e in exclusions],
        "reasons": reasons[:20],
        "sha256": exclusions_digest(exclusions),
    }


def _summary(p: Population) -> dict[str, object]:
    """What the trail keeps of a population (not its million items)."""
    return {
        "name": p.name,
        "source": p.source,
        "rows": p.rows,
        "digest": p.digest,
        "file_name": p.file_name,
        "file_sha256": p.file_sha256,
        "file_size": p.file_size,
        "issue_count": p.issue_count,
    }


def import_population(
    uow: SqlUnitOfWork,
    engagement: str | int,
    source: PopulationSource,
    *,
    name: str,
    accept_issues: bool = False,
    exclude: Mapping[int, str] | None = None,
    exclude_flagged: str | None = None,
) -> Population:
    """Import without progress reporting (scripts, tests)."""
    return sampling.progress.run(
        iter_import_population(
            uow,
            engagement,
            source,
            name=name,
            accept_issues=accept_issues,
            exclude=exclude,
            exclude_flagged=exclude_flagged,
        )
    )


def period_of(eng: EngagementRow) -> tuple[dt.date | None, dt.date | None]:
    """The dates a population's items should fall within (none for a Type 1)."""
    if eng.type == "type2":
        return eng.period_start, eng.period_end
    return None, None


def import_period(uow: SqlUnitOfWork, engagement: str | int) -> tuple[dt.date | None, dt.date | None]:
    """The period to build a population reader with, for ``iter_import_population``."""
    with uow:
        return period_of(engagement_row(uow, engagement))


def generate_population(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    *,
    name: str | None = None,
    holidays: Sequence[dt.date] = (),
    every_day: bool = False,
) -> Population:
    """Occurrences of a periodic control over the period (month ends, business days, or every
    calendar day for a daily control that also runs at weekends)."""
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        if eng.period_start is None or eng.period_end is None:
            raise ValidationError("Occurrences are generated over a Type 2 period; this engagement has none.")
        name = _check_name(uow, eng, name or f"{ctrl.ref} occurrences")
        pop = sampling.generate_occurrences(
            ctrl.frequency, eng.period_start, eng.period_end, holidays=holidays, every_day=every_day
        )
        row = PopulationRow(
            engagement_id=eng.id,
            control_id=ctrl.id,
            name=name,
            source="generated",
            digest=pop.digest,
            imported_at=_now(),
            imported_by=uow.actor,
            rows=len(pop),
            first_date=pop.first_date,
            last_date=pop.last_date,
            key_column="occurrence",
            date_column="date",
        )
        uow.session.add(row)
        uow.session.flush()
        _ItemWriter(uow.session.connection(), row.id).write(
            [(i + 1, item.key, item.date, None, None) for i, item in enumerate(pop)]
        )
        record = _record(row, ctrl.ref)
        trail.record(uow, "population.generate", "population", row.id, engagement_id=eng.id, after=_summary(record))
        uow.commit()
    return record


def list_populations(uow: SqlUnitOfWork, engagement: str | int) -> tuple[Population, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(PopulationRow).where(PopulationRow.engagement_id == eng.id).order_by(PopulationRow.id)
        ).all()
        refs = _control_refs(uow, [r.control_id for r in rows if r.control_id])
        excluded = _excluded_counts(uow, [r.id for r in rows])
        return tuple(
            _record(r, refs.get(r.control_id) if r.control_id else None, *excluded.get(r.id, (0, "0"))) for r in rows
        )


def _excluded_counts(uow: SqlUnitOfWork, ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Population id -> (rows excluded, the sum of their amounts)."""
    if not ids:
        return {}
    rows = uow.session.execute(
        select(PopulationExclusionRow.population_id, PopulationItemRow.amount)
        .join(
            PopulationItemRow,
            (PopulationItemRow.population_id == PopulationExclusionRow.population_id)
            & (PopulationItemRow.line == PopulationExclusionRow.line),
        )
        .where(PopulationExclusionRow.population_id.in_(ids))
    )
    found: dict[int, tuple[int, Decimal]] = {}
    for pid, amount in rows:
        n, total = found.get(pid, (0, Decimal(0)))
        try:
            value = Decimal(amount) if amount else Decimal(0)
        except ArithmeticError:
            value = Decimal(0)
        found[pid] = (n + 1, total + (value if value.is_finite() else Decimal(0)))
    return {pid: (n, str(total)) for pid, (n, total) in found.items()}


def _control_refs(uow: SqlUnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(uow.session.execute(select(ControlRow.id, ControlRow.ref).where(ControlRow.id.in_(ids))).all())


def population_row(uow: SqlUnitOfWork, eng_id: int, population_id: int) -> PopulationRow:
    row = uow.session.get(PopulationRow, population_id)
    if row is None or row.engagement_id != eng_id:
        raise NotFoundError(
            f"There is no population {population_id} in this engagement; 'auditdesk populations ENG' lists them."
        )
    return row


def get_population(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> Population:
    with uow:
        eng = engagement_row(uow, engagement)
        row = population_row(uow, eng.id, population_id)
        refs = _control_refs(uow, [row.control_id] if row.control_id else [])
        excluded = _excluded_counts(uow, [row.id]).get(row.id, (0, "0"))
        return _record(row, refs.get(row.control_id) if row.control_id else None, *excluded)


def _exclusions(uow: SqlUnitOfWork, population_id: int) -> tuple[PopulationExclusion, ...]:
    rows = uow.session.scalars(
        select(PopulationExclusionRow)
        .where(PopulationExclusionRow.population_id == population_id)
        .order_by(PopulationExclusionRow.line)
    )
    return tuple(
        PopulationExclusion(r.population_id, r.line, r.key, r.reason, r.excluded_by, r.excluded_at) for r in rows
    )


def list_exclusions(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> tuple[PopulationExclusion, ...]:
    """The rows left out of a population's sampling frame, in file order, with reason, who and when."""
    with uow:
        eng = engagement_row(uow, engagement)
        population_row(uow, eng.id, population_id)
        return _exclusions(uow, population_id)


def _ensure_frame_unsampled(uow: SqlUnitOfWork, row: PopulationRow) -> None:
    used = uow.session.scalar(select(func.count()).select_from(SampleRow).where(SampleRow.population_id == row.id))
    if used:
        raise ValidationError(
            f"Population '{row.name}' has {used} sample(s) drawn from it; its exclusions cannot change, "
            "since that would change the frame those samples were drawn from. Import the file again instead."
        )


def exclude_rows(
    uow: SqlUnitOfWork, engagement: str | int, population_id: int, exclusions: Mapping[int, str]
) -> tuple[PopulationExclusion, ...]:
    """Leave more rows of an imported file out of its sampling frame, each with its reason.

    Only before any sample is drawn from the population: a receipt fixes the frame
    it was drawn from. Returns every exclusion of the population.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "population.exclude")
        row = population_row(uow, eng.id, population_id)
        if row.source != "file":
            raise ValidationError("Rows are excluded from an imported file; generated occurrences are complete.")
        if not exclusions:
            raise ValidationError("Name at least one line to exclude, with its reason.")
        _ensure_frame_unsampled(uow, row)
        reasons = {int(line): _reason(reason, int(line)) for line, reason in exclusions.items()}
        already = sorted(set(reasons) & {e.line for e in _exclusions(uow, row.id)})
        if already:
            raise ValidationError(f"Line {already[0]} is already excluded from population '{row.name}'.")
        added = _store_exclusions(uow, row.id, reasons, row.file_name)
        every = _exclusions(uow, row.id)
        if len(every) >= row.rows:
            raise ValidationError("Every row of the file would be excluded, which leaves nothing to sample.")
        trail.record(
            uow,
            "population.exclude",
            "population",
            row.id,
            engagement_id=eng.id,
            after={"added": _exclusions_summary(added), "exclusions": _exclusions_summary(every)},
        )
        uow.commit()
    return every


def include_rows(
    uow: SqlUnitOfWork, engagement: str | int, population_id: int, lines: Iterable[int]
) -> tuple[PopulationExclusion, ...]:
    """Put excluded rows back into the sampling frame (before any sample is drawn); returns what stays excluded."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "population.include")
        row = population_row(uow, eng.id, population_id)
        _ensure_frame_unsampled(uow, row)
        wanted = sorted({int(n) for n in lines})
        before = _exclusions(uow, row.id)
        known = {e.line for e in before}
        unknown = [n for n in wanted if n not in known]
        if not wanted or unknown:
            raise ValidationError(
                f"Line {unknown[0] if unknown else '?'} is not excluded from population '{row.name}'; "
                "'auditdesk populations ENG' counts the excluded rows."
            )
        uow.session.execute(
            delete(PopulationExclusionRow).where(
                PopulationExclusionRow.population_id == row.id, PopulationExclusionRow.line.in_(wanted)
            )
        )
        after = tuple(e for e in before if e.line not in set(wanted))
        trail.record(
            uow,
            "population.include",
            "population",
            row.id,
            engagement_id=eng.id,
            before={"exclusions": _exclusions_summary(before)},
            after={"included": wanted, "exclusions": _exclusions_summary(after)},
        )
        uow.commit()
    return after


def load_frame(uow: SqlUnitOfWork, population_id: int) -> SamplingFrame:
    """The whole stored file and the sampling frame drawn from it (the file less its exclusions)."""
    whole = load_population(uow, population_id)
    exclusions = _exclusions(uow, population_id)
    if not exclusions:
        return SamplingFrame(whole, whole, ())
    return SamplingFrame(whole, _frame_of(uow, population_id, whole, {e.line for e in exclusions}), exclusions)


def _frame_of(
    uow: SqlUnitOfWork, population_id: int, whole: sampling.Population, excluded: set[int]
) -> sampling.Population:
    lines = uow.session.scalars(
        select(PopulationItemRow.line)
        .where(PopulationItemRow.population_id == population_id)
        .order_by(PopulationItemRow.seq)
    ).all()
    keep = [i for i, line in enumerate(lines) if line not in excluded]
    keys = whole.keys
    amounts = [whole.amount_of(i) for i in keep] if whole.has_amounts else None
    return sampling.Population.from_columns([keys[i] for i in keep], [whole.date_of(i) for i in keep], amounts)


def outside_period_warning(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> str | None:
    """A sentence when the sampling frame holds items dated outside the engagement's period; else None.

    Such items can be selected and take a stratum of their own in a stratified
    sample (AU-C 530: the frame must be appropriate for the test's objective).
    """
    with uow:
        eng = engagement_row(uow, engagement)
        row = population_row(uow, eng.id, population_id)
        start, end = period_of(eng)
        if start is None or end is None:
            return None
        excluded = select(PopulationExclusionRow.line).where(PopulationExclusionRow.population_id == row.id)
        outside = (
            PopulationItemRow.population_id == row.id,
            PopulationItemRow.date.is_not(None),
            or_(PopulationItemRow.date < start, PopulationItemRow.date > end),
            PopulationItemRow.line.not_in(excluded),
        )
        count = int(uow.session.scalar(select(func.count()).select_from(PopulationItemRow).where(*outside)) or 0)
        if not count:
            return None
        line, key, day = uow.session.execute(
            select(PopulationItemRow.line, PopulationItemRow.key, PopulationItemRow.date)
            .where(*outside)
            .order_by(PopulationItemRow.seq)
            .limit(1)
        ).one()
        items = "1 item" if count == 1 else f"{count:,} items"
        return (
            f"{items} of the sampling frame {'is' if count == 1 else 'are'} dated outside the period "
            f"{start.isoformat()} to {end.isoformat()} (e.g. {key}, line {line}, dated {day}); "
            "they can be selected, and a stratified sample gives their months a stratum. "
            "Leave them out with a reason, or confirm they belong to the population tested."
        )


def population_items(
    uow: SqlUnitOfWork, engagement: str | int, population_id: int, *, offset: int = 0, limit: int = 500
) -> tuple[PopulationItem, ...]:
    """One page of items in file order (the GUI fetches pages lazily)."""
    with uow:
        eng = engagement_row(uow, engagement)
        population_row(uow, eng.id, population_id)
        rows = uow.session.execute(
            select(
                PopulationItemRow.seq,
                PopulationItemRow.line,
                PopulationItemRow.key,
                PopulationItemRow.date,
                PopulationItemRow.amount,
                PopulationItemRow.data,
            )
            .where(PopulationItemRow.population_id == population_id, PopulationItemRow.seq >= offset)
            .order_by(PopulationItemRow.seq)
            .limit(limit)
        ).all()
        return tuple(
            PopulationItem(seq, line, key, day, amount, json.loads(data) if data else {})
            for seq, line, key, day, amount, data in rows
        )


def monthly_density(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> tuple[tuple[str, int], ...]:
    """Items per calendar month (YYYY-MM, count), for the sample timeline."""
    with uow:
        eng = engagement_row(uow, engagement)
        population_row(uow, eng.id, population_id)
        dialect = uow.session.get_bind().dialect.name
        month = (
            func.substr(PopulationItemRow.date, 1, 7)
            if dialect == "sqlite"
            else func.to_char(PopulationItemRow.date, "YYYY-MM")
        )
        rows = uow.session.execute(
            select(month, func.count())
            .where(PopulationItemRow.population_id == population_id, PopulationItemRow.date.is_not(None))
            .group_by(month)
            .order_by(month)
        ).all()
        return tuple((str(m), int(n)) for m, n in rows)


def load_population(uow: SqlUnitOfWork, population_id: int) -> sampling.Population:
    """The stored items as a sampling Population (for selection, digests and re-performance)."""
    pop_row = uow.session.get(PopulationRow, population_id)
    has_amounts = pop_row is not None and bool(pop_row.amount_column)
    conn = uow.session.connection()
    if conn.dialect.name == "sqlite":
        # Plain driver rows: a million ORM rows would cost seconds and hundreds of MB.
        result: Iterable[Sequence[Any]] = conn.exec_driver_sql(
            "SELECT key, date, amount FROM population_item WHERE population_id = ? ORDER BY seq", (population_id,)
        )
    else:
        result = conn.execute(
            select(PopulationItemRow.key, PopulationItemRow.date, PopulationItemRow.amount)
            .where(PopulationItemRow.population_id == population_id)
            .order_by(PopulationItemRow.seq)
        )
    keys: list[str] = []
    dates: list[object] = []
    amounts: list[str | None] = []
    shared: dict[object, object] = {}  # one object per distinct date
    for key, day, amount in result:
        keys.append(key)
        dates.append(shared.setdefault(day, day))
        amounts.append(amount)
    return sampling.Population.from_columns(keys, dates, amounts if has_amounts else None)


def delete_population(uow: SqlUnitOfWork, engagement: str | int, population_id: int) -> Population:
    """Remove a population that no sample uses."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = population_row(uow, eng.id, population_id)
        used = uow.session.scalar(select(func.count()).select_from(SampleRow).where(SampleRow.population_id == row.id))
        if used:
            raise ValidationError(f"Population '{row.name}' is used by {used} sample(s) and cannot be removed.")
        record = _record(row, None)
        uow.session.delete(row)
        trail.record(
            uow,
            "population.delete",
            "population",
            population_id,
            engagement_id=eng.id,
            before=_summary(record),
        )
        uow.commit()
    return record
