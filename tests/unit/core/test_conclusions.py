"""The conclusion rules on plain data: control, criterion, opinion, section 4 wording."""

from __future__ import annotations

from decimal import Decimal

from auditdesk.conclusions import (
    AttributeTally,
    ControlConclusion,
    CriterionConclusion,
    MappedControl,
    Matter,
    MatterKind,
    Opinion,
    SampleTally,
    conclude_criterion,
    evaluate_control,
    propose_opinion,
    result_wording,
)

C = ControlConclusion
K = CriterionConclusion


def _sample(size: int, deviations: int, untested: int = 0, *, statistical: bool = True, na: int = 0) -> SampleTally:
    passed = size - deviations - untested - na
    return SampleTally(
        sample_id=1,
        size=size,
        statistical=statistical,
        confidence=Decimal("0.95") if statistical else None,
        tolerable_rate=Decimal("0.05") if statistical else None,
        population_size=None,
        hypergeometric=False,
        attributes=(AttributeTally("A", "Approved before deploy?", passed, deviations, na, untested),),
    )


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


def test_not_applicable_items_reduce_n() -> None:
    # 59 items with 0 deviations support 5% at 95%; with 10 n/a only 49 count: 5.9% > 5%.
    assert evaluate_control([_sample(59, 0)]).computed is C.EFFECTIVE
    assert evaluate_control([_sample(59, 0, na=10)]).computed is C.NOT_EFFECTIVE


def test_non_statistical_deviation_asks_the_auditor() -> None:
    assert evaluate_control([_sample(25, 1, statistical=False)]).computed is C.EXCEPTIONS_NOTED
    assert evaluate_control([_sample(25, 0, statistical=False)]).computed is C.EFFECTIVE


def test_criterion_rules() -> None:
    assert conclude_criterion([])[0] is K.NOT_ADDRESSED
    assert conclude_criterion([MappedControl("A", C.EFFECTIVE, False)])[0] is K.MET
    assert conclude_criterion([MappedControl("A", C.EFFECTIVE_WITH_EXCEPTIONS, False)])[0] is K.MET_WITH_EXCEPTIONS
    failing = MappedControl("A", C.NOT_EFFECTIVE, False)
    assert conclude_criterion([failing])[0] is K.NOT_MET
    assert conclude_criterion([failing, MappedControl("B", C.PENDING, False)])[0] is K.NOT_MET
    assert conclude_criterion([failing, MappedControl("B", C.EFFECTIVE, False)])[0] is K.MET_WITH_EXCEPTIONS
    assert conclude_criterion([MappedControl("A", C.NOT_EFFECTIVE, True)])[0] is K.MET_WITH_EXCEPTIONS
    assert conclude_criterion([MappedControl("A", C.PENDING, False)])[0] is K.PENDING
    assert conclude_criterion([MappedControl("A", C.NOT_TESTED, False)])[0] is K.MET


def test_opinion_rules() -> None:
    ok = [("CC1.1", K.MET), ("CC6.1", K.MET)]
    assert propose_opinion(ok, []).opinion is Opinion.UNMODIFIED
    assert (
        propose_opinion([("CC1.1", K.MET), ("CC6.1", K.NOT_MET)] + [(f"X{i}", K.MET) for i in range(10)], []).opinion
        is Opinion.QUALIFIED
    )
    spread = [("CC6.1", K.NOT_MET), ("CC7.1", K.NOT_MET), ("CC8.1", K.NOT_MET)] + [(f"X{i}", K.MET) for i in range(30)]
    assert propose_opinion(spread, []).opinion is Opinion.ADVERSE
    scope = Matter(MatterKind.SCOPE_LIMITATION, "Logs for Q3 were deleted.", material=True, pervasive=True)
    assert propose_opinion(ok, [scope]).opinion is Opinion.DISCLAIMER
    misstatement = Matter(MatterKind.DESCRIPTION_MISSTATEMENT, "Backups described as daily.", True, False)
    qualified = propose_opinion(ok, [misstatement])
    assert qualified.opinion is Opinion.QUALIFIED
    assert "Backups described as daily." in qualified.reasons[0]
    immaterial = Matter(MatterKind.SCOPE_LIMITATION, "One ticket missing.", material=False, pervasive=False)
    assert propose_opinion(ok, [immaterial]).opinion is Opinion.UNMODIFIED
    pending = propose_opinion([("CC1.1", K.PENDING)], [])
    assert pending.opinion is Opinion.UNMODIFIED
    assert pending.pending_criteria == 1


def test_section4_wording() -> None:
    assert result_wording([_sample(25, 0)], [], type1=False) == "No exceptions noted."
    text = result_wording([_sample(25, 2)], ["Two changes lacked approval."], type1=False)
    assert text.startswith("Exceptions noted: 2 of 25 items sampled deviated on attribute A (Approved before deploy)")
    assert text.endswith("Two changes lacked approval.")
    assert "not tested in a Type 1" in result_wording([], [], type1=True)
    assert result_wording([], [], type1=False) == "Not yet tested."
