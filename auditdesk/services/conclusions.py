"""Control, criterion and opinion conclusions: computed, overridden, decided.

The rules themselves live in auditdesk.conclusions (pure functions); this module
reads their inputs from the store in a handful of set-based queries, so one
reload of a 5,000-control engagement costs one pass, and records the auditor's
and the partner's decisions with their trail events.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from auditdesk import trail
from auditdesk.catalog import criteria_in_scope
from auditdesk.conclusions import (
    AUDITOR_CONCLUSIONS,
    AUDITOR_CRITERION_CONCLUSIONS,
    EFFECTIVE_CONCLUSIONS,
    AttributeTally,
    Compensation,
    ControlConclusion,
    ControlEvaluation,
    CriterionConclusion,
    CriterionInput,
    DesignConclusion,
    MappedControl,
    Matter,
    MatterKind,
    Opinion,
    OpinionPart,
    OpinionProposal,
    ProposedOpinion,
    SampleTally,
    conclude_criterion,
    evaluate_control,
    evaluate_design,
    propose_opinion,
    result_wording,
)
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import categories_of, control_row, engagement_row, parse_enum, require_text
from auditdesk.storage.schema import (
    AttributeRow,
    CompensationRow,
    ControlConclusionRow,
    ControlCriterionRow,
    ControlRow,
    CriterionConclusionRow,
    EngagementRow,
    ExceptionRow,
    MatterRow,
    OpinionRow,
    PersonRow,
    PopulationExclusionRow,
    PopulationRow,
    SampleItemRow,
    SampleRow,
    TeamMemberRow,
    TestResultRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

# A basis paragraph names the matter; fewer words than this cannot.
MIN_BASIS_WORDS = 12


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
    design: DesignConclusion | None = None
    compensation: Compensation = Compensation.NONE
    compensated_by: tuple[str, ...] = ()
    waiting_for: str = ""


@dataclass(frozen=True, slots=True)
class CriterionStatus:
    id: str
    computed: CriterionConclusion
    final: CriterionConclusion
    rationale: str
    explanation: str
    controls: tuple[str, ...]
    waiting_for: tuple[str, ...] = ()
    parts: frozenset[OpinionPart] = frozenset()
    waiting_refs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedOpinion:
    opinion: Opinion
    proposed: ProposedOpinion
    basis: str
    decided_by: str
    decided_at: str
    override_reason: str = ""
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MatterRecord:
    id: int
    kind: MatterKind
    description: str
    material: bool
    pervasive: bool


@dataclass(frozen=True, slots=True)
class CompensationRecord:
    id: int
    exception_id: int
    control_ref: str  # the compensating control
    reason: str
    designated_by: str
    designated_at: str


@dataclass(frozen=True, slots=True)
class Representations:
    engagement: str
    dated: dt.date
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True, slots=True)
class EngagementConclusions:
    controls: tuple[ControlStatus, ...]
    criteria: tuple[CriterionStatus, ...]
    proposal: OpinionProposal
    recorded: RecordedOpinion | None
    matters: tuple[MatterRecord, ...]
    type1: bool = False


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# ---- reading the evidence ---------------------------------------------------------


@dataclass(slots=True)
class _Controls:
    """The engagement's live (not retired) controls, read once."""

    ids: list[int]
    ref: dict[int, str]
    frequency: dict[int, str]


def _live_controls(uow: SqlUnitOfWork, eng: EngagementRow) -> _Controls:
    rows = uow.session.execute(
        select(ControlRow.id, ControlRow.ref, ControlRow.frequency)
        .where(ControlRow.engagement_id == eng.id, ControlRow.retired.is_(False))
        .order_by(ControlRow.ref)
    ).all()
    return _Controls([r[0] for r in rows], {r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows})


def _tallies(uow: SqlUnitOfWork, eng: EngagementRow, controls: _Controls) -> dict[int, list[SampleTally]]:
    """Per control id, a tally of each of its live samples."""
    session = uow.session
    samples = session.execute(
        select(
            SampleRow.id,
            SampleRow.control_id,
            SampleRow.population_id,
            SampleRow.method,
            SampleRow.statistical,
            SampleRow.size,
            SampleRow.confidence,
            SampleRow.tolerable_rate,
            SampleRow.plan_json,
            SampleRow.planned_extension,
        )
        .where(SampleRow.engagement_id == eng.id, SampleRow.retired.is_(False))
        .order_by(SampleRow.id)
    ).all()
    if not samples:
        return {}
    counts: dict[tuple[int, str, str], int] = {}
    for sid, letter, outcome, n in session.execute(
        select(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome, func.count())
        .join(SampleRow, SampleRow.id == TestResultRow.sample_id)
        .where(SampleRow.engagement_id == eng.id)
        .group_by(TestResultRow.sample_id, TestResultRow.attribute, TestResultRow.outcome)
    ).all():
        counts[(sid, letter, outcome)] = n
    # Retired attributes are read too: their recorded deviations still count.
    attributes: dict[int, list[tuple[str, str, str, bool]]] = defaultdict(list)
    for cid, letter, question, wording, retired in session.execute(
        select(
            AttributeRow.control_id,
            AttributeRow.letter,
            AttributeRow.question,
            AttributeRow.deviation_wording,
            AttributeRow.retired,
        )
        .join(ControlRow, ControlRow.id == AttributeRow.control_id)
        .where(ControlRow.engagement_id == eng.id)
        .order_by(AttributeRow.letter)
    ).all():
        attributes[cid].append((letter, question, wording, bool(retired)))
    population_sizes: dict[int, int] = dict(
        session.execute(select(PopulationRow.id, PopulationRow.rows).where(PopulationRow.engagement_id == eng.id)).all()
    )
    # The sampling frame is the file less the rows excluded with a reason (AU-C 530).
    for pop_id, excluded in session.execute(
        select(PopulationExclusionRow.population_id, func.count())
        .join(PopulationRow, PopulationRow.id == PopulationExclusionRow.population_id)
        .where(PopulationRow.engagement_id == eng.id)
        .group_by(PopulationExclusionRow.population_id)
    ).all():
        population_sizes[pop_id] = population_sizes.get(pop_id, 0) - int(excluded)
    # Items with a not-applicable result that no replacement has been drawn for yet,
    # and the misstatements recorded on PPS items (for the Stringer bound).
    na_items: dict[int, set[str]] = defaultdict(set)
    with_na = sorted({sid for (sid, _letter, outcome) in counts if outcome == "na"})
    for chunk in range(0, len(with_na), 500):
        for sid, key in session.execute(
            select(TestResultRow.sample_id, TestResultRow.item_key)
            .where(TestResultRow.sample_id.in_(with_na[chunk : chunk + 500]), TestResultRow.outcome == "na")
            .distinct()
        ).all():
            na_items[sid].add(key)
    # Items drawn = the planned size (extensions included) plus replacements of N/A items.
    replaced: dict[int, set[str]] = defaultdict(set)
    taints: dict[int, list[Decimal]] = defaultdict(list)
    audited_samples: set[int] = set()
    # Samples flag in their plan when they hold replacements or audited amounts, so the
    # items of every other sample are never read here.
    flagged = [row[0] for row in samples if row[8] and ("replacements" in row[8] or "audited" in row[8])]
    item_rows: list[Any] = []
    for chunk in range(0, len(flagged), 500):
        item_rows += session.execute(
            select(
                SampleItemRow.sample_id, SampleItemRow.replaces_key, SampleItemRow.amount, SampleItemRow.audited_amount
            ).where(
                SampleItemRow.sample_id.in_(flagged[chunk : chunk + 500]),
                (SampleItemRow.replaces_key.is_not(None)) | (SampleItemRow.audited_amount.is_not(None)),
            )
        ).all()
    for sid, replaces, amount, audited in item_rows:
        if replaces is not None:
            replaced[sid].add(replaces)
        book, found = _decimal(amount), _decimal(audited)
        if audited is not None:
            audited_samples.add(sid)
            if book and found is not None and book != found:
                taints[sid].append(min(abs(book - found) / abs(book), Decimal(1)))
    live = set(controls.ids)
    result: dict[int, list[SampleTally]] = defaultdict(list)
    for sid, cid, pop_id, method, statistical, size, confidence, tolerable, plan_json, planned_ext in samples:
        if cid not in live:
            continue
        items = size + len(replaced.get(sid, ()))
        # Only three facts of the plan matter here; skip parsing plans that hold none of them.
        plan = (
            json.loads(plan_json)
            if plan_json and ("hypergeometric" in plan_json or "mus" in plan_json or "extended_from" in plan_json)
            else {}
        )
        tallies = []
        for letter, question, wording, retired in attributes.get(cid, []):
            passed = counts.get((sid, letter, "pass"), 0)
            deviations = counts.get((sid, letter, "deviation"), 0)
            na = counts.get((sid, letter, "na"), 0)
            if retired and not (passed or deviations or na):
                continue
            tallies.append(
                AttributeTally(
                    letter, question, passed, deviations, na, items - passed - deviations - na, wording, retired
                )
            )
        population_size = population_sizes.get(pop_id)
        whole = population_size is not None and size >= population_size
        result[cid].append(
            SampleTally(
                sample_id=sid,
                size=size,
                statistical=statistical,
                confidence=_decimal(confidence),
                tolerable_rate=_decimal(tolerable),
                population_size=population_size,
                hypergeometric=plan.get("method") == "hypergeometric",
                attributes=tuple(tallies),
                method=method,
                frequency=controls.frequency.get(cid, ""),
                whole_population=whole,
                planned_extension=planned_ext,
                extended=bool(plan.get("extended_from")),
                mus=plan.get("method") == "mus",
                taints=tuple(taints[sid]) if sid in audited_samples else None,
                replacements_needed=0 if whole else len(na_items.get(sid, set()) - replaced.get(sid, set())),
            )
        )
    return result


def _designs(uow: SqlUnitOfWork, eng: EngagementRow) -> dict[int, DesignConclusion]:
    """The latest walkthrough conclusion per control."""
    designs: dict[int, DesignConclusion] = {}
    for cid, conclusion in uow.session.execute(
        select(WalkthroughRow.control_id, WalkthroughRow.conclusion)
        .where(WalkthroughRow.engagement_id == eng.id, WalkthroughRow.retired.is_(False))
        .order_by(WalkthroughRow.id)
    ).all():
        try:
            designs[cid] = DesignConclusion(conclusion)
        except ValueError:
            continue
    return designs


@dataclass(slots=True)
class _Exceptions:
    by_control: dict[int, list[tuple[int, str, str]]]  # (id, source, description) of open exceptions
    designations: dict[int, list[int]]  # exception id -> compensating control ids


def _open_exceptions(uow: SqlUnitOfWork, eng: EngagementRow) -> _Exceptions:
    by_control: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for xid, cid, source, description in uow.session.execute(
        select(ExceptionRow.id, ExceptionRow.control_id, ExceptionRow.source, ExceptionRow.description)
        .where(ExceptionRow.engagement_id == eng.id, ExceptionRow.status == "open")
        .order_by(ExceptionRow.id)
    ).all():
        by_control[cid].append((xid, source, description))
    designations: dict[int, list[int]] = defaultdict(list)
    for xid, cid in uow.session.execute(
        select(CompensationRow.exception_id, CompensationRow.control_id)
        .join(ExceptionRow, ExceptionRow.id == CompensationRow.exception_id)
        .where(ExceptionRow.engagement_id == eng.id)
        .order_by(CompensationRow.id)
    ).all():
        designations[xid].append(cid)
    return _Exceptions(by_control, designations)


def _compensates(status: ControlStatus | None, type1: bool) -> bool:
    """Tested and concluded effective (for the whole period, by its own samples)."""
    if status is None:
        return False
    if type1:
        return status.final is ControlConclusion.DESIGNED
    if status.design is not None and status.design.fails:
        return False
    return status.final in EFFECTIVE_CONCLUSIONS and bool(status.samples)


def _control_statuses(
    uow: SqlUnitOfWork, eng: EngagementRow
) -> tuple[tuple[ControlStatus, ...], dict[int, ControlStatus], _Controls]:
    session = uow.session
    controls = _live_controls(uow, eng)
    type1 = eng.type == "type1"
    tallies = {} if type1 else _tallies(uow, eng, controls)
    designs = _designs(uow, eng)
    overrides = {
        cid: (conclusion, rationale)
        for cid, conclusion, rationale in session.execute(
            select(ControlConclusionRow.control_id, ControlConclusionRow.conclusion, ControlConclusionRow.rationale)
            .join(ControlRow, ControlRow.id == ControlConclusionRow.control_id)
            .where(ControlRow.engagement_id == eng.id)
        ).all()
    }
    exceptions = _open_exceptions(uow, eng)
    first: dict[int, ControlStatus] = {}
    for cid in controls.ids:
        samples = tuple(tallies.get(cid, ()))
        open_exceptions = exceptions.by_control.get(cid, [])
        outside = [x for x in open_exceptions if x[1] != "sample"]
        design = designs.get(cid)
        evaluation = evaluate_design(design) if type1 else evaluate_control(samples, other_exceptions=len(outside))
        override = overrides.get(cid)
        final = ControlConclusion(override[0]) if override else evaluation.computed
        first[cid] = ControlStatus(
            ref=controls.ref[cid],
            computed=evaluation.computed,
            final=final,
            rationale=override[1] if override else "",
            explanation=evaluation.explanation,
            evaluation=evaluation,
            samples=samples,
            exceptions=len(open_exceptions),
            result_text="",
            design=design,
            waiting_for=evaluation.waiting_for if final is evaluation.computed else "",
        )
    # Compensation needs every control's conclusion first.
    statuses: list[ControlStatus] = []
    by_id: dict[int, ControlStatus] = {}
    for cid in controls.ids:
        status = first[cid]
        open_exceptions = exceptions.by_control.get(cid, [])
        names: list[str] = []
        state = Compensation.NONE
        if open_exceptions:
            covered_all = True
            waiting = False
            for xid, _source, _text in open_exceptions:
                named = [c for c in exceptions.designations.get(xid, []) if c in first and c != cid]
                names += [first[c].ref for c in named]
                if any(_compensates(first[c], type1) for c in named):
                    continue
                covered_all = False
                if named and any(
                    first[c].final in (ControlConclusion.PENDING, ControlConclusion.EXCEPTIONS_NOTED) for c in named
                ):
                    waiting = True
            state = Compensation.COVERED if covered_all else Compensation.WAITING if waiting else Compensation.NONE
        names = list(dict.fromkeys(names))
        compensation_texts = [
            f"The auditor named {ref} as compensating for this exception; it was tested and operated effectively"
            for ref in names
            if state is Compensation.COVERED
        ]
        if status.final is ControlConclusion.NOT_TESTED:
            text = "The control did not operate during the period; no test of operating effectiveness was possible." + (
                f" {status.rationale.strip()}" if status.rationale.strip() else ""
            )
        else:
            outside_texts = [t for _x, source, t in open_exceptions if source != "sample"]
            text = result_wording(status.samples, outside_texts, type1, compensations=compensation_texts[:1])
        final_status = ControlStatus(
            ref=status.ref,
            computed=status.computed,
            final=status.final,
            rationale=status.rationale,
            explanation=status.explanation,
            evaluation=status.evaluation,
            samples=status.samples,
            exceptions=status.exceptions,
            result_text=text,
            design=status.design,
            compensation=state,
            compensated_by=tuple(names),
            waiting_for=status.waiting_for,
        )
        statuses.append(final_status)
        by_id[cid] = final_status
    return tuple(statuses), by_id, controls


def _criterion_statuses(
    uow: SqlUnitOfWork, eng: EngagementRow, by_id: dict[int, ControlStatus]
) -> tuple[CriterionStatus, ...]:
    session = uow.session
    type1 = eng.type == "type1"
    mapped: dict[str, list[int]] = defaultdict(list)
    for cid, criterion_id in session.execute(
        select(ControlCriterionRow.control_id, ControlCriterionRow.criterion_id)
        .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
        .where(ControlRow.engagement_id == eng.id, ControlRow.retired.is_(False))
    ).all():
        mapped[criterion_id].append(cid)
    overrides = {
        cid: (conclusion, rationale)
        for cid, conclusion, rationale in session.execute(
            select(
                CriterionConclusionRow.criterion_id, CriterionConclusionRow.conclusion, CriterionConclusionRow.rationale
            ).where(CriterionConclusionRow.engagement_id == eng.id)
        ).all()
    }
    out: list[CriterionStatus] = []
    for criterion in criteria_in_scope(categories_of(eng)):
        ids = sorted((i for i in mapped.get(criterion.id, []) if i in by_id), key=lambda i: by_id[i].ref)
        finding = conclude_criterion(
            (
                MappedControl(
                    by_id[i].ref,
                    by_id[i].final,
                    by_id[i].compensation,
                    by_id[i].compensated_by,
                    DesignConclusion.DESIGNED if type1 else by_id[i].design,
                    by_id[i].exceptions,
                )
                for i in ids
            ),
            type1=type1,
        )
        override = overrides.get(criterion.id)
        final = CriterionConclusion(override[0]) if override else finding.conclusion
        out.append(
            CriterionStatus(
                id=criterion.id,
                computed=finding.conclusion,
                final=final,
                rationale=override[1] if override else "",
                explanation=finding.explanation,
                controls=tuple(by_id[i].ref for i in ids),
                waiting_for=() if final.concluded else finding.waiting_for,
                parts=finding.parts,
                waiting_refs=() if final.concluded else finding.waiting_refs,
            )
        )
    return tuple(out)


def _matters(uow: SqlUnitOfWork, eng_id: int) -> tuple[MatterRecord, ...]:
    rows = uow.session.scalars(select(MatterRow).where(MatterRow.engagement_id == eng_id).order_by(MatterRow.id))
    return tuple(MatterRecord(r.id, MatterKind(r.kind), r.description, r.material, r.pervasive) for r in rows)


def _recorded(row: OpinionRow | None) -> RecordedOpinion | None:
    if row is None:
        return None
    parts = json.loads(row.parts_json or "{}")
    return RecordedOpinion(
        Opinion(row.opinion),
        ProposedOpinion(row.proposed),
        row.basis,
        row.decided_by,
        row.decided_at,
        row.override_reason,
        tuple((str(k), str(v)) for k, v in parts.items()),
    )


def stored_opinion(uow: SqlUnitOfWork, eng_id: int) -> RecordedOpinion | None:
    """The recorded opinion as the services return it (None: none yet), inside the caller's ``with uow``."""
    return _recorded(uow.session.get(OpinionRow, eng_id))


def _conclusions(uow: SqlUnitOfWork, eng: EngagementRow) -> EngagementConclusions:
    controls, by_id, _ = _control_statuses(uow, eng)
    criteria = _criterion_statuses(uow, eng, by_id)
    matters = _matters(uow, eng.id)
    type1 = eng.type == "type1"
    proposal = propose_opinion(
        [CriterionInput(c.id, c.final, c.parts, c.waiting_for, c.waiting_refs) for c in criteria],
        [Matter(m.kind, m.description, m.material, m.pervasive) for m in matters],
        type1=type1,
    )
    return EngagementConclusions(
        controls, criteria, proposal, _recorded(uow.session.get(OpinionRow, eng.id)), matters, type1
    )


def engagement_conclusions(uow: SqlUnitOfWork, engagement: str | int) -> EngagementConclusions:
    """Every control's and criterion's conclusion and the proposed opinion."""
    with uow:
        return _conclusions(uow, engagement_row(uow, engagement))


# ---- the auditor's decisions --------------------------------------------------------


def set_control_conclusion(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    conclusion: ControlConclusion | str,
    *,
    rationale: str = "",
    expected_version: str | None = None,
) -> ControlStatus:
    """Record the auditor's conclusion; a rationale is required when it differs from the computed one.

    ``expected_version`` is the version of the recorded conclusion the editor loaded
    (``versioning.record_version(..., "control_conclusion", ref)``); a conclusion
    recorded by someone else since is refused with ``ConflictError``.
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "control.conclusion")
        ctrl = control_row(uow, eng.id, control)
        _check_control_decision(
            uow, expected_version, eng.id, ctrl, {"conclusion": str(conclusion), "rationale": rationale}
        )
        if eng.type == "type1":
            raise ValidationError(
                "A Type 1 control is concluded by its walkthrough; record the walkthrough's conclusion instead."
            )
        chosen = parse_enum(ControlConclusion, conclusion, "control conclusion")
        if chosen not in AUDITOR_CONCLUSIONS:
            raise ValidationError(
                "The auditor concludes effective, effective_with_exceptions, not_effective or not_tested."
            )
        _, by_id, _ = _control_statuses(uow, eng)
        if ctrl.id not in by_id:
            raise ValidationError(f"Control {ctrl.ref} is retired; restore it before concluding on it.")
        computed = by_id[ctrl.id].computed
        rationale = rationale.strip()
        if chosen is ControlConclusion.NOT_TESTED and not rationale:
            raise ValidationError(
                "Say why the control was not tested (for example: no changes occurred in the period)."
            )
        if chosen is not computed and not rationale:
            raise ValidationError(
                f"The computed conclusion is “{computed.label}”; give your rationale for concluding “{chosen.label}”."
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
        before_status = by_id[ctrl.id]
        if ControlConclusion.NOT_TESTED in (chosen, before_status.final):
            # The section 4 text changes form: read it afresh.
            _, by_id, _ = _control_statuses(uow, eng)
            after_status = by_id[ctrl.id]
        else:
            # Only this control's final and rationale change; its compensation depends on others.
            after_status = replace(before_status, final=chosen, rationale=rationale, waiting_for="")
        uow.commit()
    return after_status


def _check_control_decision(
    uow: SqlUnitOfWork, expected_version: str | None, eng_id: int, ctrl: ControlRow, mine: object
) -> None:
    versioning.check(
        uow,
        expected_version,
        versioning.recorded_control_conclusion(uow, ctrl.id),
        what=f"The conclusion on control {ctrl.ref}",
        entity="control",
        entity_id=ctrl.id,
        engagement_id=eng_id,
        mine=mine,
        actions=("control.conclusion",),
    )


def clear_control_conclusion(
    uow: SqlUnitOfWork, engagement: str | int, control: str | int, *, expected_version: str | None = None
) -> ControlStatus:
    """Go back to the computed conclusion."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "control.conclusion")
        ctrl = control_row(uow, eng.id, control)
        _check_control_decision(uow, expected_version, eng.id, ctrl, None)
        row = uow.session.get(ControlConclusionRow, ctrl.id)
        if row is not None:
            before = {"conclusion": row.conclusion, "rationale": row.rationale}
            uow.session.delete(row)
            trail.record(uow, "control.conclusion", "control", ctrl.id, engagement_id=eng.id, before=before)
            uow.session.flush()
        _, by_id, _ = _control_statuses(uow, eng)
        uow.commit()
    if ctrl.id not in by_id:
        raise ValidationError(f"Control {ctrl.ref} is retired.")
    return by_id[ctrl.id]


def _in_scope(eng: EngagementRow, criterion: str) -> str:
    cid = criterion.strip().upper()
    if cid not in {c.id for c in criteria_in_scope(categories_of(eng))}:
        raise NotFoundError(f"{criterion} is not an in-scope criterion of engagement {eng.ref}.")
    return cid


def set_criterion_conclusion(
    uow: SqlUnitOfWork,
    engagement: str | int,
    criterion: str,
    conclusion: CriterionConclusion | str | None,
    *,
    rationale: str = "",
    expected_version: str | None = None,
) -> CriterionStatus:
    """Override a criterion's conclusion with a rationale (None goes back to the computed one).

    The rationale of a criterion whose controls did not operate is the paragraph
    the report carries; "not relevant" needs the reason the description states.
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "criterion.conclusion")
        cid = _in_scope(eng, criterion)
        versioning.check(
            uow,
            expected_version,
            versioning.recorded_criterion_conclusion(uow, eng.id, cid),
            what=f"The conclusion on criterion {cid}",
            entity="criterion",
            entity_id=cid,
            engagement_id=eng.id,
            mine=None if conclusion is None else {"conclusion": str(conclusion), "rationale": rationale},
        )
        row = uow.session.get(CriterionConclusionRow, (eng.id, cid))
        before = None if row is None else {"conclusion": row.conclusion, "rationale": row.rationale}
        if conclusion is None:
            if row is not None:
                uow.session.delete(row)
            after = None
        else:
            chosen = parse_enum(CriterionConclusion, conclusion, "criterion conclusion")
            if chosen not in AUDITOR_CRITERION_CONCLUSIONS:
                raise ValidationError("A criterion is concluded met, met_with_exceptions, not_met or not_relevant.")
            rationale = require_text(rationale, "rationale for the criterion conclusion")
            if chosen is CriterionConclusion.NOT_RELEVANT and any(
                True
                for _ in uow.session.scalars(
                    select(ControlCriterionRow.control_id)
                    .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
                    .where(
                        ControlRow.engagement_id == eng.id,
                        ControlRow.retired.is_(False),
                        ControlCriterionRow.criterion_id == cid,
                    )
                    .limit(1)
                )
            ):
                raise ValidationError(
                    f"Controls are mapped to {cid}; unmap them before marking the criterion not relevant."
                )
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


def mark_not_relevant(uow: SqlUnitOfWork, engagement: str | int, criterion: str, *, reason: str) -> CriterionStatus:
    """Mark an in-scope criterion not relevant to the system, with the reason the description states."""
    if not reason.strip():
        raise ValidationError("Give the reason the criterion is not relevant; the system description states it.")
    return set_criterion_conclusion(uow, engagement, criterion, CriterionConclusion.NOT_RELEVANT, rationale=reason)


def add_matter(
    uow: SqlUnitOfWork,
    engagement: str | int,
    kind: MatterKind | str,
    description: str,
    *,
    material: bool,
    pervasive: bool = False,
) -> MatterRecord:
    """Record a description misstatement, a scope limitation, or the partner's pervasiveness judgement."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "matter.add")
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
        trail.ensure_writable(uow, eng.id, "matter.delete")
        row = uow.session.get(MatterRow, matter_id)
        if row is None or row.engagement_id != eng.id:
            raise NotFoundError(f"There is no matter {matter_id} in this engagement.")
        before = MatterRecord(row.id, MatterKind(row.kind), row.description, row.material, row.pervasive)
        uow.session.delete(row)
        trail.record(uow, "matter.delete", "matter", matter_id, engagement_id=eng.id, before=before)
        uow.commit()


# ---- exceptions: compensation and evaluation -------------------------------------


def _exception_row(uow: SqlUnitOfWork, eng: EngagementRow, exception_id: int) -> ExceptionRow:
    row = uow.session.get(ExceptionRow, exception_id) if 0 < exception_id < 2**63 else None
    if row is None or row.engagement_id != eng.id:
        raise NotFoundError(
            f"There is no exception {exception_id} in engagement {eng.ref}; 'auditdesk exceptions {eng.ref}' "
            "lists them."
        )
    return row


def designate_compensation(
    uow: SqlUnitOfWork, engagement: str | int, exception_id: int, control: str | int, *, reason: str
) -> CompensationRecord:
    """Name a compensating control for one exception, with the reason it addresses the same risk.

    The control must itself have been tested and concluded effective (for a
    Type 1, suitably designed): an untested control cannot compensate for anything.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "exception.compensate")
        exc = _exception_row(uow, eng, exception_id)
        ctrl = control_row(uow, eng.id, control)
        if ctrl.id == exc.control_id:
            raise ValidationError("A control cannot compensate for its own exception.")
        reason = reason.strip()
        if len(reason.split()) < 3:
            raise ValidationError(
                f"Say why {ctrl.ref} addresses the same risk as the exception; the reviewer needs the reasoning."
            )
        _, by_id, _ = _control_statuses(uow, eng)
        status = by_id.get(ctrl.id)
        type1 = eng.type == "type1"
        if not _compensates(status, type1):
            now = status.final.label.lower() if status is not None else "retired"
            raise ValidationError(
                f"{ctrl.ref} cannot compensate yet: a compensating control must itself be tested and concluded "
                f"{'suitably designed' if type1 else 'effective for the whole period'} (it is {now})."
            )
        existing = uow.session.scalars(
            select(CompensationRow).where(CompensationRow.exception_id == exc.id, CompensationRow.control_id == ctrl.id)
        ).first()
        before = None
        if existing is None:
            existing = CompensationRow(exception_id=exc.id, control_id=ctrl.id)
            uow.session.add(existing)
        else:
            before = {"reason": existing.reason}
        existing.reason = reason
        existing.designated_by = uow.actor
        existing.designated_at = _now()
        uow.session.flush()
        record = CompensationRecord(
            existing.id, exc.id, ctrl.ref, reason, existing.designated_by, existing.designated_at
        )
        trail.record(
            uow, "exception.compensate", "exception", exc.id, engagement_id=eng.id, before=before, after=record
        )
        uow.commit()
    return record


def withdraw_compensation(uow: SqlUnitOfWork, engagement: str | int, exception_id: int, control: str | int) -> None:
    """Withdraw a designation (kept in the audit trail)."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "exception.compensate")
        exc = _exception_row(uow, eng, exception_id)
        ctrl = control_row(uow, eng.id, control)
        row = uow.session.scalars(
            select(CompensationRow).where(CompensationRow.exception_id == exc.id, CompensationRow.control_id == ctrl.id)
        ).first()
        if row is None:
            raise NotFoundError(f"{ctrl.ref} is not named as compensating for exception {exc.id}.")
        before = CompensationRecord(row.id, exc.id, ctrl.ref, row.reason, row.designated_by, row.designated_at)
        uow.session.delete(row)
        trail.record(uow, "exception.uncompensate", "exception", exc.id, engagement_id=eng.id, before=before)
        uow.commit()


def list_compensations(
    uow: SqlUnitOfWork, engagement: str | int, exception_id: int | None = None
) -> tuple[CompensationRecord, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        query = (
            select(CompensationRow, ControlRow.ref)
            .join(ControlRow, ControlRow.id == CompensationRow.control_id)
            .join(ExceptionRow, ExceptionRow.id == CompensationRow.exception_id)
            .where(ExceptionRow.engagement_id == eng.id)
            .order_by(CompensationRow.id)
        )
        if exception_id is not None:
            query = query.where(CompensationRow.exception_id == exception_id)
        return tuple(
            CompensationRecord(r.id, r.exception_id, ref, r.reason, r.designated_by, r.designated_at)
            for r, ref in uow.session.execute(query).all()
        )


def evaluate_exception(
    uow: SqlUnitOfWork,
    engagement: str | int,
    exception_id: int,
    *,
    evaluation: str,
    expected_version: str | None = None,
) -> None:
    """Record the auditor's evaluation of an exception: its nature, cause and effect on the control.

    ``expected_version`` is the version of the exception record the editor loaded.
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "exception.evaluate")
        exc = _exception_row(uow, eng, exception_id)
        if expected_version is not None:
            from auditdesk.services import testing

            current = testing.exception_record(uow, eng.id, exc.id)
            testing.check_exception(uow, expected_version, current, eng.id, mine={"evaluation": evaluation})
        text = require_text(evaluation, "evaluation of the exception")
        before = {"evaluation": exc.evaluation}
        exc.evaluation = text
        exc.evaluated_by = uow.actor
        exc.evaluated_at = _now()
        trail.record(
            uow,
            "exception.evaluate",
            "exception",
            exc.id,
            engagement_id=eng.id,
            before=before,
            after={"evaluation": text},
        )
        uow.commit()


# ---- representations and the opinion -----------------------------------------------


def _period_end(eng: EngagementRow) -> dt.date | None:
    return eng.as_of_date if eng.type == "type1" else eng.period_end


def _date_text(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def record_representations(uow: SqlUnitOfWork, engagement: str | int, *, dated: dt.date) -> Representations:
    """Management's written representations received, dated as of the report date (AT-C 205.50)."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "engagement.representations")
        end = _period_end(eng)
        if end is not None and dated < end:
            raise ValidationError(
                f"The representations are dated {_date_text(dated)}, before the "
                f"{'as-of date' if eng.type == 'type1' else 'end of the period'} ({_date_text(end)}); "
                "they are dated as of the report date."
            )
        if dated > dt.date.today() + dt.timedelta(days=1):
            raise ValidationError(f"The representations cannot be dated in the future ({_date_text(dated)}).")
        before = None if eng.representations_date is None else {"dated": eng.representations_date}
        eng.representations_date = dated
        eng.representations_by = uow.actor
        eng.representations_at = _now()
        record = Representations(eng.ref, dated, uow.actor, eng.representations_at)
        trail.record(
            uow,
            "engagement.representations",
            "engagement",
            eng.id,
            engagement_id=eng.id,
            before=before,
            after=record,
        )
        uow.commit()
    return record


def _unevaluated_exceptions(uow: SqlUnitOfWork, eng: EngagementRow) -> list[str]:
    """Open exceptions with neither an evaluation, a compensating control, nor a later control conclusion."""
    compensated = set(
        uow.session.scalars(
            select(CompensationRow.exception_id)
            .join(ExceptionRow, ExceptionRow.id == CompensationRow.exception_id)
            .where(ExceptionRow.engagement_id == eng.id)
        )
    )
    concluded = dict(
        uow.session.execute(
            select(ControlConclusionRow.control_id, ControlConclusionRow.decided_at)
            .join(ControlRow, ControlRow.id == ControlConclusionRow.control_id)
            .where(ControlRow.engagement_id == eng.id)
        ).all()
    )
    missing: list[str] = []
    for xid, cid, evaluation, created_at, ref in uow.session.execute(
        select(
            ExceptionRow.id, ExceptionRow.control_id, ExceptionRow.evaluation, ExceptionRow.created_at, ControlRow.ref
        )
        .join(ControlRow, ControlRow.id == ExceptionRow.control_id)
        .where(ExceptionRow.engagement_id == eng.id, ExceptionRow.status == "open", ControlRow.retired.is_(False))
        .order_by(ExceptionRow.id)
    ).all():
        decided = concluded.get(cid)
        if evaluation.strip() or xid in compensated or (decided is not None and decided >= created_at):
            continue
        missing.append(f"{xid} ({ref})")
    return missing


def opinion_blockers(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    today: dt.date | None = None,
    known: EngagementConclusions | None = None,
) -> tuple[str, ...]:
    """Why an opinion cannot be recorded yet (empty when it can), in plain sentences.

    ``known`` passes conclusions the caller has just read, so a screen computes them once per reload.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        return _blockers(uow, eng, today or dt.date.today(), known)


def _blockers(
    uow: SqlUnitOfWork, eng: EngagementRow, today: dt.date, known: EngagementConclusions | None = None
) -> tuple[str, ...]:
    blockers: list[str] = []
    end = _period_end(eng)
    if end is None or today <= end:
        when = _date_text(end) if end is not None else "an unset date"
        blockers.append(
            f"The {'as-of date' if eng.type == 'type1' else 'period'} has not passed yet ({when}); "
            "an opinion is recorded after it."
        )
    conclusions = known if known is not None else _conclusions(uow, eng)
    open_criteria = [c.id for c in conclusions.criteria if not c.final.concluded]
    if open_criteria:
        shown = ", ".join(open_criteria[:10]) + ("…" if len(open_criteria) > 10 else "")
        blockers.append(f"{len(open_criteria)} in-scope criteria are not concluded or marked not relevant ({shown}).")
    unevaluated = _unevaluated_exceptions(uow, eng)
    if unevaluated:
        shown = ", ".join(unevaluated[:8]) + ("…" if len(unevaluated) > 8 else "")
        blockers.append(f"{len(unevaluated)} open exception(s) are not evaluated yet: {shown}.")
    if eng.representations_date is None:
        blockers.append("Management's written representations are not recorded yet.")
    return tuple(blockers)


def _partners(uow: SqlUnitOfWork, eng: EngagementRow) -> list[str]:
    return list(
        uow.session.scalars(
            select(PersonRow.initials)
            .join(TeamMemberRow, TeamMemberRow.person_id == PersonRow.id)
            .where(TeamMemberRow.engagement_id == eng.id, TeamMemberRow.role == "partner")
        ).all()
    )


def can_record_opinion(uow: SqlUnitOfWork, engagement: str | int, actor: str) -> str:
    """Empty when ``actor`` is an engagement partner of this engagement, else the sentence why not."""
    with uow:
        eng = engagement_row(uow, engagement)
        partners = _partners(uow, eng)
    if actor in partners:
        return ""
    who = ", ".join(partners) or "nobody yet: assign a partner to the team"
    return f"Only the engagement partner records the opinion ({who}); you are acting as {actor or 'nobody'}."


def record_opinion(
    uow: SqlUnitOfWork,
    engagement: str | int,
    opinion: Opinion | str,
    *,
    basis: str = "",
    override_reason: str = "",
    parts: dict[str, str] | None = None,
    today: dt.date | None = None,
    expected_version: str | None = None,
) -> RecordedOpinion:
    """The engagement partner records the opinion, once its preconditions hold.

    Preconditions (AT-C 205 and DOMAIN.md): the period or as-of date has passed;
    every in-scope criterion is concluded or marked not relevant; open exceptions
    are evaluated; management's written representations are on file. A modified
    opinion carries a substantive basis paragraph naming the criteria or matters;
    an opinion other than the proposal carries the partner's reason.
    ``expected_version`` is the version of the recorded opinion the partner loaded
    (``versioning.record_version(..., "opinion")``, ``versioning.ABSENT`` when none
    was recorded); an opinion recorded by someone else since is refused with ``ConflictError``.
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "opinion.record")
        chosen = parse_enum(Opinion, opinion, "opinion")
        partners = _partners(uow, eng)
        if uow.actor not in partners:
            who = ", ".join(partners) or "nobody yet: assign a partner to the team"
            raise ValidationError(
                f"Only the engagement partner records the opinion ({who}); you are acting as {uow.actor}."
            )
        versioning.check(
            uow,
            expected_version,
            stored_opinion(uow, eng.id),
            what="The opinion",
            entity="opinion",
            entity_id=eng.id,
            engagement_id=eng.id,
            mine={"opinion": chosen.value, "basis": basis.strip(), "override_reason": override_reason.strip()},
        )
        blockers = _blockers(uow, eng, today or dt.date.today())
        if blockers:
            raise ValidationError("The opinion cannot be recorded yet. " + " ".join(blockers))
        conclusions = _conclusions(uow, eng)
        proposal = conclusions.proposal
        basis = basis.strip()
        if chosen is not Opinion.UNMODIFIED:
            named = [c.id for c in conclusions.criteria if c.final.failing] + [
                m.description for m in conclusions.matters
            ]
            if len(basis.split()) < MIN_BASIS_WORDS or (
                named and not any(n.upper() in basis.upper() for n in named if n)
            ):
                raise ValidationError(
                    f"A {chosen.value} opinion needs a basis paragraph that names the criteria or matters "
                    f"concerned and what was found (at least {MIN_BASIS_WORDS} words)."
                )
        override_reason = override_reason.strip()
        if proposal.opinion.value != chosen.value and not override_reason:
            raise ValidationError(
                f"The proposal is {proposal.opinion.value}; give your reason for recording a {chosen.value} opinion."
            )
        chosen_parts = {p.part.value: p.opinion.value for p in proposal.parts}
        if parts:
            for key, value in parts.items():
                part = parse_enum(OpinionPart, key, "opinion part")
                chosen_parts[part.value] = parse_enum(Opinion, value, "opinion").value
        row = uow.session.get(OpinionRow, eng.id)
        before = None if row is None else {"opinion": row.opinion, "basis": row.basis}
        if row is None:
            row = OpinionRow(engagement_id=eng.id)
            uow.session.add(row)
        row.opinion = chosen.value
        row.proposed = proposal.opinion.value
        row.basis = basis
        row.override_reason = override_reason
        row.parts_json = json.dumps(chosen_parts, sort_keys=True)
        row.decided_at = _now()
        row.decided_by = uow.actor
        record = _recorded(row)
        assert record is not None
        trail.record(uow, "opinion.record", "opinion", eng.id, engagement_id=eng.id, before=before, after=record)
        uow.commit()
    return record
