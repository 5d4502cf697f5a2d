"""Conclusions: control, criterion and opinion, computed from the evidence.

These are the app's *suggestions*; the auditor records a different control or
criterion conclusion with a rationale, and the partner decides the opinion.
The rules follow DOMAIN.md and the standards it cites:

- AU-C 530 (evaluating a sample): items not tested do not count; a statistical
  sample compares the upper deviation limit with the tolerable rate; when every
  item of the population is tested there is no sampling risk; a non-statistical
  sample is evaluated by the auditor under the firm's tolerance rules; an
  extension after a deviation is a planned sequential step and the deviation
  stays to be evaluated.
- AT-C 205 (the examination): a deviation changes the opinion only when the
  criterion is no longer met; another control compensates only when the auditor
  names it for that exception with a reason and it was itself tested and found
  effective; a criterion is concluded only when every control mapped to it is;
  materiality and pervasiveness are the engagement partner's judgements.

Nothing here touches the store: the services build the inputs from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import sampling


class ControlConclusion(StrEnum):
    PENDING = "pending"
    EFFECTIVE = "effective"
    EFFECTIVE_WITH_EXCEPTIONS = "effective_with_exceptions"
    EXCEPTIONS_NOTED = "exceptions_noted"
    NOT_EFFECTIVE = "not_effective"
    NOT_TESTED = "not_tested"
    # Type 1 (design as of a date) and the design part of a Type 2.
    DESIGNED = "designed"
    NOT_DESIGNED = "not_designed"

    @property
    def label(self) -> str:
        return _CONTROL_LABELS[self]

    @property
    def rank(self) -> int:
        """How bad the conclusion is (for 'never improves' comparisons)."""
        return _CONTROL_RANK[self]


_CONTROL_LABELS = {
    ControlConclusion.PENDING: "Testing not complete",
    ControlConclusion.EFFECTIVE: "Operating effectively",
    ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS: "Effective, exceptions within tolerance",
    ControlConclusion.EXCEPTIONS_NOTED: "Exceptions noted: auditor to conclude",
    ControlConclusion.NOT_EFFECTIVE: "Not operating effectively",
    ControlConclusion.NOT_TESTED: "Not tested: did not operate in the period",
    ControlConclusion.DESIGNED: "Suitably designed and implemented",
    ControlConclusion.NOT_DESIGNED: "Not suitably designed or not implemented",
}

_CONTROL_RANK = {
    ControlConclusion.EFFECTIVE: 0,
    ControlConclusion.DESIGNED: 0,
    ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS: 1,
    ControlConclusion.NOT_TESTED: 1,
    ControlConclusion.PENDING: 2,
    ControlConclusion.EXCEPTIONS_NOTED: 2,
    ControlConclusion.NOT_EFFECTIVE: 3,
    ControlConclusion.NOT_DESIGNED: 3,
}

# Conclusions an auditor may record as final (the others are only computed).
AUDITOR_CONCLUSIONS = frozenset(
    {
        ControlConclusion.EFFECTIVE,
        ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS,
        ControlConclusion.NOT_EFFECTIVE,
        ControlConclusion.NOT_TESTED,
    }
)
# What counts as "tested and concluded effective" for a compensating control.
EFFECTIVE_CONCLUSIONS = frozenset({ControlConclusion.EFFECTIVE, ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS})
OPEN_CONCLUSIONS = frozenset({ControlConclusion.PENDING, ControlConclusion.EXCEPTIONS_NOTED})


class DesignConclusion(StrEnum):
    """The conclusion of a walkthrough (test of design and implementation)."""

    DESIGNED = "designed"
    NOT_DESIGNED = "not_designed"
    NOT_IMPLEMENTED = "not_implemented"

    @property
    def label(self) -> str:
        return _DESIGN_LABELS[self]

    @property
    def fails(self) -> bool:
        return self is not DesignConclusion.DESIGNED


_DESIGN_LABELS = {
    DesignConclusion.DESIGNED: "Suitably designed and implemented",
    DesignConclusion.NOT_DESIGNED: "Not suitably designed",
    DesignConclusion.NOT_IMPLEMENTED: "Not implemented",
}


class CriterionConclusion(StrEnum):
    MET = "met"
    MET_WITH_EXCEPTIONS = "met_with_exceptions"
    NOT_MET = "not_met"
    NOT_MET_SO_FAR = "not_met_so_far"
    PENDING = "pending"
    NOT_COVERED = "not_covered"
    NOT_RELEVANT = "not_relevant"

    @property
    def label(self) -> str:
        return _CRITERION_LABELS[self]

    @property
    def concluded(self) -> bool:
        """Concluded for the opinion: met, met with exceptions, not met, or not relevant."""
        return self in (
            CriterionConclusion.MET,
            CriterionConclusion.MET_WITH_EXCEPTIONS,
            CriterionConclusion.NOT_MET,
            CriterionConclusion.NOT_RELEVANT,
        )

    @property
    def failing(self) -> bool:
        return self in (CriterionConclusion.NOT_MET, CriterionConclusion.NOT_MET_SO_FAR)

    @property
    def rank(self) -> int:
        return _CRITERION_RANK[self]


_CRITERION_LABELS = {
    CriterionConclusion.MET: "Met",
    CriterionConclusion.MET_WITH_EXCEPTIONS: "Met, with exceptions",
    CriterionConclusion.NOT_MET: "Not met",
    CriterionConclusion.NOT_MET_SO_FAR: "Not met so far",
    CriterionConclusion.PENDING: "Pending",
    CriterionConclusion.NOT_COVERED: "Not covered by a control",
    CriterionConclusion.NOT_RELEVANT: "Not relevant to the system",
}

_CRITERION_RANK = {
    CriterionConclusion.MET: 0,
    CriterionConclusion.NOT_RELEVANT: 0,
    CriterionConclusion.MET_WITH_EXCEPTIONS: 1,
    CriterionConclusion.PENDING: 2,
    CriterionConclusion.NOT_COVERED: 2,
    CriterionConclusion.NOT_MET_SO_FAR: 3,
    CriterionConclusion.NOT_MET: 3,
}

# What the auditor may record for a criterion (the others are only computed).
AUDITOR_CRITERION_CONCLUSIONS = frozenset(
    {
        CriterionConclusion.MET,
        CriterionConclusion.MET_WITH_EXCEPTIONS,
        CriterionConclusion.NOT_MET,
        CriterionConclusion.NOT_RELEVANT,
    }
)


class Opinion(StrEnum):
    UNMODIFIED = "unmodified"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"
    DISCLAIMER = "disclaimer"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ProposedOpinion(StrEnum):
    """The app's suggestion: an opinion, or pending while the evidence cannot support one."""

    UNMODIFIED = "unmodified"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"
    DISCLAIMER = "disclaimer"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return self.value.capitalize()


_OPINION_RANK = {"unmodified": 0, "qualified": 1, "adverse": 2, "disclaimer": 3}


class OpinionPart(StrEnum):
    DESCRIPTION = "description"
    DESIGN = "design"
    OPERATING = "operating"

    @property
    def label(self) -> str:
        return _PART_LABELS[self]


_PART_LABELS = {
    OpinionPart.DESCRIPTION: "Description fairly presented",
    OpinionPart.DESIGN: "Controls suitably designed",
    OpinionPart.OPERATING: "Controls operated effectively",
}


def parts_of(type1: bool) -> tuple[OpinionPart, ...]:
    """A Type 2 opinion has three parts, a Type 1 two."""
    if type1:
        return (OpinionPart.DESCRIPTION, OpinionPart.DESIGN)
    return (OpinionPart.DESCRIPTION, OpinionPart.DESIGN, OpinionPart.OPERATING)


class MatterKind(StrEnum):
    DESCRIPTION_MISSTATEMENT = "description_misstatement"
    SCOPE_LIMITATION = "scope_limitation"
    # The partner's judgement that the failed criteria are pervasive, per part.
    DESIGN_DEFICIENCY = "design_deficiency"
    OPERATING_DEFICIENCY = "operating_deficiency"


# ---- firm tolerance rules (non-statistical samples) --------------------------


@cache
def tolerance_rules() -> dict[str, Any]:
    """The firm's editable non-statistical tolerance rules (resources/tolerance_rules.json)."""
    text = resources.files("resources").joinpath("tolerance_rules.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def tolerated_deviations(frequency: str, population_size: int | None = None) -> int:
    """Deviations a non-statistical sample of this control may hold before it fails outright.

    Common firm practice (DOMAIN.md): none for annual to monthly controls; one
    isolated deviation for weekly and more frequent controls, which leads to the
    planned extension rather than to failure.
    """
    rules = tolerance_rules()
    key = str(frequency).strip().lower().replace("_", "-").replace(" ", "-")
    key = rules.get("aliases", {}).get(key, key)
    entry = rules["frequencies"].get(key)
    if entry is None:
        return 0
    if "by_population" in entry and population_size is not None:
        for band in entry["by_population"]:
            if band["up_to"] is None or population_size <= band["up_to"]:
                return int(band["tolerated"])
    return int(entry["tolerated"])


def planned_extension_size(size: int) -> int | None:
    """The firm's planned extension step for a non-statistical sample of ``size`` items."""
    for step in tolerance_rules()["extension_steps"]:
        if size <= step["up_to"]:
            return int(step["extend_to"])
    return None


# ---- controls ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeTally:
    """Results of one attribute over one sample."""

    letter: str
    question: str
    passed: int
    deviations: int
    not_applicable: int
    untested: int
    deviation_wording: str = ""
    # Retired after results were recorded: its deviations still count (retiring an
    # attribute never hides one), but its untested items no longer hold the sample open.
    retired: bool = False

    @property
    def tested(self) -> int:
        return self.passed + self.deviations


@dataclass(frozen=True, slots=True)
class SampleTally:
    """What the conclusion needs to know about one sample of a control.

    ``size`` is the planned size (items to test); replacements of not-applicable
    items add items but not to the planned size.
    """

    sample_id: int
    size: int
    statistical: bool
    confidence: Decimal | None
    tolerable_rate: Decimal | None
    population_size: int | None
    hypergeometric: bool
    attributes: tuple[AttributeTally, ...]
    method: str = "random"
    frequency: str = ""
    whole_population: bool = False
    planned_extension: int | None = None
    extended: bool = False
    mus: bool = False
    taints: tuple[Decimal, ...] | None = None  # recorded misstatements (PPS), None when none recorded
    replacements_needed: int = 0  # not-applicable items still to replace

    @property
    def complete(self) -> bool:
        """Every item has its results and each attribute has the planned number tested."""
        live = [a for a in self.attributes if not a.retired]
        if not live:
            return False
        if any(a.untested for a in live) or self.replacements_needed:
            return False
        if self.whole_population:
            return True
        return all(a.tested >= self.size for a in live)

    @property
    def deviations(self) -> int:
        return sum(a.deviations for a in self.attributes)

    @property
    def tested(self) -> int:
        return min((a.tested for a in self.attributes if not a.retired), default=0)


@dataclass(frozen=True, slots=True)
class AttributeEvaluation:
    letter: str
    n: int
    deviations: int
    upper_limit: float | None
    upper_limit_table_pct: float | None
    exceeds_tolerable: bool | None


@dataclass(frozen=True, slots=True)
class ControlEvaluation:
    computed: ControlConclusion
    evaluations: tuple[AttributeEvaluation, ...]
    explanation: str
    waiting_for: str = ""


def _evaluate_attribute(sample: SampleTally, tally: AttributeTally) -> AttributeEvaluation:
    # n is the items actually tested for this attribute (AU-C 530: a not-applicable
    # item is neither a deviation nor evidence; it is replaced). Before the sample is
    # complete, the planned size stands in for n: more deviations can only raise the
    # limit, so a limit already over the tolerable rate is final.
    n = tally.tested if tally.retired else max(tally.tested, sample.size)
    if not sample.statistical or sample.mus or sample.confidence is None or n == 0 or sample.whole_population:
        return AttributeEvaluation(tally.letter, tally.tested, tally.deviations, None, None, None)
    evaluation = sampling.evaluate_attribute(
        n,
        min(tally.deviations, n),
        sample.confidence,
        tolerable_rate=sample.tolerable_rate,
        population_size=sample.population_size if sample.hypergeometric else None,
    )
    return AttributeEvaluation(
        tally.letter,
        n,
        tally.deviations,
        evaluation.upper_limit,
        evaluation.upper_limit_table_pct,
        evaluation.exceeds_tolerable,
    )


def _incomplete_reason(sample: SampleTally) -> str:
    parts = []
    untested = sum(a.untested for a in sample.attributes if not a.retired)
    if untested:
        parts.append(f"{untested} result(s) still to record")
    if sample.replacements_needed:
        parts.append(
            f"{sample.replacements_needed} not-applicable item(s) to replace from the selection receipt "
            f"to reach the planned {sample.size}"
        )
    elif not untested:
        short = sample.tested
        parts.append(f"{short} of the planned {sample.size} items tested; replace not-applicable items")
    return "; ".join(parts)


def _evaluate_sample(sample: SampleTally) -> tuple[ControlConclusion, str, list[AttributeEvaluation]]:
    evaluations = [_evaluate_attribute(sample, t) for t in sample.attributes]
    deviations = sample.deviations
    label = f"sample {sample.sample_id}"
    if not sample.attributes:
        return ControlConclusion.PENDING, f"{label}: the test plan has no attributes to test.", evaluations
    # Statistical attribute sample: the upper limit against the tolerable rate.
    over = [e for e in evaluations if e.exceeds_tolerable]
    if over and not (sample.planned_extension and not sample.extended):
        why = "; ".join(
            f"attribute {e.letter}: {e.deviations} deviation(s) in {e.n} items give an upper limit of "
            f"{e.upper_limit_table_pct:.1f}%, above the tolerable rate of {_pct(sample.tolerable_rate)}"
            for e in over
        )
        return ControlConclusion.NOT_EFFECTIVE, f"{label}: {why}.", evaluations
    # Monetary unit sample with recorded misstatements: Stringer bound against tolerable misstatement.
    if sample.mus and sample.taints is not None and sample.confidence is not None:
        bound = sampling.stringer_bound(max(sample.tested, 1), [float(t) for t in sample.taints], sample.confidence)
        tolerable = float(sample.tolerable_rate or 0)
        if tolerable and bound > tolerable:
            return (
                ControlConclusion.NOT_EFFECTIVE,
                f"{label}: the upper misstatement limit is {bound:.2%} of the book value, above the "
                f"tolerable {tolerable:.2%}.",
                evaluations,
            )
        if not sample.complete:
            return ControlConclusion.PENDING, f"{label}: {_incomplete_reason(sample)}.", evaluations
        if sample.taints or deviations:
            return (
                ControlConclusion.EXCEPTIONS_NOTED,
                f"{label}: misstatements found; upper limit {bound:.2%} of the book value is within the "
                "tolerable misstatement. The auditor evaluates their cause.",
                evaluations,
            )
        return ControlConclusion.EFFECTIVE, f"{label}: no misstatement or deviation found.", evaluations
    if deviations and sample.planned_extension and not sample.extended:
        tolerated = 1 if sample.statistical else tolerated_deviations(sample.frequency, sample.population_size)
        if deviations > max(tolerated, 1) and not sample.statistical:
            return (
                ControlConclusion.NOT_EFFECTIVE,
                f"{label}: {deviations} deviations; the firm's rules tolerate at most one isolated deviation "
                "before the planned extension.",
                evaluations,
            )
        return (
            ControlConclusion.PENDING,
            f"{label}: {deviations} deviation(s): extend the sample to {sample.planned_extension} items as "
            "planned, then evaluate.",
            evaluations,
        )
    if not sample.complete:
        return ControlConclusion.PENDING, f"{label}: {_incomplete_reason(sample)}.", evaluations
    if sample.whole_population:
        # Every item tested: no sampling risk (AU-C 530), so no limit is computed.
        if deviations:
            return (
                ControlConclusion.EXCEPTIONS_NOTED,
                f"{label}: every item of the population tested; {deviations} deviation(s) for the auditor to evaluate.",
                evaluations,
            )
        return (
            ControlConclusion.EFFECTIVE,
            f"{label}: every item of the population tested, no deviations.",
            evaluations,
        )
    if not sample.statistical or sample.mus:
        if not deviations:
            return ControlConclusion.EFFECTIVE, f"{label}: no deviations found.", evaluations
        tolerated = tolerated_deviations(sample.frequency, sample.population_size)
        if deviations > tolerated:
            rule = (
                "tolerate no deviation for this control's frequency"
                if tolerated == 0
                else f"tolerate at most {tolerated} isolated deviation(s)"
            )
            return (
                ControlConclusion.NOT_EFFECTIVE,
                f"{label}: {deviations} deviation(s) in a non-statistical sample; the firm's rules {rule}.",
                evaluations,
            )
        return (
            ControlConclusion.EXCEPTIONS_NOTED,
            f"{label}: {deviations} isolated deviation(s) in a non-statistical sample"
            + (" after the planned extension" if sample.extended else "")
            + "; the auditor evaluates them.",
            evaluations,
        )
    if deviations and sample.extended:
        return (
            ControlConclusion.EXCEPTIONS_NOTED,
            f"{label}: {deviations} deviation(s); the upper limit after the planned extension is within the "
            "tolerable rate. The auditor evaluates the deviations.",
            evaluations,
        )
    if deviations:
        return (
            ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS,
            f"{label}: {deviations} deviation(s); the upper limit stays within the tolerable rate.",
            evaluations,
        )
    return ControlConclusion.EFFECTIVE, f"{label}: no deviations found.", evaluations


def _pct(rate: Decimal | None) -> str:
    if rate is None:
        return "the plan's"
    return f"{(rate * 100).normalize():f}%"


def evaluate_control(samples: Sequence[SampleTally], *, other_exceptions: int = 0) -> ControlEvaluation:
    """Compute a control's operating-effectiveness conclusion from its samples.

    ``other_exceptions`` counts open exceptions found outside the samples
    (inquiry, observation, an incident): a control carrying one is never
    computed effective; the auditor evaluates it.
    """
    if not samples:
        if other_exceptions:
            return ControlEvaluation(
                ControlConclusion.EXCEPTIONS_NOTED,
                (),
                f"{other_exceptions} exception(s) found outside a sample; no sample tested yet.",
                "a sample to test",
            )
        return ControlEvaluation(ControlConclusion.PENDING, (), "No sample has been selected yet.", "a sample")
    evaluations: list[AttributeEvaluation] = []
    worst = ControlConclusion.EFFECTIVE
    reasons: list[str] = []
    for sample in samples:
        conclusion, why, evs = _evaluate_sample(sample)
        evaluations += evs
        reasons.append(why)
        if conclusion.rank > worst.rank or (
            conclusion.rank == worst.rank and conclusion is ControlConclusion.EXCEPTIONS_NOTED
        ):
            worst = conclusion
    explanation = " ".join(reasons)
    if other_exceptions and worst in EFFECTIVE_CONCLUSIONS:
        worst = ControlConclusion.EXCEPTIONS_NOTED
        explanation += (
            f" {other_exceptions} exception(s) found outside the samples are open: the auditor evaluates them."
        )
    waiting = "" if worst not in OPEN_CONCLUSIONS else "results or the auditor's evaluation"
    return ControlEvaluation(worst, tuple(evaluations), explanation, waiting)


def evaluate_design(design: DesignConclusion | None) -> ControlEvaluation:
    """A Type 1 control's conclusion: its walkthrough's."""
    if design is None:
        return ControlEvaluation(ControlConclusion.PENDING, (), "No walkthrough recorded yet.", "a walkthrough")
    if design.fails:
        return ControlEvaluation(ControlConclusion.NOT_DESIGNED, (), f"Walkthrough: {design.label.lower()}.")
    return ControlEvaluation(ControlConclusion.DESIGNED, (), "Walkthrough: suitably designed and implemented.")


# ---- criteria ---------------------------------------------------------------


class Compensation(StrEnum):
    NONE = "none"  # no compensating control named for some exception
    WAITING = "waiting"  # named, but the compensating control is not concluded yet
    COVERED = "covered"  # every exception has a named compensating control concluded effective


@dataclass(frozen=True, slots=True)
class MappedControl:
    ref: str
    final: ControlConclusion
    compensation: Compensation = Compensation.NONE
    compensated_by: tuple[str, ...] = ()
    design: DesignConclusion | None = DesignConclusion.DESIGNED
    open_exceptions: int = 0

    @property
    def design_fails(self) -> bool:
        return self.design is not None and self.design.fails

    @property
    def fails(self) -> bool:
        return self.final in (ControlConclusion.NOT_EFFECTIVE, ControlConclusion.NOT_DESIGNED) or self.design_fails


@dataclass(frozen=True, slots=True)
class CriterionFinding:
    conclusion: CriterionConclusion
    explanation: str
    parts: frozenset[OpinionPart] = field(default_factory=frozenset)  # parts the problem concerns
    waiting_for: tuple[str, ...] = ()
    waiting_refs: tuple[tuple[str, str], ...] = ()  # (what, control or criterion) for the proposal's summary


# What a pending criterion can wait for, as the proposal summarises it.
WAITING_KINDS = {
    "conclusion": "conclusions on {n} control(s): {refs}",
    "walkthrough": "walkthroughs of {n} control(s): {refs}",
    "compensator": "tests of {n} named compensating control(s): {refs}",
    "mapping": "a mapped control or a not-relevant decision for {n} criteria: {refs}",
    "did_not_operate": "the auditor's conclusion on {n} criteria whose controls did not operate: {refs}",
}


def conclude_criterion(controls: Iterable[MappedControl], *, type1: bool = False) -> CriterionFinding:
    """Criterion conclusion from the controls mapped to it (retired controls left out by the caller).

    Pending beats failing: while any mapped control is untested the criterion
    is pending, unless a failure already stands with no compensating control
    named ("not met so far"). A control compensates only by the auditor's named
    designation, and only once it is itself concluded effective.
    """
    mapped = list(controls)
    if not mapped:
        return CriterionFinding(
            CriterionConclusion.NOT_COVERED,
            "No control is mapped to this criterion: map one, or mark the criterion not relevant with the reason.",
            frozenset({OpinionPart.DESIGN}),
            ("a control or a not-relevant decision",),
            (("mapping", ""),),
        )
    operating = [c for c in mapped if c.final is not ControlConclusion.NOT_TESTED]
    if not operating:
        return CriterionFinding(
            CriterionConclusion.PENDING,
            "None of the mapped controls operated in the period: record the criterion's conclusion with the "
            "paragraph the report will carry.",
            frozenset({OpinionPart.OPERATING}),
            ("the auditor's conclusion on a criterion whose controls did not operate",),
            (("did_not_operate", ""),),
        )
    failing = [c for c in operating if c.fails]
    hard = [c for c in failing if c.compensation is Compensation.NONE]
    waiting_comp = [c for c in failing if c.compensation is Compensation.WAITING]
    covered = [c for c in failing if c.compensation is Compensation.COVERED]
    open_ = [c for c in operating if not c.fails and c.final in OPEN_CONCLUSIONS]
    no_walkthrough = [c for c in operating if c.design is None and not type1]
    waiting: list[str] = []
    if open_:
        waiting.append("conclusions on " + ", ".join(c.ref for c in open_))
    if no_walkthrough:
        waiting.append("walkthroughs of " + ", ".join(c.ref for c in no_walkthrough))
    names = sorted({r for c in waiting_comp for r in c.compensated_by})
    if waiting_comp:
        waiting.append("tests of the compensating control(s) " + ", ".join(names))
    refs = tuple(
        [("conclusion", c.ref) for c in open_]
        + [("walkthrough", c.ref) for c in no_walkthrough]
        + [("compensator", r) for r in names]
    )
    parts = frozenset(OpinionPart.DESIGN if (type1 or c.design_fails) else OpinionPart.OPERATING for c in failing)
    pending_parts = frozenset(
        [OpinionPart.DESIGN if type1 else OpinionPart.OPERATING for _ in open_ + waiting_comp]
        + [OpinionPart.DESIGN for _ in no_walkthrough]
    )
    if hard:
        failed = ", ".join(c.ref for c in hard)
        what = "not suitably designed" if all(c.design_fails or type1 for c in hard) else "not effective"
        if waiting:
            return CriterionFinding(
                CriterionConclusion.NOT_MET_SO_FAR,
                f"{failed} {what} and no compensating control is named for its exceptions; still open: "
                + "; ".join(waiting)
                + ".",
                parts | pending_parts,
                tuple(waiting),
                refs,
            )
        return CriterionFinding(
            CriterionConclusion.NOT_MET,
            f"{failed} {what} and no compensating control is named for its exceptions.",
            parts,
        )
    if waiting:
        return CriterionFinding(
            CriterionConclusion.PENDING, "Waiting for " + "; ".join(waiting) + ".", pending_parts, tuple(waiting), refs
        )
    if covered:
        text = "; ".join(f"{c.ref} failed, compensated by {', '.join(c.compensated_by)}" for c in covered)
        return CriterionFinding(CriterionConclusion.MET_WITH_EXCEPTIONS, text + ".")
    with_exceptions = [
        c for c in operating if c.final is ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS or c.open_exceptions
    ]
    if with_exceptions:
        return CriterionFinding(
            CriterionConclusion.MET_WITH_EXCEPTIONS,
            "Exceptions noted on " + ", ".join(c.ref for c in with_exceptions) + ", within tolerance.",
        )
    if type1:
        return CriterionFinding(CriterionConclusion.MET, "All mapped controls suitably designed and implemented.")
    return CriterionFinding(CriterionConclusion.MET, "All mapped controls operated effectively.")


# ---- opinion ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matter:
    kind: MatterKind
    description: str
    material: bool
    pervasive: bool


@dataclass(frozen=True, slots=True)
class CriterionInput:
    id: str
    conclusion: CriterionConclusion
    parts: frozenset[OpinionPart] = field(default_factory=frozenset)
    waiting_for: tuple[str, ...] = ()
    waiting_refs: tuple[tuple[str, str], ...] = ()


def _summarise_waiting(inputs: Sequence[CriterionInput]) -> list[str]:
    """One line per kind of thing still missing, naming controls (or criteria) once each."""
    found: dict[str, dict[str, None]] = {}
    for c in inputs:
        if c.conclusion.concluded:
            continue
        refs = c.waiting_refs or tuple(("other", w) for w in c.waiting_for)
        for kind, ref in refs:
            found.setdefault(kind, {})[ref or c.id] = None
    lines = []
    for kind, named in found.items():
        names = list(named)
        shown = ", ".join(names[:12]) + ("…" if len(names) > 12 else "")
        template = WAITING_KINDS.get(kind)
        lines.append(template.format(n=len(names), refs=shown) if template else shown)
    return lines


@dataclass(frozen=True, slots=True)
class PartProposal:
    part: OpinionPart
    opinion: ProposedOpinion
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpinionProposal:
    opinion: ProposedOpinion
    reasons: tuple[str, ...]
    pending_criteria: int
    parts: tuple[PartProposal, ...] = ()
    waiting_for: tuple[str, ...] = ()
    at_least: ProposedOpinion | None = None  # e.g. qualified while pending with a criterion already not met


def _worst(opinions: Iterable[ProposedOpinion]) -> ProposedOpinion:
    chosen = ProposedOpinion.UNMODIFIED
    for o in opinions:
        if _OPINION_RANK[o.value] > _OPINION_RANK[chosen.value]:
            chosen = o
    return chosen


def propose_opinion(
    criteria: Sequence[CriterionInput | tuple[str, CriterionConclusion]],
    matters: Sequence[Matter],
    *,
    type1: bool = False,
    extra_waiting: Sequence[str] = (),
) -> OpinionProposal:
    """Suggest the opinion, part by part, from criterion conclusions and recorded matters.

    A criterion not met modifies the part it concerns: qualified, or adverse
    when the partner has recorded the failures as pervasive for that part (a
    judgement with a reason, never a count). A material scope limitation
    qualifies every part; a pervasive one calls for a disclaimer. While any
    criterion is open the proposal is pending, saying what it waits for.
    """
    inputs = [c if isinstance(c, CriterionInput) else CriterionInput(c[0], c[1]) for c in criteria]
    default_part = OpinionPart.DESIGN if type1 else OpinionPart.OPERATING
    reasons: list[str] = []
    not_met = [c for c in inputs if c.conclusion.failing]
    open_ = [c for c in inputs if not c.conclusion.concluded]
    pending = len(open_)
    scope = [m for m in matters if m.kind is MatterKind.SCOPE_LIMITATION and m.material]
    misstatements = [m for m in matters if m.kind is MatterKind.DESCRIPTION_MISSTATEMENT and m.material]
    pervasive_parts = {
        OpinionPart.DESIGN for m in matters if m.kind is MatterKind.DESIGN_DEFICIENCY and m.pervasive
    } | {OpinionPart.OPERATING for m in matters if m.kind is MatterKind.OPERATING_DEFICIENCY and m.pervasive}
    part_proposals: list[PartProposal] = []
    floors: list[ProposedOpinion] = []  # what each part is at least, whatever is still open
    for part in parts_of(type1):
        why: list[str] = []
        if part is OpinionPart.DESCRIPTION:
            opinion = ProposedOpinion.UNMODIFIED
            if any(m.pervasive for m in misstatements):
                opinion = ProposedOpinion.ADVERSE
            elif misstatements:
                opinion = ProposedOpinion.QUALIFIED
            why += [f"Description misstatement: {m.description}" for m in misstatements]
            floors.append(opinion)
        else:
            failed = [c.id for c in not_met if part in (c.parts or {default_part})]
            waiting = [c.id for c in open_ if part in (c.parts or {default_part})]
            opinion = ProposedOpinion.UNMODIFIED
            if failed:
                opinion = ProposedOpinion.ADVERSE if part in pervasive_parts else ProposedOpinion.QUALIFIED
                why.append("Criteria not met: " + ", ".join(failed))
                if part in pervasive_parts:
                    why.append("The partner judged the failures pervasive.")
                else:
                    series = {cid.split(".")[0] for cid in failed}
                    if len(series) >= 3:
                        why.append(
                            f"The failures span {len(series)} criteria series: the partner judges whether "
                            "they are pervasive."
                        )
            if scope:
                pervasive_scope = any(m.pervasive for m in scope)
                opinion = _worst(
                    [opinion, ProposedOpinion.DISCLAIMER if pervasive_scope else ProposedOpinion.QUALIFIED]
                )
                why += [f"Scope limitation: {m.description}" for m in scope]
            floors.append(opinion)
            if waiting and opinion is not ProposedOpinion.DISCLAIMER:
                why.append(f"Open: {len(waiting)} criteria ({', '.join(waiting[:8])}{'…' if len(waiting) > 8 else ''})")
                opinion = ProposedOpinion.PENDING
        part_proposals.append(PartProposal(part, opinion, tuple(why)))
    waiting_for = tuple(dict.fromkeys(_summarise_waiting(open_) + list(extra_waiting)))
    worst_decided = _worst(floors)
    any_pending = any(p.opinion is ProposedOpinion.PENDING for p in part_proposals) or bool(extra_waiting)
    for p in part_proposals:
        reasons += [f"{p.part.label}: {r}" for r in p.reasons]
    if worst_decided is ProposedOpinion.DISCLAIMER:
        return OpinionProposal(worst_decided, tuple(reasons), pending, tuple(part_proposals), waiting_for)
    if any_pending:
        at_least = worst_decided if worst_decided is not ProposedOpinion.UNMODIFIED else None
        if at_least is not None:
            reasons.insert(0, f"At least {at_least.value}: a criterion is already not met.")
        reasons.append(f"Pending: {pending} criteria not concluded yet.")
        reasons += [f"Waiting for {w}." for w in waiting_for[:10]]
        return OpinionProposal(
            ProposedOpinion.PENDING, tuple(reasons), pending, tuple(part_proposals), waiting_for, at_least
        )
    return OpinionProposal(worst_decided, tuple(reasons), pending, tuple(part_proposals), waiting_for)


# ---- section 4 wording --------------------------------------------------------


def _attribute_phrase(a: AttributeTally) -> str:
    if a.deviation_wording:
        return a.deviation_wording.strip().rstrip(".")
    question = a.question.strip().rstrip(" ?.")
    if not question:
        return f"the item did not pass test {a.letter}"
    return f"the item did not pass the test “{question}”"


def result_wording(
    samples: Sequence[SampleTally],
    exception_texts: Sequence[str],
    type1: bool,
    *,
    compensations: Sequence[str] = (),
) -> str:
    """The section 4 'results of tests' sentence for one control.

    Deviations read "2 of 25 items: <what was wrong>"; exceptions found outside
    a sample follow in full, and a named compensating control is stated.
    """
    if type1:
        return "Operating effectiveness is not tested in a Type 1 examination."
    if not samples and not exception_texts:
        return "Not yet tested."
    deviating: list[str] = []
    for sample in samples:
        for a in sample.attributes:
            if a.deviations:
                deviating.append(f"{a.deviations} of {a.tested} items: {_attribute_phrase(a)}")
    sentences: list[str] = []
    if deviating:
        sentences.append("Exceptions noted. " + "; ".join(s[0].upper() + s[1:] for s in deviating) + ".")
    others = [t.strip().rstrip(".") + "." for t in exception_texts if t.strip()]
    if others:
        if not deviating:
            sentences.append("Exceptions noted.")
        sentences += others
    if not sentences:
        return "No exceptions noted."
    sentences += [c.strip().rstrip(".") + "." for c in compensations if c.strip()]
    return " ".join(sentences)
