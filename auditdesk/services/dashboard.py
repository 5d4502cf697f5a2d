"""Read-only figures for the desktop dashboard and the engagement list.

Counts are computed with aggregate queries rather than by loading every
control, so the overview stays quick for engagements with thousands of controls.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from auditdesk.catalog import criteria_in_scope
from auditdesk.conclusions import OPEN_CONCLUSIONS, ControlConclusion, OpinionProposal
from auditdesk.domain import (
    DESCRIPTION_SECTIONS,
    Attribute,
    Engagement,
    Procedure,
    ProcedureType,
    TestPlan,
)
from auditdesk.services._common import categories_of, engagement_record, engagement_row
from auditdesk.services.conclusions import EngagementConclusions, RecordedOpinion, engagement_conclusions
from auditdesk.services.controls import plan_warnings
from auditdesk.storage.schema import (
    AttributeRow,
    ControlCriterionRow,
    ControlRow,
    CsocRow,
    CuecRow,
    DescriptionSectionRow,
    EngagementRow,
    ProcedureRow,
    SubserviceOrgRow,
)
from auditdesk.storage.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class PlanStatusCounts:
    """Controls by test-plan status."""

    no_plan: int = 0
    incomplete: int = 0
    planned: int = 0

    @property
    def total(self) -> int:
        return self.no_plan + self.incomplete + self.planned


@dataclass(frozen=True, slots=True)
class FieldworkStatusCounts:
    """Controls by where their test stands: planning stages, then the final conclusion.

    A control concluded by the auditor (or computed as concluded) counts under
    its conclusion whatever its plan; the others under their plan status, a
    planned control split by whether a sample has been drawn for it yet.
    """

    no_plan: int = 0
    incomplete: int = 0
    planned: int = 0  # planned, no sample drawn yet
    in_testing: int = 0  # sampled, results still to record
    exceptions_noted: int = 0  # non-statistical deviations: the auditor concludes
    effective: int = 0
    effective_with_exceptions: int = 0
    not_effective: int = 0
    not_tested: int = 0
    sampled: int = 0  # controls with at least one sample (any status)

    @property
    def total(self) -> int:
        return (
            self.no_plan
            + self.incomplete
            + self.planned
            + self.in_testing
            + self.exceptions_noted
            + self.effective
            + self.effective_with_exceptions
            + self.not_effective
            + self.not_tested
        )


class _Stages:
    """Planning, testing and review progress, each 0.0 to 1.0, from the counts of a dataclass.

    Planning: criteria covered by a control and complete test plans. Testing:
    controls whose test is concluded. Review: in-scope criteria concluded (a
    criterion no control covers is open, never concluded) and the opinion
    recorded by the partner.
    """

    __slots__ = ()
    controls: int
    planned: int
    criteria_in_scope: int
    criteria_covered: int
    controls_concluded: int
    criteria_concluded: int
    opinion_recorded: bool

    @property
    def planning(self) -> float:
        """Mean of criteria coverage and test-plan completion."""
        coverage = self.criteria_covered / self.criteria_in_scope if self.criteria_in_scope else 0.0
        plans = self.planned / self.controls if self.controls else 0.0
        return (coverage + plans) / 2

    @property
    def readiness(self) -> float:
        """Planning readiness: the planning figure."""
        return self.planning

    @property
    def testing(self) -> float:
        return self.controls_concluded / self.controls if self.controls else 0.0

    @property
    def review(self) -> float:
        """Criteria concluded, the partner's recorded opinion counting as one more step."""
        return (self.criteria_concluded + int(self.opinion_recorded)) / (self.criteria_in_scope + 1)


@dataclass(frozen=True, slots=True)
class Progress(_Stages):
    """How far an engagement has come, stage by stage."""

    controls: int
    planned: int
    criteria_in_scope: int
    criteria_covered: int
    controls_concluded: int = 0
    criteria_concluded: int = 0
    opinion_recorded: bool = False


@dataclass(frozen=True, slots=True)
class EngagementProgress(_Stages):
    """One line of the engagement list: the engagement and its planning, testing and review progress."""

    engagement: Engagement
    controls: int
    planned: int
    criteria_in_scope: int
    criteria_covered: int
    controls_concluded: int = 0
    criteria_concluded: int = 0
    opinion_recorded: bool = False


@dataclass(frozen=True, slots=True)
class DesignStatusCounts:
    """Live controls by the conclusion of their latest walkthrough (test of design and implementation)."""

    designed: int = 0
    not_designed: int = 0
    not_implemented: int = 0
    not_walked_through: int = 0

    @property
    def total(self) -> int:
        return self.designed + self.not_designed + self.not_implemented + self.not_walked_through

    @property
    def walked_through(self) -> int:
        return self.total - self.not_walked_through


def _design_status(conclusions: EngagementConclusions) -> DesignStatusCounts:
    counts = Counter(c.design.value if c.design is not None else "not_walked_through" for c in conclusions.controls)
    return DesignStatusCounts(**{name: counts[name] for name in DesignStatusCounts.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class EngagementOverview:
    """The figures of the engagement dashboard, all read in one unit of work."""

    engagement: Engagement
    controls: int
    key_controls: int
    plan_status: PlanStatusCounts
    criteria_in_scope: int
    criteria_covered: int
    uncovered: tuple[str, ...]
    sections_written: int
    sections_total: int
    cuecs: int
    subservice_orgs: int
    csocs: int
    test_status: FieldworkStatusCounts = FieldworkStatusCounts()
    progress: Progress | None = None
    proposal: OpinionProposal | None = None  # the app's suggestion; its opinion is "pending" while criteria are open
    recorded: RecordedOpinion | None = None  # the partner's decision
    design_status: DesignStatusCounts = DesignStatusCounts()


def _concluded(conclusions: EngagementConclusions) -> tuple[int, int]:
    """Controls whose test is concluded, and in-scope criteria concluded (never one without a control)."""
    controls = sum(1 for c in conclusions.controls if c.final not in OPEN_CONCLUSIONS)
    criteria = sum(1 for k in conclusions.criteria if k.final.concluded)
    return controls, criteria


def _plan_status(
    control_ids: Iterable[int],
    procedures: dict[int, list[ProcedureType]],
    attributes: dict[int, int],
) -> PlanStatusCounts:
    no_plan = incomplete = planned = 0
    for cid in control_ids:
        kinds = procedures.get(cid, [])
        letters = attributes.get(cid, 0)
        if not kinds and not letters:
            no_plan += 1
            continue
        # Rebuild a skeleton plan so plan_warnings stays the one rule of "complete".
        plan = TestPlan(
            procedures=tuple(Procedure(i, kind, "") for i, kind in enumerate(kinds, start=1)),
            attributes=tuple(Attribute(str(i), "") for i in range(letters)),
        )
        if plan_warnings(plan):
            incomplete += 1
        else:
            planned += 1
    return PlanStatusCounts(no_plan, incomplete, planned)


# Retired controls are kept for the record but are out of the report and its figures.
_LIVE = ControlRow.retired.is_(False)

_CONCLUDED = {
    ControlConclusion.EXCEPTIONS_NOTED: "exceptions_noted",
    ControlConclusion.EFFECTIVE: "effective",
    ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS: "effective_with_exceptions",
    ControlConclusion.NOT_EFFECTIVE: "not_effective",
    ControlConclusion.NOT_TESTED: "not_tested",
}


def _test_status(
    conclusions: EngagementConclusions,
    controls: list[tuple[int, str]],
    procedures: dict[int, list[ProcedureType]],
    attributes: dict[int, int],
) -> FieldworkStatusCounts:
    """Each control's final conclusion (services.engagement_conclusions), else its plan status."""
    statuses = {c.ref: c for c in conclusions.controls}
    counts = dict.fromkeys(("no_plan", "incomplete", "planned", "in_testing", *_CONCLUDED.values()), 0)
    sampled = 0
    for cid, ref in controls:
        status = statuses.get(ref)
        has_samples = status is not None and bool(status.samples)
        sampled += has_samples
        if status is not None and status.final in _CONCLUDED:
            counts[_CONCLUDED[status.final]] += 1
            continue
        plan = _plan_status([cid], procedures, attributes)
        if plan.no_plan or plan.incomplete:
            counts["no_plan" if plan.no_plan else "incomplete"] += 1
        else:
            counts["in_testing" if has_samples else "planned"] += 1
    return FieldworkStatusCounts(**counts, sampled=sampled)


def _plan_parts(uow: SqlUnitOfWork, engagement_ids: list[int]) -> tuple[dict[int, list[ProcedureType]], dict[int, int]]:
    procedures: dict[int, list[ProcedureType]] = defaultdict(list)
    for cid, kind in uow.session.execute(
        select(ProcedureRow.control_id, ProcedureRow.type)
        .join(ControlRow, ControlRow.id == ProcedureRow.control_id)
        .where(ControlRow.engagement_id.in_(engagement_ids), ProcedureRow.retired.is_(False))
    ):
        procedures[cid].append(ProcedureType(kind))
    # list() first: a Result has .keys(), so dict() would take it for a mapping.
    attributes = dict(
        list(
            uow.session.execute(
                select(AttributeRow.control_id, func.count())
                .join(ControlRow, ControlRow.id == AttributeRow.control_id)
                .where(ControlRow.engagement_id.in_(engagement_ids), AttributeRow.retired.is_(False))
                .group_by(AttributeRow.control_id)
            )
        )
    )
    return procedures, attributes


def _mapped_criteria(uow: SqlUnitOfWork, engagement_ids: list[int]) -> dict[int, set[str]]:
    mapped: dict[int, set[str]] = defaultdict(set)
    for eng_id, cid in uow.session.execute(
        select(ControlRow.engagement_id, ControlCriterionRow.criterion_id)
        .join(ControlRow, ControlRow.id == ControlCriterionRow.control_id)
        .where(ControlRow.engagement_id.in_(engagement_ids), _LIVE)
        .distinct()
    ):
        mapped[eng_id].add(cid)
    return mapped


def engagement_overview(uow: SqlUnitOfWork, engagement: str | int) -> EngagementOverview:
    """Counts for the dashboard: progress by stage, controls, plan status, coverage, description, the opinion."""
    with uow:
        row = engagement_row(uow, engagement)
        session = uow.session
        controls = list(
            session.execute(
                select(ControlRow.id, ControlRow.key, ControlRow.ref).where(ControlRow.engagement_id == row.id, _LIVE)
            )
        )
        procedures, attributes = _plan_parts(uow, [row.id])
        in_scope = [c.id for c in criteria_in_scope(categories_of(row))]
        mapped = _mapped_criteria(uow, [row.id]).get(row.id, set())
        written = session.scalar(
            select(func.count())
            .select_from(DescriptionSectionRow)
            .where(DescriptionSectionRow.engagement_id == row.id, func.trim(DescriptionSectionRow.body) != "")
        )
        cuecs = session.scalar(select(func.count()).select_from(CuecRow).where(CuecRow.engagement_id == row.id))
        orgs = session.scalar(
            select(func.count()).select_from(SubserviceOrgRow).where(SubserviceOrgRow.engagement_id == row.id)
        )
        csocs = session.scalar(
            select(func.count())
            .select_from(CsocRow)
            .join(SubserviceOrgRow, SubserviceOrgRow.id == CsocRow.subservice_id)
            .where(SubserviceOrgRow.engagement_id == row.id)
        )
        conclusions = engagement_conclusions(uow, row.id)
        plan_status = _plan_status((cid for cid, _, _ in controls), procedures, attributes)
        covered = sum(1 for c in in_scope if c in mapped)
        controls_concluded, criteria_concluded = _concluded(conclusions)
        return EngagementOverview(
            engagement=engagement_record(row),
            controls=len(controls),
            key_controls=sum(1 for _, key, _ in controls if key),
            plan_status=plan_status,
            criteria_in_scope=len(in_scope),
            criteria_covered=covered,
            uncovered=tuple(c for c in in_scope if c not in mapped),
            sections_written=int(written or 0),
            sections_total=len(DESCRIPTION_SECTIONS),
            cuecs=int(cuecs or 0),
            subservice_orgs=int(orgs or 0),
            csocs=int(csocs or 0),
            test_status=_test_status(conclusions, [(cid, ref) for cid, _, ref in controls], procedures, attributes),
            progress=Progress(
                controls=len(controls),
                planned=plan_status.planned,
                criteria_in_scope=len(in_scope),
                criteria_covered=covered,
                controls_concluded=controls_concluded,
                criteria_concluded=criteria_concluded,
                opinion_recorded=conclusions.recorded is not None,
            ),
            proposal=conclusions.proposal,
            recorded=conclusions.recorded,
            design_status=_design_status(conclusions),
        )


def engagement_progress(uow: SqlUnitOfWork) -> tuple[EngagementProgress, ...]:
    """Every engagement with its planning, testing and review progress, in creation order."""
    with uow:
        rows = list(uow.session.scalars(select(EngagementRow).order_by(EngagementRow.id)))
        ids = [r.id for r in rows]
        by_engagement: dict[int, list[int]] = defaultdict(list)
        for eng_id, cid in uow.session.execute(
            select(ControlRow.engagement_id, ControlRow.id).where(ControlRow.engagement_id.in_(ids), _LIVE)
        ):
            by_engagement[eng_id].append(cid)
        procedures, attributes = _plan_parts(uow, ids)
        mapped = _mapped_criteria(uow, ids)
        result = []
        for row in rows:
            in_scope = [c.id for c in criteria_in_scope(categories_of(row))]
            covered = mapped.get(row.id, set())
            control_ids = by_engagement.get(row.id, [])
            conclusions = engagement_conclusions(uow, row.id)
            controls_concluded, criteria_concluded = _concluded(conclusions)
            result.append(
                EngagementProgress(
                    engagement=engagement_record(row),
                    controls=len(control_ids),
                    planned=_plan_status(control_ids, procedures, attributes).planned,
                    criteria_in_scope=len(in_scope),
                    criteria_covered=sum(1 for c in in_scope if c in covered),
                    controls_concluded=controls_concluded,
                    criteria_concluded=criteria_concluded,
                    opinion_recorded=conclusions.recorded is not None,
                )
            )
        return tuple(result)


def control_count(uow: SqlUnitOfWork, engagement: str | int) -> int:
    """How many controls the engagement has (cheap; decides how the GUI loads them)."""
    with uow:
        row = engagement_row(uow, engagement)
        count = uow.session.scalar(
            select(func.count()).select_from(ControlRow).where(ControlRow.engagement_id == row.id)
        )
        return int(count or 0)
