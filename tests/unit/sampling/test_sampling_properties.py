"""Property tests: sizes are monotone; selections are sound and reproducible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sampling import (
    Population,
    attribute_sample_size,
    extend_selection,
    mus_sample_size,
    reperform,
    select_pps,
    select_random,
    select_stratified,
    select_systematic,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Rates on the quarter-percent grid of the AICPA tables (exact decimals).
tolerable_rates = st.integers(8, 80).map(lambda q: Decimal(q) / 400)  # 2% .. 20%
expected_rates = st.integers(0, 20).map(lambda q: Decimal(q) / 400)  # 0% .. 5%
confidences = st.sampled_from([Decimal("0.80"), Decimal("0.90"), Decimal("0.95"), Decimal("0.99")])
methods = st.sampled_from(["binomial", "poisson"])


@FAST
@given(confidences, tolerable_rates, tolerable_rates, expected_rates, methods)
def test_size_does_not_grow_with_the_tolerable_rate(
    confidence: Decimal, t1: Decimal, t2: Decimal, expected: Decimal, method: str
) -> None:
    low, high = sorted((t1, t2))
    assume(expected < low)
    n_low = attribute_sample_size(confidence, low, expected, method=method).n
    n_high = attribute_sample_size(confidence, high, expected, method=method).n
    assert n_high <= n_low


@FAST
@given(confidences, tolerable_rates, expected_rates, expected_rates, methods)
def test_size_does_not_shrink_with_the_expected_rate(
    confidence: Decimal, tolerable: Decimal, e1: Decimal, e2: Decimal, method: str
) -> None:
    low, high = sorted((e1, e2))
    assume(high < tolerable)
    n_low = attribute_sample_size(confidence, tolerable, low, method=method).n
    n_high = attribute_sample_size(confidence, tolerable, high, method=method).n
    assert n_high >= n_low


@FAST
@given(confidences, confidences, tolerable_rates, expected_rates)
def test_size_does_not_shrink_with_confidence(
    c1: Decimal, c2: Decimal, tolerable: Decimal, expected: Decimal
) -> None:
    low, high = sorted((c1, c2))
    assume(expected < tolerable)
    assert (
        attribute_sample_size(high, tolerable, expected).n
        >= attribute_sample_size(low, tolerable, expected).n
    )


@FAST
@given(
    confidences,
    st.integers(100, 5000),
    tolerable_rates,
    st.integers(0, 40).map(lambda q: Decimal(q) / 1000),
)
def test_hypergeometric_needs_no_more_than_the_population(
    confidence: Decimal, size: int, tolerable: Decimal, expected: Decimal
) -> None:
    assume(expected < tolerable)
    plan = attribute_sample_size(confidence, tolerable, expected, size, "hypergeometric")
    assert 1 <= plan.n <= size
    binomial = attribute_sample_size(confidence, tolerable, expected)
    assert plan.n <= binomial.n or plan.exceeds_population


@FAST
@given(
    confidences,
    st.integers(10_000, 10_000_000),
    st.integers(2, 10).map(lambda p: Decimal(p) / 100),
    st.integers(0, 50).map(lambda p: Decimal(p) / 100),
)
def test_mus_size_monotone_in_expected_misstatement(
    confidence: Decimal, book: int, tolerable_share: Decimal, expected_part: Decimal
) -> None:
    tolerable = tolerable_share * book
    plan = mus_sample_size(confidence, book, tolerable, expected_part * tolerable)
    larger = min(expected_part + Decimal("0.1"), Decimal("0.9"))
    more = mus_sample_size(confidence, book, tolerable, larger * tolerable)
    assert more.n >= plan.n
    assert plan.interval * plan.n == book or abs(plan.interval * plan.n - book) < 1e-6 * book


def population_of(size: int, spread_days: int) -> Population:
    start = dt.date(2025, 1, 1)
    dates = [start + dt.timedelta(days=(i * 7919) % spread_days) for i in range(size)]
    amounts = [(i * 7907) % 100_000 + 1 for i in range(size)]
    return Population.from_columns([f"item-{i}" for i in range(size)], dates, amounts)


@FAST
@given(
    size=st.integers(1, 400),
    spread=st.integers(1, 730),
    seed=st.integers(0, 2**64 - 1),
    data=st.data(),
    method=st.sampled_from(["random", "systematic", "pps"]),
)
def test_selections_are_sound_and_reproducible(
    size: int, spread: int, seed: int, data: st.DataObject, method: str
) -> None:
    population = population_of(size, spread)
    n = data.draw(st.integers(1, size))
    chooser = {"random": select_random, "systematic": select_systematic, "pps": select_pps}[method]
    selection = chooser(population, n, seed=seed)
    keys = set(population.keys)
    assert len(set(selection.keys)) == len(selection.keys)
    assert set(selection.keys) <= keys
    if method != "pps":  # PPS hits large items more than once, so it can select fewer
        assert len(selection.keys) == n
    assert set(selection.certainty_keys) <= set(selection.keys)
    assert reperform(population, selection.receipt).keys == selection.keys


@FAST
@given(
    size=st.integers(1, 300),
    spread=st.integers(1, 730),
    seed=st.integers(0, 2**64 - 1),
    data=st.data(),
    strata=st.sampled_from(["month", "quarter"]),
)
def test_stratified_selections_cover_every_stratum(
    size: int, spread: int, seed: int, data: st.DataObject, strata: str
) -> None:
    population = population_of(size, spread)
    n = data.draw(st.integers(1, size))
    selection = select_stratified(population, n, strata, seed=seed)
    assert len(set(selection.keys)) == n
    occupied = [s for s in selection.strata if s.population_count > 0]
    if n >= len(occupied):
        assert all(s.sample_count >= 1 for s in occupied)
    assert all(s.sample_count <= s.population_count for s in selection.strata)
    assert sum(s.sample_count for s in selection.strata) == n
    assert reperform(population, selection.receipt).keys == selection.keys


@FAST
@given(size=st.integers(2, 300), seed=st.integers(0, 2**64 - 1), data=st.data())
def test_extensions_keep_every_prior_item(size: int, seed: int, data: st.DataObject) -> None:
    population = population_of(size, 365)
    n = data.draw(st.integers(1, size - 1))
    grown_to = data.draw(st.integers(n, size))
    first = select_random(population, n, seed=seed)
    grown = extend_selection(population, first, grown_to, seed=seed ^ 1)
    assert grown.keys[:n] == first.keys
    assert len(set(grown.keys)) == grown_to
    assert reperform(population, grown.receipt).keys == grown.keys
