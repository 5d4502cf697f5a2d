"""The conclusion rules on plain data: control, criterion, opinion, section 4 wording.

Each scenario is one that a reviewing partner found wrong in an earlier build.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from auditdesk.conclusions import (
    AttributeTally,
    Compensation,
    ControlConclusion,
    CriterionConclusion,
    CriterionInput,
    DesignConclusion,
    MappedControl,
    Matter,
    MatterKind,
    OpinionPart,
    ProposedOpinion,
    SampleTally,
    conclude_criterion,
    evaluate_control,
    evaluate_design,
    planned_extension_size,
    propose_opinion,
    result_wording,
    tolerated_deviations,
)

C = ControlConclusion
K = CriterionConclusion
P = ProposedOpinion


def _sample(
    size: int,
    deviations: int,
    untested: int = 0,
    *,
    statistical: bool = True,
    na: int = 0,
    frequency: str = "daily",
    population: int | None = None,
    planned_extension: int | None = None,
    extended: bool = False,
    mus: bool = False,
    taints: tuple[Decimal, ...] | None = None,
    replacements_needed: int = 0,
    wording: str = "",
) -> SampleTally:
    passed = size - deviations - untested - na
    return SampleTally(
        sample_id=1,
        size=size,
        statistical=statistical,
        confidence=Decimal("0.95") if statistical or mus else None,
        tolerable_rate=Decimal("0.05") if statistical or mus else None,
        population_size=population,
        hypergeometric=False,
        attributes=(AttributeTally("A", "Approved before deploy?", passed, deviations, na, untested, wording),),
        frequency=frequency,
        whole_population=population is not None and size >= population,
        planned_extension=planned_extension,
        extended=extended,
        mus=mus,
        taints=taints,
        replacements_needed=replacements_needed,
    )


# ---- controls -----------------------------------------------------------------


def test_no_sample_is_pending() -> None:
    assert evaluate_control([]).computed is C.PENDING


def test_statistical_flip_at_the_tolerable_rate() -> None:
    assert evaluate_control([_sample(93, 0)]).computed is C.EFFECTIVE
    assert evaluate_control([_sample(93, 1)]).computed is C.EFFECTIVE_WITH_EXCEPTIONS
    two = evaluate_control([_sample(93, 2)])
    assert two.computed is C.NOT_EFFECTIVE
    assert two.evaluations[0].upper_limit_table_pct is not None
    assert two.evaluations[0].upper_limit_table_pct > 5.0


def test_limit_over_tolerable_decides_before_testing_ends() -> None:
    # More deviations can only raise the limit, so the answer is already known.
    assert evaluate_control([_sample(59, 1, untested=30)]).computed is C.NOT_EFFECTIVE
    assert evaluate_control([_sample(93, 1, untested=30)]).computed is C.PENDING


def test_na_items_are_not_counted_and_leave_the_sample_incomplete_until_replaced() -> None:
    # 59 planned, 10 N/A not yet replaced: only 49 tested; not "effective" and not "not effective".
    open_ = evaluate_control([_sample(59, 0, na=10, replacements_needed=10)])
    assert open_.computed is C.PENDING
    assert "replace" in open_.explanation
    # The 10 replacements drawn and passed: 59 tested again, effective.
    replaced = SampleTally(
        sample_id=1,
        size=59,
        statistical=True,
        confidence=Decimal("0.95"),
        tolerable_rate=Decimal("0.05"),
        population_size=None,
        hypergeometric=False,
        attributes=(AttributeTally("A", "Approved?", 59, 0, 10, 0),),
    )
    assert evaluate_control([replaced]).computed is C.EFFECTIVE


def test_whole_population_tested_has_no_sampling_risk() -> None:
    # 52 of 52 weekly occurrences pass: effective, no limit computed (a limit at n=52 would exceed 5%).
    all_52 = evaluate_control([_sample(52, 0, population=52, frequency="weekly")])
    assert all_52.computed is C.EFFECTIVE
    assert all_52.evaluations[0].upper_limit is None
    one = evaluate_control([_sample(52, 1, population=52, frequency="weekly")])
    assert one.computed is C.EXCEPTIONS_NOTED


def test_non_statistical_tolerance_follows_the_frequency() -> None:
    assert tolerated_deviations("monthly") == 0
    assert tolerated_deviations("weekly") == 1
    assert tolerated_deviations("event-driven", 10) == 0
    assert tolerated_deviations("event-driven", 400) == 1
    # Monthly: any deviation fails.
    monthly = evaluate_control([_sample(5, 1, statistical=False, frequency="monthly")])
    assert monthly.computed is C.NOT_EFFECTIVE
    # Daily with a planned extension: one deviation asks for the extension first.
    daily = evaluate_control([_sample(25, 1, statistical=False, frequency="daily", planned_extension=40)])
    assert daily.computed is C.PENDING
    assert "extend the sample to 40" in daily.explanation
    # Two deviations before the extension: not effective under the firm's rules.
    two = evaluate_control([_sample(25, 2, statistical=False, frequency="daily", planned_extension=40)])
    assert two.computed is C.NOT_EFFECTIVE
    assert planned_extension_size(25) == 40
    assert planned_extension_size(40) == 60


def test_extension_after_a_deviation_keeps_the_evaluation_open() -> None:
    after = evaluate_control(
        [_sample(40, 1, statistical=False, frequency="daily", planned_extension=40, extended=True)]
    )
    assert after.computed is C.EXCEPTIONS_NOTED
    statistical = evaluate_control([_sample(93, 1, planned_extension=120, extended=True)])
    assert statistical.computed is C.EXCEPTIONS_NOTED


def test_pps_is_evaluated_by_stringer_or_as_attributes_never_a_rate_against_money() -> None:
    # No misstatement amounts recorded: attributes, with no statistical limit against a money threshold.
    attributes = evaluate_control([_sample(30, 1, statistical=True, mus=True)])
    assert attributes.computed is C.EXCEPTIONS_NOTED
    assert attributes.evaluations[0].upper_limit is None
    clean = evaluate_control([_sample(60, 0, mus=True, taints=())])
    assert clean.computed is C.EFFECTIVE
    # A full taint in 60 items: Stringer's bound (4.75 / 60) is over 5% of the book value.
    tainted = evaluate_control([_sample(60, 0, mus=True, taints=(Decimal(1),))])
    assert tainted.computed is C.NOT_EFFECTIVE
    assert "misstatement limit" in tainted.explanation


def test_exception_outside_a_sample_is_never_no_exceptions_noted() -> None:
    evaluation = evaluate_control([_sample(59, 0)], other_exceptions=1)
    assert evaluation.computed is C.EXCEPTIONS_NOTED
    text = result_wording([_sample(25, 0)], ["An incident showed the review was skipped in May."], type1=False)
    assert "No exceptions noted" not in text
    assert "skipped in May" in text
    assert evaluate_control([], other_exceptions=1).computed is C.EXCEPTIONS_NOTED


def test_type1_controls_are_concluded_by_their_walkthrough() -> None:
    assert evaluate_design(None).computed is C.PENDING
    assert evaluate_design(DesignConclusion.DESIGNED).computed is C.DESIGNED
    assert evaluate_design(DesignConclusion.NOT_IMPLEMENTED).computed is C.NOT_DESIGNED


# ---- criteria -----------------------------------------------------------------


def test_no_control_is_not_covered_never_concluded() -> None:
    finding = conclude_criterion([])
    assert finding.conclusion is K.NOT_COVERED
    assert not finding.conclusion.concluded


def test_another_effective_control_on_the_criterion_does_not_compensate() -> None:
    # The defect: CM-02 effective turned CC8.1 "met with exceptions" while CM-01 failed.
    finding = conclude_criterion([MappedControl("CM-01", C.NOT_EFFECTIVE), MappedControl("CM-02", C.EFFECTIVE)])
    assert finding.conclusion is K.NOT_MET


def test_named_and_tested_compensation_clears_the_failure() -> None:
    covered = MappedControl("CM-01", C.NOT_EFFECTIVE, Compensation.COVERED, ("CM-02",), open_exceptions=1)
    finding = conclude_criterion([covered, MappedControl("CM-02", C.EFFECTIVE)])
    assert finding.conclusion is K.MET_WITH_EXCEPTIONS
    assert "compensated by CM-02" in finding.explanation
    waiting = MappedControl("CM-01", C.NOT_EFFECTIVE, Compensation.WAITING, ("CM-05",))
    assert conclude_criterion([waiting]).conclusion is K.PENDING


def test_pending_beats_failing_unless_a_failure_stands() -> None:
    # Untested controls make the criterion pending...
    assert conclude_criterion([MappedControl("A", C.EFFECTIVE), MappedControl("B", C.PENDING)]).conclusion is K.PENDING
    # ...but an uncompensated failure is "not met so far", saying what is still open.
    so_far = conclude_criterion([MappedControl("A", C.NOT_EFFECTIVE), MappedControl("B", C.PENDING)])
    assert so_far.conclusion is K.NOT_MET_SO_FAR
    assert "B" in so_far.explanation
    assert so_far.waiting_for


def test_controls_that_did_not_operate_need_the_auditor() -> None:
    finding = conclude_criterion([MappedControl("A", C.NOT_TESTED)])
    assert finding.conclusion is K.PENDING
    assert "paragraph" in finding.explanation


def test_type2_control_without_walkthrough_keeps_the_criterion_open() -> None:
    finding = conclude_criterion([MappedControl("A", C.EFFECTIVE, design=None)])
    assert finding.conclusion is K.PENDING
    assert "walkthroughs of A" in finding.waiting_for[0]
    design_fail = conclude_criterion([MappedControl("A", C.EFFECTIVE, design=DesignConclusion.NOT_DESIGNED)])
    assert design_fail.conclusion is K.NOT_MET
    assert design_fail.parts == frozenset({OpinionPart.DESIGN})


def test_open_exception_makes_met_with_exceptions() -> None:
    finding = conclude_criterion([MappedControl("A", C.EFFECTIVE, open_exceptions=1)])
    assert finding.conclusion is K.MET_WITH_EXCEPTIONS


# ---- opinion ------------------------------------------------------------------


def test_proposal_is_pending_while_criteria_are_open_and_says_at_least_qualified() -> None:
    pending = propose_opinion([("CC1.1", K.MET), ("CC1.2", K.PENDING)], [])
    assert pending.opinion is P.PENDING
    assert pending.pending_criteria == 1
    with_failure = propose_opinion(
        [CriterionInput("CC1.1", K.NOT_MET_SO_FAR, frozenset({OpinionPart.OPERATING}), ("tests of X",))], []
    )
    assert with_failure.opinion is P.PENDING
    assert with_failure.at_least is P.QUALIFIED
    assert "tests of X" in with_failure.waiting_for


def test_not_met_is_qualified_until_the_partner_judges_pervasive() -> None:
    # Failures across three series prompt the question but do not answer it.
    many = [(f"CC{i}.1", K.NOT_MET) for i in (1, 5, 6, 7)]
    proposal = propose_opinion(many, [])
    assert proposal.opinion is P.QUALIFIED
    assert any("judges whether" in r for r in proposal.reasons)
    judged = propose_opinion(many, [Matter(MatterKind.OPERATING_DEFICIENCY, "Pervasive access failures", True, True)])
    assert judged.opinion is P.ADVERSE


def test_parts_are_modified_on_their_own() -> None:
    proposal = propose_opinion(
        [CriterionInput("CC8.1", K.NOT_MET, frozenset({OpinionPart.OPERATING})), ("CC1.1", K.MET)],
        [Matter(MatterKind.DESCRIPTION_MISSTATEMENT, "Omits the backup subservice", True, False)],
    )
    by_part = {p.part: p.opinion for p in proposal.parts}
    assert by_part == {
        OpinionPart.DESCRIPTION: P.QUALIFIED,
        OpinionPart.DESIGN: P.UNMODIFIED,
        OpinionPart.OPERATING: P.QUALIFIED,
    }
    type1 = propose_opinion([("CC1.1", K.MET)], [], type1=True)
    assert [p.part for p in type1.parts] == [OpinionPart.DESCRIPTION, OpinionPart.DESIGN]
    assert type1.opinion is P.UNMODIFIED


def test_pervasive_scope_limitation_is_a_disclaimer() -> None:
    proposal = propose_opinion([("CC1.1", K.MET)], [Matter(MatterKind.SCOPE_LIMITATION, "Logs destroyed", True, True)])
    assert proposal.opinion is P.DISCLAIMER


# ---- wording ------------------------------------------------------------------


def test_section4_wording_reads_as_a_sentence() -> None:
    assert result_wording([_sample(25, 0)], [], type1=False) == "No exceptions noted."
    text = result_wording([_sample(25, 2, wording="the change was approved by its author")], [], type1=False)
    assert text == "Exceptions noted. 2 of 25 items: the change was approved by its author."
    fallback = result_wording([_sample(25, 2)], [], type1=False)
    assert "attribute A (" not in fallback
    assert "2 of 25 items" in fallback
    assert result_wording([], [], type1=True).startswith("Operating effectiveness is not tested")


# ---- properties (hypothesis) ---------------------------------------------------

_frequencies = st.sampled_from(["monthly", "weekly", "daily", "quarterly"])


@st.composite
def _tallies(draw: st.DrawFn) -> SampleTally:
    size = draw(st.integers(1, 80))
    statistical = draw(st.booleans())
    passed = draw(st.integers(0, size))
    deviations = draw(st.integers(0, size - passed))
    untested = size - passed - deviations
    ext = draw(st.sampled_from([None, size + 15]))
    return SampleTally(
        sample_id=1,
        size=size,
        statistical=statistical,
        confidence=Decimal("0.95") if statistical else None,
        tolerable_rate=Decimal(draw(st.sampled_from(["0.05", "0.1"]))) if statistical else None,
        population_size=draw(st.sampled_from([None, size, size * 10])),
        hypergeometric=False,
        attributes=(AttributeTally("A", "q", passed, deviations, 0, untested),),
        frequency=draw(_frequencies),
        whole_population=False,
        planned_extension=ext,
        extended=ext is not None and draw(st.booleans()),
    )


def _with(t: SampleTally, passed: int, deviations: int, untested: int) -> SampleTally:
    a = t.attributes[0]
    return SampleTally(
        t.sample_id,
        t.size,
        t.statistical,
        t.confidence,
        t.tolerable_rate,
        t.population_size,
        t.hypergeometric,
        (AttributeTally(a.letter, a.question, passed, deviations, a.not_applicable, untested),),
        t.method,
        t.frequency,
        t.whole_population,
        t.planned_extension,
        t.extended,
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_tallies(), st.integers(0, 5))
def test_adding_a_deviation_never_improves_the_conclusion(tally: SampleTally, other: int) -> None:
    a = tally.attributes[0]
    if a.passed == 0:
        return
    worse = _with(tally, a.passed - 1, a.deviations + 1, a.untested)
    before = evaluate_control([tally], other_exceptions=other).computed
    after = evaluate_control([worse], other_exceptions=other).computed
    assert after.rank >= before.rank


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_tallies())
def test_adding_a_passing_item_to_a_complete_statistical_sample_never_worsens_it(tally: SampleTally) -> None:
    a = tally.attributes[0]
    if not tally.statistical or a.untested:
        return
    more = SampleTally(
        tally.sample_id,
        tally.size,
        True,
        tally.confidence,
        tally.tolerable_rate,
        tally.population_size,
        False,
        (AttributeTally("A", "q", a.passed + 1, a.deviations, 0, 0),),
        tally.method,
        tally.frequency,
        False,
        tally.planned_extension,
        tally.extended,
    )
    assert evaluate_control([more]).computed.rank <= evaluate_control([tally]).computed.rank


_controls = st.builds(
    MappedControl,
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(list(C)),
    st.sampled_from(list(Compensation)),
    st.just(("Z",)),
    st.sampled_from([None, *DesignConclusion]),
    st.integers(0, 2),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_controls, max_size=4), st.integers(0, 3))
def test_a_failing_control_added_never_improves_the_criterion(controls: list[MappedControl], at: int) -> None:
    base = conclude_criterion(controls).conclusion
    worse = list(controls)
    worse.insert(min(at, len(worse)), MappedControl("F", C.NOT_EFFECTIVE, design=DesignConclusion.DESIGNED))
    after = conclude_criterion(worse).conclusion
    assert after.rank >= base.rank or base is K.NOT_COVERED


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(list(K)), min_size=1, max_size=8))
def test_the_proposal_never_reads_unmodified_while_a_criterion_is_not_met_or_pending(
    conclusions: list[CriterionConclusion],
) -> None:
    proposal = propose_opinion([(f"CC{i}.1", k) for i, k in enumerate(conclusions)], [])
    if any(k.failing or not k.concluded for k in conclusions):
        assert proposal.opinion is not P.UNMODIFIED
    if any(not k.concluded for k in conclusions):
        assert proposal.opinion is P.PENDING


def test_retiring_an_attribute_never_hides_its_deviations() -> None:
    live = AttributeTally("A", "Approved?", 59, 0, 0, 0)
    retired = AttributeTally("B", "Ticket linked?", 10, 3, 0, 46, retired=True)
    tally = SampleTally(
        sample_id=1,
        size=59,
        statistical=True,
        confidence=Decimal("0.95"),
        tolerable_rate=Decimal("0.05"),
        population_size=None,
        hypergeometric=False,
        attributes=(live, retired),
    )
    assert tally.complete  # the retired attribute's untested items no longer hold the sample open
    assert evaluate_control([tally]).computed is C.NOT_EFFECTIVE  # 3 deviations in 13 still count
