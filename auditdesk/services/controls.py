"""Controls, their criteria mapping and test plans; criteria coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auditdesk import trail
from auditdesk.catalog import criteria_in_scope
from auditdesk.domain import (
    Attribute,
    Control,
    ControlType,
    Coverage,
    CriterionCoverage,
    Frequency,
    Nature,
    Procedure,
    ProcedureType,
    TestPlan,
)
from auditdesk.errors import DuplicateError, EvidenceHeldError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import (
    categories_of,
    check_criteria,
    check_ref,
    control_record,
    control_row,
    engagement_row,
    parse_enum,
    require_text,
)
from auditdesk.storage.schema import (
    AttributeRow,
    CompensationRow,
    ControlConclusionRow,
    ControlCriterionRow,
    ControlDependencyRow,
    ControlRow,
    EvidenceRow,
    ExceptionRow,
    PopulationRow,
    ProcedureRow,
    SampleRow,
    TestResultRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

ATTRIBUTE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class ControlInput:
    """The editable fields of a control, as a form or a script supplies them."""

    ref: str
    description: str
    owner: str = ""
    frequency: Frequency | str = Frequency.MONTHLY
    nature: Nature | str = Nature.MANUAL
    control_type: ControlType | str = ControlType.PREVENTIVE
    key: bool = False
    criteria: tuple[str, ...] = ()

    @classmethod
    def of(cls, control: Control) -> ControlInput:
        """The editable fields of a stored control (to copy or restore it)."""
        return cls(
            ref=control.ref,
            description=control.description,
            owner=control.owner,
            frequency=control.frequency,
            nature=control.nature,
            control_type=control.control_type,
            key=control.key,
            criteria=control.criteria,
        )


@dataclass(frozen=True, slots=True)
class DeletedControl(Control):
    """A deleted control with what its row and links held, so undo puts it back as it was."""

    uid: str = ""
    procedure_ids: tuple[int, ...] = ()
    attribute_ids: tuple[int, ...] = ()
    populations: tuple[int, ...] = ()  # populations generated for it (the delete clears their link)
    depends_on: tuple[int, ...] = ()  # IT general controls it relies on
    relied_on_by: tuple[int, ...] = ()  # controls that rely on it (when it is an ITGC)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True, slots=True)
class ControlEvidence:
    """What a control holds that the audit must keep: why it is retired, never deleted."""

    samples: int = 0
    results: int = 0
    walkthroughs: int = 0
    exceptions: int = 0
    evidence_files: int = 0
    conclusions: int = 0
    compensations: int = 0  # exceptions of other controls it is designated to compensate for

    @property
    def held(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @property
    def summary(self) -> str:
        """'1 sample, 52 results, 1 exception'."""
        words = (
            (self.samples, "sample"),
            (self.results, "result"),
            (self.walkthroughs, "walkthrough"),
            (self.exceptions, "exception"),
            (self.evidence_files, "evidence file"),
            (self.conclusions, "recorded conclusion"),
            (self.compensations, "compensation designation"),
        )
        return ", ".join(_plural(n, w) for n, w in words if n)


def _count(uow: SqlUnitOfWork, query: object) -> int:
    return int(uow.session.scalar(query) or 0)  # type: ignore[call-overload]


def _evidence_of(uow: SqlUnitOfWork, row: ControlRow) -> ControlEvidence:
    control_id = row.id
    return ControlEvidence(
        samples=_count(uow, select(func.count()).select_from(SampleRow).where(SampleRow.control_id == control_id)),
        results=_count(
            uow,
            select(func.count())
            .select_from(TestResultRow)
            .join(SampleRow, SampleRow.id == TestResultRow.sample_id)
            .where(SampleRow.control_id == control_id),
        ),
        walkthroughs=_count(
            uow, select(func.count()).select_from(WalkthroughRow).where(WalkthroughRow.control_id == control_id)
        ),
        exceptions=_count(
            uow, select(func.count()).select_from(ExceptionRow).where(ExceptionRow.control_id == control_id)
        ),
        evidence_files=_count(
            uow, select(func.count()).select_from(EvidenceRow).where(EvidenceRow.control_id == control_id)
        ),
        conclusions=_count(
            uow,
            select(func.count()).select_from(ControlConclusionRow).where(ControlConclusionRow.control_id == control_id),
        ),
        compensations=_count(
            uow, select(func.count()).select_from(CompensationRow).where(CompensationRow.control_id == control_id)
        )
        + _count(
            uow,
            select(func.count())
            .select_from(ExceptionRow)
            .where(ExceptionRow.engagement_id == row.engagement_id, ExceptionRow.compensating_control == row.ref),
        ),
    )


def control_evidence(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> ControlEvidence:
    """The evidence a control holds (a control that holds any is retired, not deleted)."""
    with uow:
        eng = engagement_row(uow, engagement)
        return _evidence_of(uow, control_row(uow, eng.id, control))


def _with_children() -> tuple[object, ...]:
    return (
        selectinload(ControlRow.criteria),
        selectinload(ControlRow.procedures),
        selectinload(ControlRow.attributes),
    )


def list_controls(uow: SqlUnitOfWork, engagement: str | int) -> tuple[Control, ...]:
    """Every control of the engagement, retired ones included (``Control.retired``)."""
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(ControlRow)
            .where(ControlRow.engagement_id == eng.id)
            .order_by(ControlRow.ref)
            .options(*_with_children())  # type: ignore[arg-type]
        )
        return tuple(control_record(r) for r in rows)


def get_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> Control:
    with uow:
        eng = engagement_row(uow, engagement)
        return control_record(control_row(uow, eng.id, control))


def _fill(row: ControlRow, data: ControlInput, ref: str) -> None:
    row.ref = ref
    row.description = require_text(data.description, "control description")
    row.owner = data.owner.strip()
    row.frequency = parse_enum(Frequency, data.frequency, "frequency").value
    row.nature = parse_enum(Nature, data.nature, "control nature").value
    row.control_type = parse_enum(ControlType, data.control_type, "control type").value
    row.key = bool(data.key)


def _apply(uow: SqlUnitOfWork, row: ControlRow, data: ControlInput, eng_id: int) -> None:
    ref = check_ref(data.ref, "control")
    clash = uow.session.scalars(
        select(ControlRow.id).where(ControlRow.engagement_id == eng_id, ControlRow.ref == ref)
    ).first()
    if clash is not None and clash != row.id:
        raise DuplicateError(f"Control {ref} already exists in this engagement; choose another reference.")
    _fill(row, data, ref)


def add_control(uow: SqlUnitOfWork, engagement: str | int, data: ControlInput) -> Control:
    """Add a control, mapped to the given in-scope criteria."""
    with uow:
        eng = engagement_row(uow, engagement)
        criteria = check_criteria(eng, data.criteria)
        row = ControlRow(engagement_id=eng.id)
        _apply(uow, row, data, eng.id)
        row.criteria = [ControlCriterionRow(criterion_id=c) for c in criteria]
        uow.session.add(row)
        uow.session.flush()
        record = control_record(row)
        trail.record(uow, "control.add", "control", row.id, engagement_id=eng.id, after=record)
        uow.commit()
    return record


def add_controls(uow: SqlUnitOfWork, engagement: str | int, items: Sequence[ControlInput]) -> int:
    """Add many controls in one transaction (imports, the demo, roll-forward); all or none."""
    with uow:
        eng = engagement_row(uow, engagement)
        taken = set(uow.session.scalars(select(ControlRow.ref).where(ControlRow.engagement_id == eng.id)))
        rows: list[ControlRow] = []
        for data in items:
            ref = check_ref(data.ref, "control")
            if ref in taken:
                raise DuplicateError(f"Control {ref} already exists in this engagement; choose another reference.")
            taken.add(ref)
            row = ControlRow(engagement_id=eng.id)
            _fill(row, data, ref)
            row.criteria = [ControlCriterionRow(criterion_id=c) for c in check_criteria(eng, data.criteria)]
            # Empty collections are known, so building the records below needs no queries.
            row.procedures = []
            row.attributes = []
            rows.append(row)
        uow.session.add_all(rows)
        uow.session.flush()
        for row in rows:
            trail.record(uow, "control.add", "control", row.id, engagement_id=eng.id, after=control_record(row))
        uow.commit()
    return len(items)


def restore_control(uow: SqlUnitOfWork, engagement: str | int, control: Control) -> Control:
    """Put back a deleted control with its mapping and test plan (undo of a delete), in one transaction.

    Given what ``delete_control`` returned, the control comes back as it was: the same
    row, identity, test-plan rows, population links and IT general control links.
    """
    with uow:
        if not isinstance(control, DeletedControl):
            add_control(uow, engagement, ControlInput.of(control))
            restored = set_test_plan(
                uow,
                engagement,
                control.ref,
                procedures=[(p.type, p.description, p.expected_evidence) for p in control.test_plan.procedures],
                attributes=[a.question for a in control.test_plan.attributes],
            )
            uow.commit()
            return restored
        eng = engagement_row(uow, engagement)
        row = _restore_row(uow, eng.id, control, check_criteria(eng, control.criteria))
        record = control_record(row)
        trail.record(uow, "control.restore", "control", row.id, engagement_id=eng.id, after=record)
        uow.commit()
    return record


def _free(uow: SqlUnitOfWork, table: type[ControlRow] | type[ProcedureRow] | type[AttributeRow], key: int) -> bool:
    return bool(key) and uow.session.get(table, key) is None


def _restore_row(uow: SqlUnitOfWork, eng_id: int, snap: DeletedControl, criteria: tuple[str, ...]) -> ControlRow:
    session = uow.session
    row = ControlRow(engagement_id=eng_id)
    # The same identity when it is still free (it is, unless someone took it meanwhile).
    if _free(uow, ControlRow, snap.id):
        row.id = snap.id
    if snap.uid and session.scalar(select(ControlRow.id).where(ControlRow.uid == snap.uid)) is None:
        row.uid = snap.uid
    _apply(uow, row, ControlInput.of(snap), eng_id)
    row.retired = snap.retired
    row.retired_reason = snap.retired_reason
    row.retired_at = snap.retired_at
    row.retired_by = snap.retired_by
    row.criteria = [ControlCriterionRow(criterion_id=c) for c in criteria]
    procedure_ids = snap.procedure_ids or (0,) * len(snap.test_plan.procedures)
    attribute_ids = snap.attribute_ids or (0,) * len(snap.test_plan.attributes)
    row.procedures = [
        ProcedureRow(
            id=pid if _free(uow, ProcedureRow, pid) else None,
            seq=p.seq,
            type=p.type.value,
            description=p.description,
            expected_evidence=p.expected_evidence,
            retired=p.retired,
        )
        for pid, p in zip(procedure_ids, snap.test_plan.procedures, strict=True)
    ]
    row.attributes = [
        AttributeRow(
            id=aid if _free(uow, AttributeRow, aid) else None,
            letter=a.letter,
            question=a.question,
            retired=a.retired,
        )
        for aid, a in zip(attribute_ids, snap.test_plan.attributes, strict=True)
    ]
    session.add(row)
    session.flush()
    for population_id in snap.populations:
        population = session.get(PopulationRow, population_id)
        if population is not None and population.engagement_id == eng_id and population.control_id is None:
            population.control_id = row.id
    for control_id, itgc_id in [(row.id, i) for i in snap.depends_on] + [(c, row.id) for c in snap.relied_on_by]:
        other = session.get(ControlRow, itgc_id if control_id == row.id else control_id)
        if (
            other is not None
            and other.engagement_id == eng_id
            and session.get(ControlDependencyRow, (control_id, itgc_id)) is None
        ):
            session.add(ControlDependencyRow(control_id=control_id, itgc_id=itgc_id))
    session.flush()
    return row


def update_control(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    data: ControlInput,
    *,
    expected_version: str | None = None,
) -> Control:
    """Replace a control's fields and mapping.

    With ``expected_version`` (see ``services.versioning``) a control changed since
    that version is refused with ``ConflictError``.
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        _check_version(uow, expected_version, before, data)
        criteria = check_criteria(eng, data.criteria)
        _apply(uow, row, data, eng.id)
        _set_criteria(row, criteria)
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.update", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def _check_version(uow: SqlUnitOfWork, expected: str | None, current: Control, mine: object) -> None:
    versioning.check(
        uow,
        expected,
        current,
        what=f"Control {current.ref}",
        entity="control",
        entity_id=current.id,
        engagement_id=current.engagement_id,
        mine=mine,
        actions=_EDITS,
    )


# Trail actions that change what a control record holds (a conclusion on it does not).
_EDITS = (
    "control.add",
    "control.update",
    "control.map",
    "control.test_plan",
    "control.restore",
    "control.retire",
    "control.unretire",
    "control.attribute_retire",
    "control.attribute_unretire",
    "control.procedure_retire",
    "control.procedure_unretire",
)


def _set_criteria(row: ControlRow, criteria: Iterable[str]) -> None:
    wanted = list(criteria)
    row.criteria = [c for c in row.criteria if c.criterion_id in wanted] + [
        ControlCriterionRow(criterion_id=c) for c in wanted if c not in {x.criterion_id for x in row.criteria}
    ]


def map_criteria(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    criteria: Sequence[str],
    *,
    expected_version: str | None = None,
) -> Control:
    """Set the criteria a control addresses (replaces the mapping)."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        _check_version(uow, expected_version, before, tuple(criteria))
        _set_criteria(row, check_criteria(eng, criteria))
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.map", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def _snapshot(uow: SqlUnitOfWork, row: ControlRow) -> DeletedControl:
    record = control_record(row)
    session = uow.session
    return DeletedControl(
        **{f.name: getattr(record, f.name) for f in fields(Control)},
        uid=row.uid,
        procedure_ids=tuple(p.id for p in row.procedures),
        attribute_ids=tuple(a.id for a in row.attributes),
        populations=tuple(
            session.scalars(
                select(PopulationRow.id).where(PopulationRow.control_id == row.id).order_by(PopulationRow.id)
            )
        ),
        depends_on=tuple(
            session.scalars(
                select(ControlDependencyRow.itgc_id)
                .where(ControlDependencyRow.control_id == row.id)
                .order_by(ControlDependencyRow.itgc_id)
            )
        ),
        relied_on_by=tuple(
            session.scalars(
                select(ControlDependencyRow.control_id)
                .where(ControlDependencyRow.itgc_id == row.id)
                .order_by(ControlDependencyRow.control_id)
            )
        ),
    )


def delete_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> DeletedControl:
    """Delete a control that holds no evidence; one that does is refused (retire it instead).

    Returns what ``restore_control`` needs to put it back exactly as it was.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        held = _evidence_of(uow, row)
        if held.held:
            raise EvidenceHeldError(
                f"Control {row.ref} holds evidence ({held.summary}), so it cannot be deleted; retire it instead, "
                "which keeps it and its evidence in the store, restorable, and out of coverage and the report."
            )
        before = _snapshot(uow, row)
        uow.session.delete(row)
        trail.record(uow, "control.delete", "control", before.id, engagement_id=eng.id, before=before)
        uow.commit()
    return before


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def retire_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int, *, reason: str) -> Control:
    """Retire a control: kept with its evidence and restorable, out of coverage, conclusions and the report."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        if row.retired:
            raise ValidationError(f"Control {row.ref} is already retired; restore it first to change the reason.")
        before = control_record(row)
        row.retired = True
        row.retired_reason = require_text(reason, "reason for retiring the control")
        row.retired_at = _now()
        row.retired_by = uow.actor
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.retire", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def unretire_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> Control:
    """Bring a retired control back into coverage, conclusions and the report."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        if not row.retired:
            raise ValidationError(f"Control {row.ref} is not retired.")
        before = control_record(row)
        row.retired = False
        row.retired_reason = ""
        row.retired_at = ""
        row.retired_by = ""
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.unretire", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def plan_warnings(plan: TestPlan) -> tuple[str, ...]:
    """Things a reviewer would raise about a test plan; saving is still allowed."""
    warnings: list[str] = []
    if not plan.procedures:
        warnings.append("The test plan has no procedures yet.")
    elif all(p.type is ProcedureType.INQUIRY for p in plan.procedures):
        warnings.append("Inquiry alone is not enough evidence; add observation, inspection or reperformance.")
    if not plan.attributes:
        warnings.append("No attributes are defined to check on each sampled item.")
    return tuple(warnings)


def _results_by_letter(uow: SqlUnitOfWork, control_id: int) -> dict[str, int]:
    rows = uow.session.execute(
        select(TestResultRow.attribute, func.count())
        .join(SampleRow, SampleRow.id == TestResultRow.sample_id)
        .where(SampleRow.control_id == control_id)
        .group_by(TestResultRow.attribute)
    ).all()
    return {str(letter): int(n) for letter, n in rows}


def _check_kept(
    row: ControlRow, procedures: Sequence[Procedure], attributes: Sequence[Attribute], results: dict[str, int]
) -> None:
    """Refuse a plan that would drop or move an attribute holding results, or drop a procedure
    performed for recorded results: results stay tied to what was tested."""
    questions = {a.question: a.letter for a in row.attributes}
    for old in row.attributes:
        held = results.get(old.letter, 0)
        if not held:
            continue
        index = ATTRIBUTE_LETTERS.index(old.letter)
        new = attributes[index] if index < len(attributes) else None
        moved = (
            new is not None and new.question != old.question and questions.get(new.question, old.letter) != old.letter
        )
        if new is None or moved:
            raise EvidenceHeldError(
                f"Attribute {old.letter} of {row.ref} ({old.question.rstrip(' ?')}) holds {_plural(held, 'result')}, "
                "so it cannot be removed or re-lettered; retire it instead."
            )
    total = sum(results.values())
    if total and len(procedures) < len(row.procedures):
        dropped = row.procedures[len(procedures)]
        raise EvidenceHeldError(
            f"Procedure {dropped.seq} of {row.ref} was performed for {_plural(total, 'recorded result')}, "
            "so it cannot be removed; retire it instead."
        )


def set_test_plan(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    *,
    procedures: Sequence[tuple[ProcedureType | str, str] | tuple[ProcedureType | str, str, str]],
    attributes: Sequence[str],
    expected_version: str | None = None,
) -> Control:
    """Replace the control's procedures and attributes; attributes are lettered A, B, C...

    Rows are updated in place, so retired steps stay retired. An attribute that holds
    results cannot be removed or re-lettered, nor a procedure of a control with results
    removed (``EvidenceHeldError``): retire it instead.
    """
    if len(attributes) > len(ATTRIBUTE_LETTERS):
        raise ValidationError(f"A test plan holds at most {len(ATTRIBUTE_LETTERS)} attributes.")
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        new_procedures = []
        for seq, proc in enumerate(procedures, start=1):
            kind = parse_enum(ProcedureType, proc[0], "procedure type")
            text = require_text(proc[1], f"description of procedure {seq}")
            evidence = proc[2] if len(proc) > 2 else ""
            new_procedures.append(Procedure(seq, kind, text, evidence.strip()))
        new_attributes = [
            Attribute(ATTRIBUTE_LETTERS[i], require_text(q, f"question of attribute {ATTRIBUTE_LETTERS[i]}"))
            for i, q in enumerate(attributes)
        ]
        _check_version(uow, expected_version, before, TestPlan(tuple(new_procedures), tuple(new_attributes)))
        _check_kept(row, new_procedures, new_attributes, _results_by_letter(uow, row.id))
        procedure_rows = list(row.procedures)
        for extra in procedure_rows[len(new_procedures) :]:
            row.procedures.remove(extra)
        for n, p in enumerate(new_procedures):
            if n < len(procedure_rows):
                procedure_rows[n].type = p.type.value
                procedure_rows[n].description = p.description
                procedure_rows[n].expected_evidence = p.expected_evidence
            else:
                row.procedures.append(
                    ProcedureRow(
                        seq=p.seq, type=p.type.value, description=p.description, expected_evidence=p.expected_evidence
                    )
                )
        attribute_rows = list(row.attributes)
        for extra_attribute in attribute_rows[len(new_attributes) :]:
            row.attributes.remove(extra_attribute)
        for n, a in enumerate(new_attributes):
            if n < len(attribute_rows):
                attribute_rows[n].question = a.question
            else:
                row.attributes.append(AttributeRow(letter=a.letter, question=a.question))
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.test_plan", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def retire_attribute(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    letter: str,
    *,
    retired: bool = True,
    expected_version: str | None = None,
) -> Control:
    """Retire a test attribute (its results stay with it), or bring it back with ``retired=False``."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        _check_version(uow, expected_version, control_record(row), {"attribute": letter, "retired": retired})
        wanted = letter.strip().upper()
        target = next((a for a in row.attributes if a.letter == wanted), None)
        if target is None:
            raise ValidationError(f"Control {row.ref} has no attribute {wanted}.")
        before = control_record(row)
        target.retired = retired
        uow.session.flush()
        after = control_record(row)
        action = "control.attribute_retire" if retired else "control.attribute_unretire"
        trail.record(uow, action, "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def retire_procedure(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    seq: int,
    *,
    retired: bool = True,
    expected_version: str | None = None,
) -> Control:
    """Retire a test procedure (kept in the plan's history), or bring it back with ``retired=False``."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        _check_version(uow, expected_version, control_record(row), {"procedure": seq, "retired": retired})
        target = next((p for p in row.procedures if p.seq == seq), None)
        if target is None:
            raise ValidationError(f"Control {row.ref} has no procedure {seq}.")
        before = control_record(row)
        target.retired = retired
        uow.session.flush()
        after = control_record(row)
        action = "control.procedure_retire" if retired else "control.procedure_unretire"
        trail.record(uow, action, "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def coverage(uow: SqlUnitOfWork, engagement: str | int) -> Coverage:
    """Every in-scope criterion with the controls mapped to it (the readiness gap list)."""
    with uow:
        eng = engagement_row(uow, engagement)
        pairs = uow.session.execute(
            select(ControlCriterionRow.criterion_id, ControlRow.ref)
            .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
            # Retired controls no longer address a criterion.
            .where(ControlRow.engagement_id == eng.id, ControlRow.retired.is_(False))
            .order_by(ControlRow.ref)
        ).all()
        mapped: dict[str, list[str]] = {}
        for cid, ref in pairs:
            mapped.setdefault(cid, []).append(ref)
        return Coverage(
            tuple(
                CriterionCoverage(c.id, c.title, c.category.label, tuple(mapped.get(c.id, ())))
                for c in criteria_in_scope(categories_of(eng))
            )
        )
