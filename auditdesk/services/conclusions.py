"""Control, criterion and opinion conclusions: computed, overridden, decided."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from auditdesk import trail
from auditdesk.catalog import criteria_in_scope
from auditdesk.conclusions import (
    AUDITOR_CONCLUSIONS,
    AttributeTally,
    ControlConclusion,
    ControlEvaluation,
    CriterionConclusion,
    MappedControl,
    Matter,
    MatterKind,
    Opinion,
    OpinionProposal,
    SampleTally,
    conclude_criterion,
    evaluate_control,
    propose_opinion,
    result_wording,
)
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services._common import categories_of, control_row, engagement_row, parse_enum, require_text
from auditdesk.storage.schema import (
    AttributeRow,
    ControlConclusionRow,
    ControlCriterionRow,
    ControlRow,
    CriterionConclusionRow,
    EngagementRow,
    ExceptionRow,
    MatterRow,
    OpinionRow,
    PersonRow,
    PopulationRow,
    SampleItemRow,
    SampleRow,
    TeamMemberRow,
    TestResultRow,
)
from auditdesk.storage.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class ControlStatus:
    ref: str
    computed: ControlConclusion
    final: ControlConclusion
    rationale: str
    explanation: str
    evaluation: ControlEvaluation
    samples: tuple[SampleTally, ...]
    exceptions: int
    result_text: str  # section 4 wording


@dataclass(frozen=True, slots=True)
class CriterionStatus:
    id: str
    computed: CriterionConclusion
    final: CriterionConclusion
    rationale: str
    explanation: str
    controls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecordedOpinion:
    opinion: Opinion
    proposed: Opinion
    basis: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True, slots=True)
class MatterRecord:
    id: int
    kind: MatterKind
    description: str
    material: bool
    pervasive: bool


@dataclass(frozen=True, slots=True)
class EngagementConclusions:
    controls: tuple[ControlStatus, ...]
    criteria: tuple[CriterionStatus, ...]
    proposal: OpinionProposal
    recorded: RecordedOpinion | None
    matters: tuple[MatterRecord, ...]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _tallies(uow: SqlUnitOfWork, eng: EngagementRow) -> dict[int, list[SampleTally]]:
    """Per control id, a tally of each of its samples."""
    session = uow.session
    samples = session.scalars(select(SampleRow).where(SampleRow.engagement_id == eng.id).order_by(SampleRow.id)).all()
    if not samples:
        return {}
    sizes = dict(
        session.execute(
            select(SampleItemRow.sample_id, func.count())
            .join(SampleRow, SampleRow.id == SampleItemRow.sample_id)
            .where(SampleRow.engagement_id == eng.id)
            .group_by(SampleItemRow.sample_id)
        ).all()
    )
    counts: dict[tuple[int, str, str], int] = {}
    for sid, letter, outcome, n in session.execute(
        select(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome, func.count())
        .join(SampleRow, SampleRow.id == TestResultRow.sample_id)
        .where(SampleRow.engagement_id == eng.id)
        .group_by(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome)
    ).all():
        counts[(sid, letter, outcome)] = n
    attributes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for cid, letter, question in session.execute(
        select(AttributeRow.control_id, AttributeRow.letter, AttributeRow.question)
        .join(ControlRow, ControlRow.id == AttributeRow.control_id)
        .where(ControlRow.engagement_id == eng.id)
        .order_by(AttributeRow.letter)
    ).all():
        attributes[cid].append((letter, question))
    population_sizes = dict(
        session.execute(select(PopulationRow.id, PopulationRow.rows).where(PopulationRow.engagement_id == eng.id)).all()
    )
    result: dict[int, list[SampleTally]] = defaultdict(list)
    for s in samples:
        size = int(sizes.get(s.id, 0))
        plan = json.loads(s.plan_json or "{}")
        tallies = []
        for letter, question in attributes.get(s.control_id, []):
            passed = counts.get((s.id, letter, "pass"), 0)
            deviations = counts.get((s.id, letter, "deviation"), 0)
            na = counts.get((s.id, letter, "na"), 0)
            tallies.append(AttributeTally(letter, question, passed, deviations, na, size - passed - deviations - na))
        result[s.control_id].append(
            SampleTally(
                sample_id=s.id,
                size=size,
                statistical=s.statistical,
                confidence=Decimal(s.confidence) if s.confidence else None,
                tolerable_rate=Decimal(s.tolerable_rate) if s.tolerable_rate else None,
                population_size=population_sizes.get(s.population_id),
                hypergeometric=plan.get("method") == "hypergeometric",
                attributes=tuple(tallies),
            )
        )
    return result


def _control_statuses(
    uow: SqlUnitOfWork, eng: EngagementRow
) -> tuple[tuple[ControlStatus, ...], dict[int, ControlStatus], dict[int, bool]]:
    session = uow.session
    controls = session.scalars(
        select(ControlRow).where(ControlRow.engagement_id == eng.id).order_by(ControlRow.ref)
    ).all()
    tallies = _tallies(uow, eng)
    overrides = {
        r.control_id: r
        for r in session.scalars(
            select(ControlConclusionRow)
            .join(ControlRow, ControlRow.id == ControlConclusionRow.control_id)
            .where(ControlRow.engagement_id == eng.id)
        )
    }
    exceptions: dict[int, list[ExceptionRow]] = defaultdict(list)
    for ex in session.scalars(
        select(ExceptionRow)
        .where(ExceptionRow.engagement_id == eng.id, ExceptionRow.status == "open")
        .order_by(ExceptionRow.id)
    ):
        exceptions[ex.control_id].append(ex)
    type1 = eng.type == "type1"
    statuses: list[ControlStatus] = []
    by_id: dict[int, ControlStatus] = {}
    compensated: dict[int, bool] = {}
    for c in controls:
        samples = tuple(tallies.get(c.id, ()))
        evaluation = evaluate_control(samples)
        override = overrides.get(c.id)
        final = ControlConclusion(override.conclusion) if override else evaluation.computed
        open_exceptions = exceptions.get(c.id, [])
        status = ControlStatus(
            ref=c.ref,
            computed=evaluation.computed,
            final=final,
            rationale=override.rationale if override else "",
            explanation=evaluation.explanation,
            evaluation=evaluation,
            samples=samples,
            exceptions=len(open_exceptions),
            result_text=(
                "The control did not operate during the period; no test of operating effectiveness was possible. "
                + (override.rationale if override else "")
                if final is ControlConclusion.NOT_TESTED
                else result_wording(samples, [e.description for e in open_exceptions], type1)
            ),
        )
        statuses.append(status)
        by_id[c.id] = status
        compensated[c.id] = bool(open_exceptions) and all(e.compensating_control for e in open_exceptions)
    return tuple(statuses), by_id, compensated


def _criterion_statuses(
    uow: SqlUnitOfWork, eng: EngagementRow, by_id: dict[int, ControlStatus], compensated: dict[int, bool]
) -> tuple[CriterionStatus, ...]:
    session = uow.session
    mapped: dict[str, list[int]] = defaultdict(list)
    for cid, criterion_id in session.execute(
        select(ControlCriterionRow.control_id, ControlCriterionRow.criterion_id)
        .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
        .where(ControlRow.engagement_id == eng.id)
    ).all():
        mapped[criterion_id].append(cid)
    overrides = {
        r.criterion_id: r
        for r in session.scalars(select(CriterionConclusionRow).where(CriterionConclusionRow.engagement_id == eng.id))
    }
    out: list[CriterionStatus] = []
    for criterion in criteria_in_scope(categories_of(eng)):
        ids = sorted(mapped.get(criterion.id, []), key=lambda i: by_id[i].ref)
        computed, why = conclude_criterion(MappedControl(by_id[i].ref, by_id[i].final, compensated[i]) for i in ids)
        override = overrides.get(criterion.id)
        out.append(
            CriterionStatus(
                id=criterion.id,
                computed=computed,
                final=CriterionConclusion(override.conclusion) if override else computed,
                rationale=override.rationale if override else "",
                explanation=why,
                controls=tuple(by_id[i].ref for i in ids),
            )
        )
    return tuple(out)


def _matters(uow: SqlUnitOfWork, eng_id: int) -> tuple[MatterRecord, ...]:
    rows = uow.session.scalars(select(MatterRow).where(MatterRow.engagement_id == eng_id).order_by(MatterRow.id))
    return tuple(MatterRecord(r.id, MatterKind(r.kind), r.description, r.material, r.pervasive) for r in rows)


def _conclusions(uow: SqlUnitOfWork, eng: EngagementRow) -> EngagementConclusions:
    controls, by_id, compensated = _control_statuses(uow, eng)
    criteria = _criterion_statuses(uow, eng, by_id, compensated)
    matters = _matters(uow, eng.id)
    proposal = propose_opinion(
        [(c.id, c.final) for c in criteria],
        [Matter(m.kind, m.description, m.material, m.pervasive) for m in matters],
    )
    row = uow.session.get(OpinionRow, eng.id)
    recorded = (
        None
        if row is None
        else RecordedOpinion(Opinion(row.opinion), Opinion(row.proposed), row.basis, row.decided_by, row.decided_at)
    )
    return EngagementConclusions(controls, criteria, proposal, recorded, matters)


def engagement_conclusions(uow: SqlUnitOfWork, engagement: str | int) -> EngagementConclusions:
    """Every control's and criterion's conclusion and the proposed opinion."""
    with uow:
        return _conclusions(uow, engagement_row(uow, engagement))


def set_control_conclusion(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    conclusion: ControlConclusion | str,
    *,
    rationale: str = "",
) -> ControlStatus:
    """Record the auditor's conclusion; a rationale is required when it differs from the computed one."""
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        chosen = parse_enum(ControlConclusion, conclusion, "control conclusion")
        if chosen not in AUDITOR_CONCLUSIONS:
            raise ValidationError(
                "The auditor concludes effective, effective_with_exceptions, not_effective or not_tested."
            )
        _, by_id, _ = _control_statuses(uow, eng)
        computed = by_id[ctrl.id].computed
        rationale = rationale.strip()
        if chosen is ControlConclusion.NOT_TESTED and not rationale:
            raise ValidationError(
                "Say why the control was not tested (for example: no changes occurred in the period)."
            )
        if chosen is not computed and not rationale:
            raise ValidationError(
                f"The computed conclusion is '{computed.value}'; give your rationale for concluding '{chosen.value}'."
            )
        row = uow.session.get(ControlConclusionRow, ctrl.id)
        before = None if row is None else {"conclusion": row.conclusion, "rationale": row.rationale}
        if row is None:
            row = ControlConclusionRow(control_id=ctrl.id)
            uow.session.add(row)
        row.conclusion = chosen.value
        row.rationale = rationale
        row.decided_at = _now()
        row.decided_by = uow.actor
        trail.record(
            uow,
            "control.conclusion",
            "control",
            ctrl.id,
            engagement_id=eng.id,
            before=before,
            after={"conclusion": chosen.value, "computed": computed.value, "rationale": rationale},
        )
        uow.session.flush()
        _, by_id, _ = _control_statuses(uow, eng)
        uow.commit()
    return by_id[ctrl.id]


def clear_control_conclusion(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> ControlStatus:
    """Go back to the computed conclusion."""
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        row = uow.session.get(ControlConclusionRow, ctrl.id)
        if row is not None:
            before = {"conclusion": row.conclusion, "rationale": row.rationale}
            uow.session.delete(row)
            trail.record(uow, "control.conclusion", "control", ctrl.id, engagement_id=eng.id, before=before)
            uow.session.flush()
        _, by_id, _ = _control_statuses(uow, eng)
        uow.commit()
    return by_id[ctrl.id]


def set_criterion_conclusion(
    uow: SqlUnitOfWork,
    engagement: str | int,
    criterion: str,
    conclusion: CriterionConclusion | str | None,
    *,
    rationale: str = "",
) -> CriterionStatus:
    """Override a criterion's conclusion with a rationale (None goes back to the computed one)."""
    with uow:
        eng = engagement_row(uow, engagement)
        cid = criterion.strip().upper()
        if cid not in {c.id for c in criteria_in_scope(categories_of(eng))}:
            raise NotFoundError(f"{criterion} is not an in-scope criterion of engagement {eng.ref}.")
        row = uow.session.get(CriterionConclusionRow, (eng.id, cid))
        before = None if row is None else {"conclusion": row.conclusion, "rationale": row.rationale}
        if conclusion is None:
            if row is not None:
                uow.session.delete(row)
            after = None
        else:
            chosen = parse_enum(CriterionConclusion, conclusion, "criterion conclusion")
            if chosen in (CriterionConclusion.PENDING, CriterionConclusion.NOT_ADDRESSED):
                raise ValidationError("A criterion is concluded met, met_with_exceptions or not_met.")
            rationale = require_text(rationale, "rationale for overriding the criterion conclusion")
            if row is None:
                row = CriterionConclusionRow(engagement_id=eng.id, criterion_id=cid)
                uow.session.add(row)
            row.conclusion = chosen.value
            row.rationale = rationale
            row.decided_at = _now()
            row.decided_by = uow.actor
            after = {"conclusion": chosen.value, "rationale": rationale}
        trail.record(uow, "criterion.conclusion", "criterion", cid, engagement_id=eng.id, before=before, after=after)
        uow.session.flush()
        result = next(c for c in _conclusions(uow, eng).criteria if c.id == cid)
        uow.commit()
    return result


def add_matter(
    uow: SqlUnitOfWork,
    engagement: str | int,
    kind: MatterKind | str,
    description: str,
    *,
    material: bool,
    pervasive: bool = False,
) -> MatterRecord:
    """Record a description misstatement or a scope limitation for the opinion."""
    with uow:
        eng = engagement_row(uow, engagement)
        chosen = parse_enum(MatterKind, kind, "matter kind")
        if pervasive and not material:
            raise ValidationError("A pervasive matter is also material; tick both or neither.")
        row = MatterRow(
            engagement_id=eng.id,
            kind=chosen.value,
            description=require_text(description, "description"),
            material=material,
            pervasive=pervasive,
            created_by=uow.actor,
        )
        uow.session.add(row)
        uow.session.flush()
        record = MatterRecord(row.id, chosen, row.description, material, pervasive)
        trail.record(uow, "matter.add", "matter", row.id, engagement_id=eng.id, after=record)
        uow.commit()
    return record


def delete_matter(uow: SqlUnitOfWork, engagement: str | int, matter_id: int) -> None:
    with uow:
        eng = engagement_row(uow, engagement)
        row = uow.session.get(MatterRow, matter_id)
        if row is None or row.engagement_id != eng.id:
            raise NotFoundError(f"There is no matter {matter_id} in this engagement.")
        before = MatterRecord(row.id, MatterKind(row.kind), row.description, row.material, row.pervasive)
        uow.session.delete(row)
        trail.record(uow, "matter.delete", "matter", matter_id, engagement_id=eng.id, before=before)
        uow.commit()


def record_opinion(
    uow: SqlUnitOfWork, engagement: str | int, opinion: Opinion | str, *, basis: str = ""
) -> RecordedOpinion:
    """The engagement partner records the final opinion (and the basis paragraph when modified)."""
    with uow:
        eng = engagement_row(uow, engagement)
        chosen = parse_enum(Opinion, opinion, "opinion")
        partners = uow.session.scalars(
            select(PersonRow.initials)
            .join(TeamMemberRow, TeamMemberRow.person_id == PersonRow.id)
            .where(TeamMemberRow.engagement_id == eng.id, TeamMemberRow.role == "partner")
        ).all()
        if uow.actor not in partners:
            who = ", ".join(partners) or "nobody yet: assign a partner to the team"
            raise ValidationError(
                f"Only the engagement partner records the opinion ({who}); you are acting as {uow.actor}."
            )
        basis = basis.strip()
        if chosen is not Opinion.UNMODIFIED and not basis:
            raise ValidationError(f"A {chosen.value} opinion needs its basis paragraph naming the matter.")
        proposal = _conclusions(uow, eng).proposal
        row = uow.session.get(OpinionRow, eng.id)
        before = None if row is None else {"opinion": row.opinion, "basis": row.basis}
        if row is None:
            row = OpinionRow(engagement_id=eng.id)
            uow.session.add(row)
        row.opinion = chosen.value
        row.proposed = proposal.opinion.value
        row.basis = basis
        row.decided_at = _now()
        row.decided_by = uow.actor
        record = RecordedOpinion(chosen, proposal.opinion, basis, uow.actor, row.decided_at)
        trail.record(uow, "opinion.record", "opinion", eng.id, engagement_id=eng.id, before=before, after=record)
        uow.commit()
    return record
