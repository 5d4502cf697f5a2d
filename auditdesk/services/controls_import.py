"""Controls from a client's matrix or from the firm's library.

A matrix import is all or nothing: every row is checked first (reference, duplicate
references in the file, description, frequency, criteria in the engagement's scope,
nature, type, key flag, attributes) and any problem refuses the whole file with the
problems listed per file row; the user fixes the file or skips rows. Into an
engagement that already has controls, rows whose reference matches update that
control, and the result says what changed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select

from auditdesk import trail
from auditdesk.catalog import criteria_by_id, criteria_in_scope, sort_key
from auditdesk.domain import Control, ControlType, Frequency, Nature
from auditdesk.errors import ValidationError
from auditdesk.library import library_for
from auditdesk.services._common import REF_PATTERN, categories_of, engagement_row
from auditdesk.services.controls import (
    ATTRIBUTE_LETTERS,
    ControlInput,
    add_controls,
    list_controls,
    set_test_plan,
    update_control,
)
from auditdesk.storage.schema import ControlRow, EngagementRow, SampleRow, TestResultRow
from auditdesk.storage.uow import SqlUnitOfWork


class MatrixRowLike(Protocol):
    """One row of a control matrix as a reader gives it (workpapers.control_matrix.MatrixRow is one).

    Optional fields are None when the file has no column for them: the control keeps
    what it has (or takes the default when it is new).
    """

    @property
    def row(self) -> int: ...
    @property
    def ref(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def frequency(self) -> str: ...
    @property
    def criteria(self) -> tuple[str, ...]: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def nature(self) -> str | None: ...
    @property
    def control_type(self) -> str | None: ...
    @property
    def key(self) -> str | None: ...
    @property
    def attributes(self) -> tuple[str, ...] | None: ...


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A problem of one file row; ``message`` names the row and the reason in one sentence."""

    row: int
    ref: str
    field: str
    reason: str

    @property
    def message(self) -> str:
        who = f" ({self.ref})" if self.ref else ""
        return f"Row {self.row}{who}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class ControlChange:
    ref: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class ControlImport:
    """What an import did (or, from :func:`check_control_import`, would do)."""

    added: tuple[str, ...]
    updated: tuple[ControlChange, ...]
    unchanged: tuple[str, ...]
    skipped_rows: tuple[int, ...]
    issues: tuple[ImportIssue, ...] = ()
    stored: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True, slots=True)
class LibraryImport:
    added: tuple[str, ...]
    already_present: tuple[str, ...]


class ControlImportError(ValidationError):
    """The matrix has row problems; nothing was stored. ``result`` lists them."""

    def __init__(self, result: ControlImport) -> None:
        first = result.issues[0]
        more = len(result.issues) - 1
        tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        super().__init__(
            f"Nothing was imported: {first.message[0].lower()}{first.message[1:].rstrip('.')}{tail}; "
            "fix or skip the rows listed and import again."
        )
        self.result = result


# ---- vocabulary as clients write it -------------------------------------------------

_FREQUENCY_WORDS: dict[str, Frequency] = {
    "annual": Frequency.ANNUAL,
    "annually": Frequency.ANNUAL,
    "yearly": Frequency.ANNUAL,
    "once a year": Frequency.ANNUAL,
    "semi annual": Frequency.SEMI_ANNUAL,
    "semi annually": Frequency.SEMI_ANNUAL,
    "semiannual": Frequency.SEMI_ANNUAL,
    "semiannually": Frequency.SEMI_ANNUAL,
    "bi annual": Frequency.SEMI_ANNUAL,
    "biannual": Frequency.SEMI_ANNUAL,
    "biannually": Frequency.SEMI_ANNUAL,
    "half yearly": Frequency.SEMI_ANNUAL,
    "twice a year": Frequency.SEMI_ANNUAL,
    "quarterly": Frequency.QUARTERLY,
    "quarter": Frequency.QUARTERLY,
    "monthly": Frequency.MONTHLY,
    "month": Frequency.MONTHLY,
    "weekly": Frequency.WEEKLY,
    "week": Frequency.WEEKLY,
    "daily": Frequency.DAILY,
    "day": Frequency.DAILY,
    "multiple daily": Frequency.MULTIPLE_DAILY,
    "multiple times per day": Frequency.MULTIPLE_DAILY,
    "multiple times a day": Frequency.MULTIPLE_DAILY,
    "multiple times daily": Frequency.MULTIPLE_DAILY,
    "many times a day": Frequency.MULTIPLE_DAILY,
    "many times per day": Frequency.MULTIPLE_DAILY,
    "several times a day": Frequency.MULTIPLE_DAILY,
    "recurring": Frequency.MULTIPLE_DAILY,
    "event driven": Frequency.EVENT_DRIVEN,
    "event": Frequency.EVENT_DRIVEN,
    "as needed": Frequency.EVENT_DRIVEN,
    "as required": Frequency.EVENT_DRIVEN,
    "ad hoc": Frequency.EVENT_DRIVEN,
    "adhoc": Frequency.EVENT_DRIVEN,
    "per event": Frequency.EVENT_DRIVEN,
    "per occurrence": Frequency.EVENT_DRIVEN,
    "on occurrence": Frequency.EVENT_DRIVEN,
    "on demand": Frequency.EVENT_DRIVEN,
    "continuous": Frequency.CONTINUOUS,
    "continuously": Frequency.CONTINUOUS,
    "continuous automated": Frequency.CONTINUOUS,
    "automated": Frequency.CONTINUOUS,
    "real time": Frequency.CONTINUOUS,
    "ongoing": Frequency.CONTINUOUS,
}
_NATURE_WORDS: dict[str, Nature] = {
    "manual": Nature.MANUAL,
    "automated": Nature.AUTOMATED,
    "automatic": Nature.AUTOMATED,
    "auto": Nature.AUTOMATED,
    "it dependent manual": Nature.IT_DEPENDENT_MANUAL,
    "it dependent": Nature.IT_DEPENDENT_MANUAL,
    "itdm": Nature.IT_DEPENDENT_MANUAL,
    "semi automated": Nature.IT_DEPENDENT_MANUAL,
    "hybrid": Nature.IT_DEPENDENT_MANUAL,
    "manual it dependent": Nature.IT_DEPENDENT_MANUAL,
}
_TYPE_WORDS: dict[str, ControlType] = {
    "preventive": ControlType.PREVENTIVE,
    "preventative": ControlType.PREVENTIVE,
    "prevent": ControlType.PREVENTIVE,
    "detective": ControlType.DETECTIVE,
    "detect": ControlType.DETECTIVE,
    "corrective": ControlType.CORRECTIVE,
    "correct": ControlType.CORRECTIVE,
}
_KEY_WORDS: dict[str, bool] = {
    "yes": True,
    "y": True,
    "true": True,
    "x": True,
    "1": True,
    "key": True,
    "key control": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "non key": False,
    "not key": False,
    "nonkey": False,
}


def _fold(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def normalize_frequency(text: str) -> Frequency | None:
    """A frequency as clients write it ('Annually', 'Multiple times per day', 'Ad hoc'), or None."""
    return _FREQUENCY_WORDS.get(_fold(text))


def normalize_nature(text: str) -> Nature | None:
    return _NATURE_WORDS.get(_fold(text))


def normalize_type(text: str) -> ControlType | None:
    return _TYPE_WORDS.get(_fold(text))


def normalize_key(text: str) -> bool | None:
    return _KEY_WORDS.get(_fold(text))


def _choices(values: Sequence[str]) -> str:
    return ", ".join(values)


# ---- checking a matrix ----------------------------------------------------------------


@dataclass
class _Planned:
    row: int
    data: ControlInput
    attributes: tuple[str, ...] | None
    existing: Control | None = None
    changes: list[FieldChange] = field(default_factory=list)


def _criteria_issues(
    row: MatrixRowLike, eng: EngagementRow, in_scope: frozenset[str]
) -> tuple[list[str], list[ImportIssue]]:
    catalog = criteria_by_id()
    found: list[str] = []
    issues: list[ImportIssue] = []
    if not row.criteria:
        issues.append(ImportIssue(row.row, row.ref, "criteria", "the control is mapped to no criteria."))
    for raw in row.criteria:
        cid = raw.strip().upper().replace(" ", "")
        if cid not in catalog:
            issues.append(
                ImportIssue(
                    row.row,
                    row.ref,
                    "criteria",
                    f"'{raw}' is not a Trust Services Criterion; IDs look like CC6.1, A1.2 or P4.1.",
                )
            )
        elif cid not in in_scope:
            issues.append(
                ImportIssue(
                    row.row,
                    row.ref,
                    "criteria",
                    f"{cid} belongs to {catalog[cid].category.label}, which is not in scope for engagement {eng.ref}.",
                )
            )
        elif cid not in found:
            found.append(cid)
    return sorted(found, key=sort_key), issues


def _check_row(
    row: MatrixRowLike, eng: EngagementRow, in_scope: frozenset[str]
) -> tuple[ControlInput | None, list[ImportIssue]]:
    issues: list[ImportIssue] = []

    def problem(where: str, reason: str) -> None:
        issues.append(ImportIssue(row.row, row.ref, where, reason))

    ref = row.ref.strip()
    if not ref:
        problem("ref", "the control has no reference.")
    elif not REF_PATTERN.match(ref):
        problem("ref", f"'{ref}' is not a valid control reference; use 1-40 letters, digits, '.', '_' or '-'.")
    if not row.description.strip():
        problem("description", "the control has no description.")
    frequency = normalize_frequency(row.frequency)
    if not row.frequency.strip():
        problem("frequency", "the control has no frequency.")
    elif frequency is None:
        problem(
            "frequency",
            f"'{row.frequency}' is not a frequency; use one of: {_choices([f.value for f in Frequency])}.",
        )
    criteria, criteria_issues = _criteria_issues(row, eng, in_scope)
    issues += criteria_issues
    nature = normalize_nature(row.nature) if row.nature else None
    if row.nature and nature is None:
        problem("nature", f"'{row.nature}' is not a control nature; use one of: {_choices([n.value for n in Nature])}.")
    control_type = normalize_type(row.control_type) if row.control_type else None
    if row.control_type and control_type is None:
        problem(
            "type",
            f"'{row.control_type}' is not a control type; use one of: {_choices([t.value for t in ControlType])}.",
        )
    key = normalize_key(row.key) if row.key else None
    if row.key and key is None:
        problem("key", f"'{row.key}' does not say whether the control is key; write yes or no.")
    if row.attributes is not None and len(row.attributes) > len(ATTRIBUTE_LETTERS):
        problem("attributes", f"the control lists {len(row.attributes)} attributes; a test plan holds at most 26.")
    if issues or frequency is None:
        return None, issues
    return (
        ControlInput(
            ref=ref,
            description=row.description.strip(),
            owner=(row.owner or "").strip(),
            frequency=frequency,
            nature=nature or Nature.MANUAL,
            control_type=control_type or ControlType.PREVENTIVE,
            key=bool(key),
            criteria=tuple(criteria),
        ),
        issues,
    )


def _merge(row: MatrixRowLike, data: ControlInput, existing: Control) -> tuple[ControlInput, list[FieldChange]]:
    """The control as updated by the row (fields without a column keep their value), and what changed."""
    merged = ControlInput(
        ref=existing.ref,
        description=data.description,
        owner=existing.owner if row.owner is None else data.owner,
        frequency=data.frequency,
        nature=existing.nature if not row.nature else data.nature,
        control_type=existing.control_type if not row.control_type else data.control_type,
        key=existing.key if not row.key else data.key,
        criteria=data.criteria,
    )
    before = ControlInput.of(existing)
    changes: list[FieldChange] = []
    for name, old, new in (
        ("description", before.description, merged.description),
        ("owner", before.owner, merged.owner),
        ("frequency", str(before.frequency), str(merged.frequency)),
        ("nature", str(before.nature), str(merged.nature)),
        ("type", str(before.control_type), str(merged.control_type)),
        ("key", "yes" if before.key else "no", "yes" if merged.key else "no"),
        ("criteria", ", ".join(before.criteria), ", ".join(merged.criteria)),
    ):
        if old != new:
            changes.append(FieldChange(name, old, new))
    return merged, changes


def _controls_with_results(uow: SqlUnitOfWork, eng_id: int) -> set[int]:
    return set(
        uow.session.scalars(
            select(SampleRow.control_id)
            .join(TestResultRow, TestResultRow.sample_id == SampleRow.id)
            .where(SampleRow.engagement_id == eng_id)
            .distinct()
        )
    )


def _plan(
    uow: SqlUnitOfWork, eng: EngagementRow, rows: Sequence[MatrixRowLike], skip: Collection[int]
) -> tuple[list[_Planned], list[str], list[ImportIssue], list[int]]:
    in_scope = frozenset(c.id for c in criteria_in_scope(categories_of(eng)))
    existing = {c.ref: c for c in list_controls(uow, eng.ref)}
    with_results = _controls_with_results(uow, eng.id) if existing else set()
    planned: list[_Planned] = []
    unchanged: list[str] = []
    issues: list[ImportIssue] = []
    skipped: list[int] = []
    first_row: dict[str, int] = {}
    for row in rows:
        if row.row in skip:
            skipped.append(row.row)
            continue
        data, row_issues = _check_row(row, eng, in_scope)
        ref = row.ref.strip()
        if ref and ref in first_row:
            row_issues.insert(
                0,
                ImportIssue(
                    row.row, ref, "ref", f"control {ref} appears twice in the file (first on row {first_row[ref]})."
                ),
            )
        elif ref:
            first_row[ref] = row.row
        issues += row_issues
        if row_issues or data is None:
            continue
        current = existing.get(data.ref)
        if current is None:
            planned.append(_Planned(row.row, data, row.attributes))
            continue
        merged, changes = _merge(row, data, current)
        old_questions = tuple(a.question for a in current.test_plan.attributes)
        if row.attributes is not None and row.attributes and tuple(row.attributes) != old_questions:
            if current.id in with_results:
                issues.append(
                    ImportIssue(
                        row.row,
                        ref,
                        "attributes",
                        f"control {ref} already has test results recorded against its attributes, "
                        "so an import cannot change them; edit the test plan in the app instead.",
                    )
                )
                continue
            changes.append(FieldChange("attributes", " | ".join(old_questions), " | ".join(row.attributes)))
        if changes:
            planned.append(_Planned(row.row, merged, row.attributes, current, changes))
        else:
            unchanged.append(ref)
    return planned, unchanged, issues, skipped


def _result(
    planned: Sequence[_Planned], unchanged: Sequence[str], issues: Sequence[ImportIssue], skipped: Sequence[int]
) -> ControlImport:
    return ControlImport(
        added=tuple(p.data.ref for p in planned if p.existing is None),
        updated=tuple(ControlChange(p.data.ref, tuple(p.changes)) for p in planned if p.existing is not None),
        unchanged=tuple(unchanged),
        skipped_rows=tuple(skipped),
        issues=tuple(issues),
    )


def check_control_import(
    uow: SqlUnitOfWork, engagement: str | int, rows: Sequence[MatrixRowLike], *, skip: Collection[int] = ()
) -> ControlImport:
    """What importing the rows would do, with every row problem; stores nothing (the wizard's review step)."""
    with uow:
        eng = engagement_row(uow, engagement)
        return _result(*_plan(uow, eng, rows, skip))


def import_controls(
    uow: SqlUnitOfWork,
    engagement: str | int,
    rows: Sequence[MatrixRowLike],
    *,
    skip: Collection[int] = (),
    source: str = "",
    source_sha256: str = "",
) -> ControlImport:
    """Add the matrix's new controls and update those whose reference exists, all or nothing.

    Raises :class:`ControlImportError` (with the per-row problems) when any row that is
    not skipped has a problem; then nothing is stored.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        if not rows:
            raise ValidationError("The control matrix has no control rows; nothing was imported.")
        planned, unchanged, issues, skipped = _plan(uow, eng, rows, skip)
        result = _result(planned, unchanged, issues, skipped)
        if issues:
            raise ControlImportError(result)
        new = [p for p in planned if p.existing is None]
        add_controls(uow, eng.ref, [p.data for p in new])
        for p in new:
            if p.attributes:
                set_test_plan(uow, eng.ref, p.data.ref, procedures=[], attributes=list(p.attributes))
        for p in planned:
            if p.existing is None:
                continue
            if any(c.field != "attributes" for c in p.changes):
                update_control(uow, eng.ref, p.data.ref, p.data)
            if any(c.field == "attributes" for c in p.changes):
                assert p.attributes is not None
                set_test_plan(
                    uow,
                    eng.ref,
                    p.data.ref,
                    procedures=[(q.type, q.description, q.expected_evidence) for q in p.existing.test_plan.procedures],
                    attributes=list(p.attributes),
                )
        trail.record(
            uow,
            "controls.import",
            "engagement",
            eng.id,
            engagement_id=eng.id,
            after={
                "file": source,
                "sha256": source_sha256,
                "added": list(result.added),
                "updated": [u.ref for u in result.updated],
                "skipped_rows": list(skipped),
            },
        )
        uow.commit()
    return ControlImport(result.added, result.updated, result.unchanged, result.skipped_rows, (), True)


# ---- the firm's library -----------------------------------------------------------------


def add_library_controls(
    uow: SqlUnitOfWork, engagement: str | int, refs: Collection[str] | None = None
) -> LibraryImport:
    """Create controls (with test plans) from the firm's library for the engagement's categories.

    ``refs`` limits the choice; controls whose reference the engagement already has are left alone.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        chosen = [c for c in library_for(categories_of(eng)) if refs is None or c.ref in refs]
        if refs is not None:
            unknown = sorted(set(refs) - {c.ref for c in chosen})
            if unknown:
                raise ValidationError(
                    f"The library has no control {', '.join(unknown)} for this engagement's categories."
                )
        taken = set(uow.session.scalars(select(ControlRow.ref).where(ControlRow.engagement_id == eng.id)))
        new = [c for c in chosen if c.ref not in taken]
        add_controls(
            uow,
            eng.ref,
            [
                ControlInput(
                    ref=c.ref,
                    description=c.description,
                    owner=c.owner,
                    frequency=c.frequency,
                    nature=c.nature,
                    control_type=c.control_type,
                    key=c.key,
                    criteria=c.criteria,
                )
                for c in new
            ],
        )
        for c in new:
            set_test_plan(uow, eng.ref, c.ref, procedures=list(c.procedures), attributes=list(c.attributes))
        result = LibraryImport(tuple(c.ref for c in new), tuple(c.ref for c in chosen if c.ref in taken))
        trail.record(
            uow,
            "controls.library",
            "engagement",
            eng.id,
            engagement_id=eng.id,
            after={"added": list(result.added), "already_present": list(result.already_present)},
        )
        uow.commit()
    return result


__all__ = [
    "ControlChange",
    "ControlImport",
    "ControlImportError",
    "FieldChange",
    "ImportIssue",
    "LibraryImport",
    "MatrixRowLike",
    "add_library_controls",
    "check_control_import",
    "import_controls",
    "normalize_frequency",
    "normalize_key",
    "normalize_nature",
    "normalize_type",
]
