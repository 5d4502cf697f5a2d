"""Conclusions: control, criterion and opinion, computed from the evidence.

These are the app's *suggestions*; the auditor records a different control or
criterion conclusion with a rationale, and the partner decides the opinion.
The rules follow the AICPA guidance summarised in DOMAIN.md: a deviation
changes the opinion only when the criterion is no longer met after the other
controls mapped to it (redundant or compensating) are considered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import sampling


class ControlConclusion(StrEnum):
    PENDING = "pending"
    EFFECTIVE = "effective"
    EFFECTIVE_WITH_EXCEPTIONS = "effective_with_exceptions"
    EXCEPTIONS_NOTED = "exceptions_noted"
    NOT_EFFECTIVE = "not_effective"
    NOT_TESTED = "not_tested"

    @property
    def label(self) -> str:
        return _CONTROL_LABELS[self]


_CONTROL_LABELS = {
    ControlConclusion.PENDING: "Testing not complete",
    ControlConclusion.EFFECTIVE: "Operating effectively",
    ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS: "Effective, exceptions within tolerance",
    ControlConclusion.EXCEPTIONS_NOTED: "Exceptions noted: auditor to conclude",
    ControlConclusion.NOT_EFFECTIVE: "Not operating effectively",
    ControlConclusion.NOT_TESTED: "Not tested: did not operate in the period",
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


class CriterionConclusion(StrEnum):
    MET = "met"
    MET_WITH_EXCEPTIONS = "met_with_exceptions"
    NOT_MET = "not_met"
    PENDING = "pending"
    NOT_ADDRESSED = "not_addressed"


class Opinion(StrEnum):
    UNMODIFIED = "unmodified"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"
    DISCLAIMER = "disclaimer"


class MatterKind(StrEnum):
    DESCRIPTION_MISSTATEMENT = "description_misstatement"
    SCOPE_LIMITATION = "scope_limitation"


@dataclass(frozen=True, slots=True)
class AttributeTally:
    """Results of one attribute over one sample."""

    letter: str
    question: str
    passed: int
    deviations: int
    not_applicable: int
    untested: int

    @property
    def tested(self) -> int:
        return self.passed + self.deviations


@dataclass(frozen=True, slots=True)
class SampleTally:
    """What the conclusion needs to know about one sample of a control."""

    sample_id: int
    size: int
    statistical: bool
    confidence: Decimal | None
    tolerable_rate: Decimal | None
    population_size: int | None
    hypergeometric: bool
    attributes: tuple[AttributeTally, ...]

    @property
    def complete(self) -> bool:
        return all(a.untested == 0 for a in self.attributes) and bool(self.attributes)

    @property
    def deviations(self) -> int:
        return sum(a.deviations for a in self.attributes)


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


def _evaluate_attribute(sample: SampleTally, tally: AttributeTally) -> AttributeEvaluation:
    # Items marked not applicable do not count towards n (AU-C 530: they are
    # neither deviations nor evidence of operation).
    n = max(sample.size - tally.not_applicable, 0)
    if not sample.statistical or sample.confidence is None or n == 0:
        return AttributeEvaluation(tally.letter, n, tally.deviations, None, None, None)
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


def evaluate_control(samples: Sequence[SampleTally]) -> ControlEvaluation:
    """Compute a control's conclusion from its samples' results.

    Statistical: the upper deviation limit against the tolerable rate. Because
    more deviations only raise the limit, a limit already above the tolerable
    rate decides "not effective" even before every item is tested.
    Non-statistical: any deviation means "exceptions noted" for the auditor.
    """
    if not samples:
        return ControlEvaluation(ControlConclusion.PENDING, (), "No sample has been selected yet.")
    evaluations: list[AttributeEvaluation] = []
    over: list[str] = []
    for sample in samples:
        for tally in sample.attributes:
            ev = _evaluate_attribute(sample, tally)
            evaluations.append(ev)
            if ev.exceeds_tolerable:
                over.append(
                    f"attribute {ev.letter}: {ev.deviations} deviation(s) in {ev.n} items give an upper "
                    f"limit of {ev.upper_limit_table_pct:.1f}%, above the tolerable rate"
                )
    if over:
        return ControlEvaluation(ControlConclusion.NOT_EFFECTIVE, tuple(evaluations), "; ".join(over) + ".")
    deviations = sum(s.deviations for s in samples)
    non_statistical = any(not s.statistical for s in samples)
    if deviations and non_statistical:
        return ControlEvaluation(
            ControlConclusion.EXCEPTIONS_NOTED,
            tuple(evaluations),
            f"{deviations} deviation(s) in a non-statistical sample; the auditor concludes.",
        )
    if not all(s.complete for s in samples):
        untested = sum(a.untested for s in samples for a in s.attributes)
        return ControlEvaluation(
            ControlConclusion.PENDING, tuple(evaluations), f"{untested} result(s) still to be recorded."
        )
    if deviations:
        return ControlEvaluation(
            ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS,
            tuple(evaluations),
            f"{deviations} deviation(s); the upper limit stays within the tolerable rate.",
        )
    return ControlEvaluation(ControlConclusion.EFFECTIVE, tuple(evaluations), "No deviations found.")


@dataclass(frozen=True, slots=True)
class MappedControl:
    ref: str
    final: ControlConclusion
    compensated: bool  # every exception on it is covered by a compensating control


def conclude_criterion(controls: Iterable[MappedControl]) -> tuple[CriterionConclusion, str]:
    """Criterion conclusion from the final conclusions of the controls mapped to it."""
    mapped = list(controls)
    if not mapped:
        return CriterionConclusion.NOT_ADDRESSED, "No control is mapped to this criterion."
    operating = [c for c in mapped if c.final is not ControlConclusion.NOT_TESTED]
    if not operating:
        return CriterionConclusion.MET, "The mapped controls did not need to operate in the period."
    failing = [c for c in operating if c.final is ControlConclusion.NOT_EFFECTIVE]
    effective = [
        c for c in operating if c.final in (ControlConclusion.EFFECTIVE, ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS)
    ]
    if failing:
        refs = ", ".join(c.ref for c in failing)
        if all(c.compensated for c in failing):
            return (
                CriterionConclusion.MET_WITH_EXCEPTIONS,
                f"{refs} not effective, but compensating controls cover the exceptions.",
            )
        if effective:
            others = ", ".join(c.ref for c in effective)
            return (
                CriterionConclusion.MET_WITH_EXCEPTIONS,
                f"{refs} not effective; {others} also address the criterion and operated effectively.",
            )
        return CriterionConclusion.NOT_MET, f"{refs} not effective and no other mapped control compensates."
    if any(c.final in (ControlConclusion.PENDING, ControlConclusion.EXCEPTIONS_NOTED) for c in operating):
        return CriterionConclusion.PENDING, "Testing of mapped controls is not complete."
    if any(c.final is ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS for c in operating):
        return CriterionConclusion.MET_WITH_EXCEPTIONS, "Exceptions noted within tolerance."
    return CriterionConclusion.MET, "All mapped controls operated effectively."


@dataclass(frozen=True, slots=True)
class Matter:
    kind: MatterKind
    description: str
    material: bool
    pervasive: bool


@dataclass(frozen=True, slots=True)
class OpinionProposal:
    opinion: Opinion
    reasons: tuple[str, ...]
    pending_criteria: int


def _pervasive(not_met: Sequence[str], in_scope: int) -> bool:
    # Our rule of thumb for the suggestion (the partner decides): failures
    # spread over three or more criteria series, or a quarter of the criteria.
    series = {cid.split(".")[0] for cid in not_met}
    return len(series) >= 3 or (in_scope > 0 and len(not_met) * 4 >= in_scope)


def propose_opinion(criteria: Sequence[tuple[str, CriterionConclusion]], matters: Sequence[Matter]) -> OpinionProposal:
    """Suggest the opinion from criterion conclusions and recorded matters."""
    not_met = [cid for cid, c in criteria if c in (CriterionConclusion.NOT_MET, CriterionConclusion.NOT_ADDRESSED)]
    pending = sum(1 for _, c in criteria if c is CriterionConclusion.PENDING)
    reasons: list[str] = []
    scope = [m for m in matters if m.kind is MatterKind.SCOPE_LIMITATION and m.material]
    misstatements = [m for m in matters if m.kind is MatterKind.DESCRIPTION_MISSTATEMENT and m.material]
    if any(m.pervasive for m in scope):
        reasons += [f"Scope limitation, material and pervasive: {m.description}" for m in scope if m.pervasive]
        return OpinionProposal(Opinion.DISCLAIMER, tuple(reasons), pending)
    pervasive_failures = _pervasive(not_met, len(criteria))
    if any(m.pervasive for m in misstatements) or (not_met and pervasive_failures):
        reasons += [f"Description misstatement, pervasive: {m.description}" for m in misstatements if m.pervasive]
        if not_met and pervasive_failures:
            reasons.append(f"Criteria not met across the system: {', '.join(not_met)}")
        return OpinionProposal(Opinion.ADVERSE, tuple(reasons), pending)
    if not_met or scope or misstatements:
        if not_met:
            reasons.append(f"Criteria not met: {', '.join(not_met)}")
        reasons += [f"Scope limitation: {m.description}" for m in scope]
        reasons += [f"Description misstatement: {m.description}" for m in misstatements]
        return OpinionProposal(Opinion.QUALIFIED, tuple(reasons), pending)
    if pending:
        reasons.append(f"{pending} criteria are not concluded yet; the suggestion may change.")
    return OpinionProposal(Opinion.UNMODIFIED, tuple(reasons), pending)


def result_wording(samples: Sequence[SampleTally], exception_texts: Sequence[str], type1: bool) -> str:
    """The section 4 'results of tests' sentence for one control."""
    if type1:
        return "Operating effectiveness is not tested in a Type 1 examination."
    if not samples:
        return "Not yet tested."
    size = sum(s.size for s in samples)
    deviating: list[str] = []
    for sample in samples:
        for a in sample.attributes:
            if a.deviations:
                question = a.question.rstrip(" ?.")
                deviating.append(
                    f"{a.deviations} of {sample.size - a.not_applicable} items sampled deviated on "
                    f"attribute {a.letter} ({question})"
                )
    if not deviating:
        return "No exceptions noted."
    sentence = "Exceptions noted: " + "; ".join(deviating) + "."
    if len(samples) > 1:
        sentence += f" ({size} items tested in all.)"
    if exception_texts:
        sentence += " " + " ".join(t.rstrip(".") + "." for t in exception_texts)
    return sentence
