"""Controls, their criteria mapping and test plans; criteria coverage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
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
from auditdesk.errors import DuplicateError, ValidationError
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
    ControlCriterionRow,
    ControlRow,
    ProcedureRow,
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


def _with_children() -> tuple[object, ...]:
    return (
        selectinload(ControlRow.criteria),
        selectinload(ControlRow.procedures),
        selectinload(ControlRow.attributes),
    )


def list_controls(uow: SqlUnitOfWork, engagement: str | int) -> tuple[Control, ...]:
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
    """Put back a deleted control with its mapping and test plan (undo of a delete), in one transaction."""
    with uow:
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


def update_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int, data: ControlInput) -> Control:
    """Replace a control's fields and mapping."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        criteria = check_criteria(eng, data.criteria)
        _apply(uow, row, data, eng.id)
        _set_criteria(row, criteria)
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.update", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def _set_criteria(row: ControlRow, criteria: Iterable[str]) -> None:
    wanted = list(criteria)
    row.criteria = [c for c in row.criteria if c.criterion_id in wanted] + [
        ControlCriterionRow(criterion_id=c) for c in wanted if c not in {x.criterion_id for x in row.criteria}
    ]


def map_criteria(uow: SqlUnitOfWork, engagement: str | int, control: str | int, criteria: Sequence[str]) -> Control:
    """Set the criteria a control addresses (replaces the mapping)."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        _set_criteria(row, check_criteria(eng, criteria))
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.map", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def delete_control(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> Control:
    with uow:
        eng = engagement_row(uow, engagement)
        row = control_row(uow, eng.id, control)
        before = control_record(row)
        uow.session.delete(row)
        trail.record(uow, "control.delete", "control", before.id, engagement_id=eng.id, before=before)
        uow.commit()
    return before


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


def set_test_plan(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    *,
    procedures: Sequence[tuple[ProcedureType | str, str] | tuple[ProcedureType | str, str, str]],
    attributes: Sequence[str],
) -> Control:
    """Replace the control's procedures and attributes; attributes are lettered A, B, C..."""
    if len(attributes) > len(ATTRIBUTE_LETTERS):
        raise ValidationError(f"A test plan holds at most {len(ATTRIBUTE_LETTERS)} attributes.")
    with uow:
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
        row.procedures = []
        row.attributes = []
        uow.session.flush()
        row.procedures = [
            ProcedureRow(seq=p.seq, type=p.type.value, description=p.description, expected_evidence=p.expected_evidence)
            for p in new_procedures
        ]
        row.attributes = [AttributeRow(letter=a.letter, question=a.question) for a in new_attributes]
        uow.session.flush()
        after = control_record(row)
        trail.record(uow, "control.test_plan", "control", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def coverage(uow: SqlUnitOfWork, engagement: str | int) -> Coverage:
    """Every in-scope criterion with the controls mapped to it (the readiness gap list)."""
    with uow:
        eng = engagement_row(uow, engagement)
        pairs = uow.session.execute(
            select(ControlCriterionRow.criterion_id, ControlRow.ref)
            .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
            .where(ControlRow.engagement_id == eng.id)
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
