"""Selections, receipts, re-performance and extension."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import sampling.selection as selection_module
from sampling import (
    ALGORITHMS,
    InvalidParameterError,
    Population,
    PopulationDataError,
    PopulationMismatchError,
    Progress,
    RandomStream,
    ReperformanceError,
    Selection,
    SelectionReceipt,
    extend_selection,
    generate_occurrences,
    iter_select_random,
    iter_select_stratified,
    reperform,
    select_pps,
    select_random,
    select_stratified,
    select_systematic,
)


@pytest.fixture(scope="module")
def year() -> Population:
    return generate_occurrences("daily", "2025-01-01", "2025-12-31", ["2025-01-01", "2025-12-25"])


@pytest.fixture(scope="module")
def ledger() -> Population:
    rng = np.random.default_rng(17)
    cents = np.round(rng.lognormal(9, 1.6, 3000)).astype(np.int64) + 1
    cents[[10, 500, 2999]] = [90_000_000, 45_000_000, 60_000_000]  # three very large items
    days = np.datetime64("2025-01-01") + rng.integers(0, 365, 3000)
    return Population.from_columns(
        [f"INV-{i:05d}" for i in range(3000)], days.astype("datetime64[D]"), cents, amount_scale=2
    )


def roundtrip(receipt: SelectionReceipt) -> SelectionReceipt:
    return SelectionReceipt.from_dict(json.loads(json.dumps(receipt.to_dict())))


def test_random_selection_and_receipt(year: Population) -> None:
    selection = select_random(year, 25, seed=20250101)
    assert len(selection) == 25
    assert len(set(selection.keys)) == 25
    assert selection.keys == tuple(year.keys[i] for i in selection.indices)
    expected = RandomStream(20250101).distinct(len(year), 25)
    assert list(selection.indices) == expected
    receipt = selection.receipt
    assert receipt.method == selection.method == "random"
    assert receipt.parameters == {"n": 25}
    assert (receipt.algorithm, receipt.algorithm_version) == ALGORITHMS["random"]
    assert receipt.stream == "shake256-ctr-v1"
    assert receipt.population_digest == year.digest
    assert receipt.population_size == 259
    assert receipt.population_first_date == "2025-01-02"
    assert receipt.population_last_date == "2025-12-31"
    assert receipt.selected_keys == selection.keys
    assert set(receipt.library_versions) == {"python", "numpy", "scipy", "sampling"}
    assert roundtrip(receipt) == receipt
    assert selection.in_population_order() == tuple(sorted(selection.keys))
    data = selection.to_dict()
    assert data["receipt"]["seed"] == 20250101
    assert json.loads(json.dumps(data)) == data


def test_golden_selection_never_changes() -> None:
    """The stream and algorithm are a contract: this exact result must hold forever."""
    population = Population.from_columns([f"K{i:03d}" for i in range(1, 101)], None)
    selection = select_random(population, 5, seed=12345)
    indices = RandomStream(12345).distinct(100, 5)
    assert list(selection.indices) == indices
    assert selection.keys == tuple(f"K{i + 1:03d}" for i in indices)


def test_seed_from_the_operating_system(year: Population) -> None:
    first = select_random(year, 10)
    second = select_random(year, 10)
    assert 0 <= first.receipt.seed < 2**64
    assert first.receipt.seed != second.receipt.seed
    assert reperform(year, first.receipt).keys == first.keys


def test_large_random_selection_reports_progress() -> None:
    population = Population.from_columns([str(i) for i in range(30_000)], None)
    steps = []
    generator = iter_select_random(population, 20_000, seed=1)
    while True:
        try:
            steps.append(next(generator))
        except StopIteration as stop:
            selection = stop.value
            break
    assert all(isinstance(step, Progress) for step in steps)
    assert any(step.label == "Drawing the random sample" for step in steps)
    assert len(set(selection.keys)) == 20_000


def test_systematic_selection(year: Population) -> None:
    selection = select_systematic(year, 25, seed=4)
    start = RandomStream(4).below(len(year))
    assert selection.details == {"random_start": start, "interval": str(Fraction(259, 25))}
    assert list(selection.indices) == [(start + i * 259) // 25 for i in range(25)]
    gaps = np.diff(selection.indices)
    assert set(gaps.tolist()) <= {10, 11}
    assert reperform(year, roundtrip(selection.receipt)).keys == selection.keys


def test_stratified_by_month_covers_every_month(year: Population) -> None:
    selection = select_stratified(year, 25, "month", seed=9)
    assert [s.label for s in selection.strata] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert sum(s.sample_count for s in selection.strata) == 25
    assert all(s.sample_count >= 2 for s in selection.strata)
    months = {key[:7] for key in selection.keys}
    assert len(months) == 12
    for report in selection.strata:
        in_month = [k for k in selection.keys if k.startswith(report.label)]
        assert len(in_month) == report.sample_count
    assert reperform(year, roundtrip(selection.receipt)).keys == selection.keys
    assert selection.to_dict()["strata"][0]["label"] == "2025-01"


def test_stratified_quarters_custom_ranges_and_period(year: Population) -> None:
    quarters = select_stratified(year, 8, "quarter", seed=2)
    assert [s.sample_count for s in quarters.strata] == [2, 2, 2, 2]
    halves = select_stratified(
        year,
        10,
        [(dt.date(2025, 7, 1), dt.date(2025, 12, 31)), ("2025-01-01", "2025-06-30")],
        seed=2,
    )
    assert [s.label for s in halves.strata] == [
        "2025-07-01 to 2025-12-31",
        "2025-01-01 to 2025-06-30",
    ]
    assert halves.receipt.parameters["strata"] == [
        ["2025-07-01", "2025-12-31"],
        ["2025-01-01", "2025-06-30"],
    ]
    period = select_stratified(
        year, 13, "month", seed=2, period_start=dt.date(2024, 12, 1), period_end="2025-12-31"
    )
    assert period.strata[0].label == "2024-12"
    assert period.strata[0].sample_count == 0
    assert reperform(year, period.receipt).keys == period.keys


def test_stratified_progress_names_each_stratum(year: Population) -> None:
    labels = []
    generator = iter_select_stratified(year, 12, "quarter", seed=1)
    while True:
        try:
            labels.append(next(generator).label)
        except StopIteration:
            break
    assert labels[0] == "Assigning items to strata"
    assert labels[-4:] == [f"Drawing stratum 2025-Q{q}" for q in range(1, 5)]


def test_pps_selection_by_size(ledger: Population) -> None:
    selection = select_pps(ledger, 60, seed=77)
    units = ledger.amount_units
    assert units is not None
    total = int(units.sum())
    a, b = selection.details["interval_units"]
    assert Fraction(a, b) == Fraction(total, 60)
    start = RandomStream(77).below(a)
    assert selection.details["random_start_units"] == start
    points = [(start + i * a) // b for i in range(60)]
    cumulative = np.cumsum(units)
    hits = np.searchsorted(cumulative, points, side="right").tolist()
    assert list(selection.indices) == list(dict.fromkeys(hits))
    assert set(selection.certainty_keys) == {"INV-00010", "INV-00500", "INV-02999"}
    assert set(selection.certainty_keys) <= set(selection.keys)
    assert selection.details["draws"] == 60
    assert Decimal(selection.details["total"]) == ledger.total_amount()
    assert reperform(ledger, roundtrip(selection.receipt)).keys == selection.keys


def test_pps_selection_by_interval(ledger: Population) -> None:
    selection = select_pps(ledger, interval="250000.00", seed=5)
    total = ledger.total_amount()
    assert selection.details["interval"] == "250000.00"
    assert selection.details["draws"] in (int(total / 250000), int(total / 250000) + 1)
    units = ledger.amount_units
    assert units is not None
    big = [ledger.keys[i] for i in np.flatnonzero(units >= 25_000_000).tolist()]
    assert sorted(selection.certainty_keys) == sorted(big)
    assert selection.receipt.parameters == {"n": None, "interval": "250000.00"}


def test_pps_refuses_unusable_amounts() -> None:
    undated = Population.from_columns(["a", "b"], None)
    with pytest.raises(PopulationDataError, match="no amounts"):
        select_pps(undated, 1, seed=1)
    bad = Population.from_columns(["a", "b", "c"], None, ["10", "0", None])
    with pytest.raises(
        PopulationDataError, match="2 item\\(s\\) have a missing, zero or negative amount"
    ):
        select_pps(bad, 1, seed=1)
    negative = Population.from_columns(["a", "b"], None, ["10", "-1"])
    with pytest.raises(PopulationDataError, match="first: 'b'"):
        select_pps(negative, 1, seed=1)
    huge = Population.from_columns(["a", "b"], None, np.array([2**61, 2**61]))
    with pytest.raises(PopulationDataError, match="total is too large"):
        select_pps(huge, 1, seed=1)
    # Large but exact: the running total fits.
    fits = Population.from_columns(["a", "b", "c"], None, np.array([2**61, 1, 1]))
    assert select_pps(fits, 2, seed=1).certainty_keys == ("a",)


def test_pps_parameter_errors(ledger: Population) -> None:
    with pytest.raises(InvalidParameterError, match="either the sample size n or the interval"):
        select_pps(ledger, 10, interval=1000, seed=1)
    with pytest.raises(InvalidParameterError, match="either the sample size n or the interval"):
        select_pps(ledger, seed=1)
    with pytest.raises(InvalidParameterError, match="interval must be positive"):
        select_pps(ledger, interval="0", seed=1)
    with pytest.raises(InvalidParameterError, match="larger than the population total"):
        select_pps(ledger, interval="1e12", seed=1)
    with pytest.raises(InvalidParameterError, match="so small"):
        select_pps(ledger, interval="0.001", seed=1)


@pytest.mark.parametrize("n", [0, -3, 2.5, True, 260])
def test_bad_sizes(year: Population, n: object) -> None:
    with pytest.raises(InvalidParameterError, match="sample size"):
        select_random(year, n)  # type: ignore[arg-type]


def test_size_may_be_an_int_subclass(year: Population) -> None:
    class Size(int):
        pass

    assert len(select_random(year, Size(5), seed=1)) == 5


def test_bad_seed_and_dates(year: Population) -> None:
    with pytest.raises(InvalidParameterError, match="seed"):
        select_random(year, 5, seed=-1)
    with pytest.raises(InvalidParameterError, match="period start must be a date"):
        select_stratified(year, 5, period_start="next year")
    with pytest.raises(InvalidParameterError, match="period end must be a date"):
        select_stratified(year, 5, period_end=3)  # type: ignore[arg-type]


def test_duplicate_keys_are_refused() -> None:
    population = Population.from_columns(["a", "b", "a"], None)
    with pytest.raises(PopulationDataError, match="1 duplicate key\\(s\\) \\(first: 'a'\\)"):
        select_random(population, 1, seed=1)


def test_whole_population_and_large_samples() -> None:
    population = Population.from_columns([f"k{i}" for i in range(10)], None)
    everything = select_random(population, 10, seed=3)
    assert everything.keys == population.keys
    most = select_random(population, 8, seed=3)
    assert len(set(most.keys)) == 8
    assert list(most.indices) == sorted(most.indices)  # the complement rule lists in order


# -- re-performance ---------------------------------------------------------------------


def test_reperform_refuses_a_different_population(year: Population) -> None:
    selection = select_random(year, 10, seed=8)
    other = generate_occurrences("daily", "2025-01-01", "2025-12-31")
    with pytest.raises(
        PopulationMismatchError, match="is not the one the sample was drawn from"
    ) as caught:
        reperform(other, selection.receipt)
    assert "261 items" in str(caught.value)
    assert "259 items" in str(caught.value)


def _altered(receipt: SelectionReceipt, **changes: object) -> SelectionReceipt:
    data = receipt.to_dict()
    data.update(changes)
    return SelectionReceipt.from_dict(data)


def test_reperform_detects_altered_receipts(year: Population) -> None:
    receipt = select_random(year, 10, seed=8).receipt
    with pytest.raises(ReperformanceError, match="first difference at item 1"):
        reperform(year, _altered(receipt, seed=9))
    with pytest.raises(ReperformanceError, match="first difference at item 11"):
        reperform(year, _altered(receipt, selected_keys=[*receipt.selected_keys, "extra"]))
    with pytest.raises(InvalidParameterError, match="does not provide"):
        reperform(year, _altered(receipt, algorithm_version=2))
    with pytest.raises(InvalidParameterError, match="does not provide"):
        reperform(year, _altered(receipt, method="haphazard"))
    with pytest.raises(InvalidParameterError, match="random stream 'mt19937'"):
        reperform(year, _altered(receipt, stream="mt19937"))


def test_receipt_from_dict_checks_its_input(year: Population) -> None:
    data = select_random(year, 3, seed=8).receipt.to_dict()
    assert SelectionReceipt.from_dict({**data, "seed": str(data["seed"])}).seed == 8
    with pytest.raises(InvalidParameterError, match="must be a JSON object"):
        SelectionReceipt.from_dict([1, 2])  # type: ignore[arg-type]
    partial = dict(data)
    del partial["seed"], partial["stream"]
    with pytest.raises(InvalidParameterError, match="lacks seed, stream"):
        SelectionReceipt.from_dict(partial)
    with pytest.raises(InvalidParameterError, match="schema 2"):
        SelectionReceipt.from_dict({**data, "schema": 2})
    with pytest.raises(InvalidParameterError, match="must be JSON objects"):
        SelectionReceipt.from_dict({**data, "parameters": [1]})
    with pytest.raises(InvalidParameterError, match="seed"):
        SelectionReceipt.from_dict({**data, "seed": "-5"})


# -- extension --------------------------------------------------------------------------


def test_extend_on_the_same_population(year: Population) -> None:
    first = select_random(year, 25, seed=1)
    grown = extend_selection(year, first, 40, seed=2)
    assert grown.keys[:25] == first.keys
    assert grown.prior_keys == first.keys
    assert len(set(grown.keys)) == 40
    assert grown.method == "extension"
    assert grown.receipt.parameters["after"] is None
    assert grown.receipt.parameters["prior_receipt"]["seed"] == 1
    assert reperform(year, roundtrip(grown.receipt)).keys == grown.keys
    same = extend_selection(year, first.receipt, 25, seed=3)
    assert same.keys == first.keys
    with pytest.raises(InvalidParameterError, match="Give the new sample size"):
        extend_selection(year, first)
    with pytest.raises(InvalidParameterError, match="smaller than the 25 items already selected"):
        extend_selection(year, first, 20)


def test_roll_forward_of_a_random_selection() -> None:
    interim = generate_occurrences("daily", "2025-01-01", "2025-09-30")
    full = generate_occurrences("daily", "2025-01-01", "2025-12-31")
    first = select_random(interim, 30, seed=5)
    rolled = extend_selection(full, first, seed=6)
    assert len(rolled) == -(-30 * len(full) // len(interim))
    assert rolled.keys[:30] == first.keys
    assert all(key > "2025-09-30" for key in rolled.keys[30:])
    assert rolled.receipt.parameters["after"] == "2025-09-30"
    assert reperform(full, rolled.receipt).keys == rolled.keys
    # Extending the extension keeps everything again.
    longer = generate_occurrences("daily", "2025-01-01", "2026-03-31")
    again = extend_selection(longer, rolled, seed=7)
    assert again.keys[: len(rolled)] == rolled.keys
    assert all(key > "2025-12-31" for key in again.keys[len(rolled) :])
    with pytest.raises(PopulationDataError, match="dated after 2025-09-30"):
        extend_selection(full, first, 200, seed=6)


def test_roll_forward_of_a_stratified_selection() -> None:
    interim = generate_occurrences("daily", "2025-01-01", "2025-09-30")
    full = generate_occurrences("daily", "2025-01-01", "2025-12-31")
    first = select_stratified(interim, 27, "month", seed=5)
    rolled = extend_selection(full, first, seed=6)
    assert rolled.keys[:27] == first.keys
    assert [s.label for s in rolled.strata][-3:] == ["2025-10", "2025-11", "2025-12"]
    assert all(s.sample_count >= 3 for s in rolled.strata)
    assert sum(s.sample_count for s in rolled.strata) == len(rolled)
    assert reperform(full, rolled.receipt).keys == rolled.keys
    grown = extend_selection(full, rolled, len(rolled) + 5, seed=8)
    assert grown.keys[: len(rolled)] == rolled.keys
    assert sum(s.sample_count for s in grown.strata) == len(grown)


def test_extension_without_dates_draws_from_unselected_items() -> None:
    small = Population.from_columns([f"k{i}" for i in range(10)], None)
    large = Population.from_columns([f"k{i}" for i in range(20)], None)
    first = select_systematic(small, 4, seed=1)
    grown = extend_selection(large, first, seed=2)
    assert len(grown) == 8
    assert grown.receipt.parameters["after"] is None
    assert grown.keys[:4] == first.keys


def test_extension_refusals(ledger: Population, year: Population) -> None:
    with pytest.raises(InvalidParameterError, match="cannot be extended"):
        extend_selection(ledger, select_pps(ledger, 10, seed=1), 20)
    first = select_random(year, 10, seed=1)
    smaller = Population.from_columns(list(year.keys[:100]), None)
    with pytest.raises(
        PopulationMismatchError, match="previously selected item\\(s\\) are not in this population"
    ):
        extend_selection(smaller, first, 50, seed=1)
    with pytest.raises(InvalidParameterError, match="larger than the population"):
        extend_selection(year, first, 1000, seed=1)


def test_selection_is_a_frozen_value(year: Population) -> None:
    selection = select_random(year, 3, seed=1)
    with pytest.raises(AttributeError):
        selection.keys = ()  # type: ignore[misc]
    assert isinstance(selection, Selection)
    assert selection_module.new_seed() != selection_module.new_seed()


def test_fast_construction_equals_the_dataclass(year: Population) -> None:
    selection = select_random(year, 3, seed=1)
    receipt = selection.receipt
    rebuilt = SelectionReceipt(**{f: getattr(receipt, f) for f in receipt.__dataclass_fields__})
    assert rebuilt == receipt
    assert hash(rebuilt) == hash(receipt)
    again = Selection(**{f: getattr(selection, f) for f in selection.__dataclass_fields__})
    assert again == selection
    assert repr(again) == repr(selection)
