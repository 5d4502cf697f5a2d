"""Strata across the period and proportional allocation."""

from __future__ import annotations

import datetime as dt

import pytest

from sampling import InvalidParameterError, Population, PopulationDataError
from sampling.strata import UNDATED, allocate, largest_remainder, normalise_strata, plan_strata


def test_largest_remainder() -> None:
    assert largest_remainder([1, 1, 1], 2, [1, 1, 1]) == [1, 1, 0]  # ties: earlier first
    assert largest_remainder([1, 2, 1], 2, [5, 9, 5]) == [1, 1, 0]
    assert largest_remainder([3, 3], 1, [3, 8]) == [0, 1]  # tie: larger stratum
    assert largest_remainder([0, 0], 3, [0, 0]) == [0, 0]
    assert largest_remainder([5, 5], 0, [5, 5]) == [0, 0]


def test_allocation_gives_every_stratum_one_then_shares() -> None:
    assert allocate([23, 20, 21], 3) == [1, 1, 1]
    assert sum(allocate([100, 10, 1, 0], 20)) == 20
    assert allocate([100, 10, 1, 0], 20) == [17, 2, 1, 0]
    # Fewer items than strata: proportional, the largest strata first.
    assert allocate([10, 50, 40], 2) == [0, 1, 1]
    # Never more than a stratum holds.
    assert allocate([1, 1, 10], 12) == [1, 1, 10]
    assert allocate([1, 1], 2) == [1, 1]


def test_calendar_strata_are_clipped_to_the_period() -> None:
    population = Population.from_columns(["a", "b"], ["2025-02-10", "2025-05-20"])
    months = plan_strata(population, "month")
    assert months.labels == ("2025-02", "2025-03", "2025-04", "2025-05")
    assert months.starts[0] == dt.date(2025, 2, 10)
    assert months.ends[-1] == dt.date(2025, 5, 20)
    assert months.sizes == [1, 0, 0, 1]
    quarters = plan_strata(population, "quarter", "2024-11-01", "2025-12-31")
    assert quarters.labels == ("2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")
    assert quarters.starts[0] == dt.date(2024, 11, 1)
    assert quarters.ends[0] == dt.date(2024, 12, 31)
    assert quarters.sizes == [0, 1, 1, 0, 0]
    reports = quarters.reports([0, 1, 1, 0, 0])
    assert reports[1].to_dict() == {
        "label": "2025-Q1",
        "start": "2025-01-01",
        "end": "2025-03-31",
        "population_count": 1,
        "sample_count": 1,
    }


def test_custom_strata_keep_the_given_order() -> None:
    population = Population.from_columns(
        ["a", "b", "c"], ["2025-07-01", "2025-01-05", "2025-03-01"]
    )
    ranges = [("2025-07-01", "2025-12-31"), (dt.date(2025, 1, 1), dt.date(2025, 6, 30))]
    plan = plan_strata(population, normalise_strata(ranges))
    assert plan.labels == ("2025-07-01 to 2025-12-31", "2025-01-01 to 2025-06-30")
    assert [m.tolist() for m in plan.members] == [[0], [1, 2]]
    assert plan.stratum_of.tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    ("strata", "message"),
    [
        ("week", "'month', 'quarter' or a list"),
        (7, "'month', 'quarter' or a list"),
        ([], "at least one stratum"),
        (["2025-01-01"], "must be a \\(start, end\\) pair"),
        ([("2025-02-01", "2025-01-01")], "ends before it starts"),
        ([("2025-01-01", "2025-03-31"), ("2025-03-31", "2025-06-30")], "overlap"),
        ([("2025-01-01", "junk")], "stratum end must be a date"),
        ([(20250101, "2025-01-31")], "stratum start must be a date"),
    ],
)
def test_bad_strata(strata: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        normalise_strata(strata)


def test_undated_items_form_their_own_stratum() -> None:
    missing = Population.from_columns(["a", "b", "c"], ["2025-01-01", None, "2025-02-03"])
    plan = plan_strata(missing, "month", "2025-01-01", "2025-03-31")
    assert plan.labels == ("2025-01", "2025-02", "2025-03", UNDATED)
    assert plan.starts[-1] is None
    assert plan.ends[-1] is None
    assert [m.tolist() for m in plan.members] == [[0], [2], [], [1]]
    report = plan.reports([1, 1, 0, 1])[-1]
    assert report.to_dict() == {"label": "Undated", "start": None, "end": None, "population_count": 1,
                                "sample_count": 1}
    custom = plan_strata(missing, [["2025-02-01", "2025-02-28"], ["2025-01-01", "2025-01-31"]])
    assert [m.tolist() for m in custom.members] == [[2], [0], [1]]


def test_items_must_be_inside() -> None:
    population = Population.from_columns(["a", "b"], ["2025-01-01", "2025-08-01"])
    with pytest.raises(
        PopulationDataError, match="fall outside the strata \\(first: 'b' dated 2025-08-01\\)"
    ):
        plan_strata(population, "month", period_end="2025-06-30")
    with pytest.raises(PopulationDataError, match="first: 'a'"):
        plan_strata(population, [["2025-02-01", "2025-12-31"]])
    with pytest.raises(InvalidParameterError, match="swap the dates"):
        plan_strata(population, "month", "2025-12-31", "2025-01-01")
    empty = Population.from_columns([], [])
    with pytest.raises(PopulationDataError, match="no dated items"):
        plan_strata(empty, "month")
    with pytest.raises(InvalidParameterError, match="period start must be a date"):
        plan_strata(population, "month", "soon")
