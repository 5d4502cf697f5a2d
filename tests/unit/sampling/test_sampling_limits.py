"""Hostile sizes and rates: each ends in an answer or one sentence, never a traceback or a hang."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sampling.attribute as attribute
from sampling import (
    InvalidParameterError,
    attribute_sample_size,
    evaluate_attribute,
    round_up_tenth_pct,
    upper_deviation_limit,
)
from sampling._inputs import count_of, shown, to_decimal
from sampling.attribute import BINOMIAL_LIMIT_POPULATION

# -- finite populations too large for the hypergeometric arithmetic ------------------


@pytest.mark.parametrize("size", [10**15, 10**18, 10**23, 10**400])
def test_huge_population_uses_the_binomial_limit(size: int) -> None:
    plan = attribute_sample_size(0.95, 0.05, 0, size, "hypergeometric")
    assert (plan.n, plan.expected_deviations, plan.method) == (59, 0, "binomial")
    assert plan.binomial_limit is True
    assert plan.population_size == size
    assert plan.exceeds_population is False
    text = plan.rationale()
    assert "binomial method was used" in text
    assert "also the hypergeometric size" in text
    assert plan.to_dict()["binomial_limit"] is True


def test_limit_starts_just_above_the_threshold() -> None:
    below = attribute_sample_size(0.95, 0.05, 0.01, BINOMIAL_LIMIT_POPULATION, "hypergeometric")
    above = attribute_sample_size(0.95, 0.05, 0.01, BINOMIAL_LIMIT_POPULATION + 1, "hypergeometric")
    assert (below.method, below.binomial_limit) == ("hypergeometric", False)
    assert (above.method, above.binomial_limit) == ("binomial", True)
    assert below.n == above.n == 93
    assert "binomial limit" not in below.rationale()
    assert below.to_dict()["binomial_limit"] is False


def test_binomial_method_with_a_huge_population_is_not_a_limit() -> None:
    plan = attribute_sample_size(0.95, 0.05, 0, 10**23, "binomial")
    assert (plan.n, plan.method, plan.binomial_limit) == (59, "binomial", False)
    assert "binomial limit" not in plan.rationale()


def test_limit_without_a_proof_of_equality_says_so() -> None:
    # A large plan just above the threshold: the margin 2n/N is wider than the distance of
    # the deciding probabilities from the risk, so equality is not claimed.
    plan = attribute_sample_size(0.99, 0.01, 0.008, BINOMIAL_LIMIT_POPULATION + 1, "hypergeometric")
    assert plan.method == "binomial"
    assert plan.n == attribute_sample_size(0.99, 0.01, 0.008).n
    text = plan.rationale()
    assert "binomial method was used" in text
    assert "also the hypergeometric size" not in text


# Rates on the quarter-percent grid of the AICPA tables (exact decimals).
_tolerable = st.integers(8, 80).map(lambda q: Decimal(q) / 400)
_expected = st.integers(0, 20).map(lambda q: Decimal(q) / 400)
_confidence = st.sampled_from([Decimal("0.90"), Decimal("0.95"), Decimal("0.99")])


@settings(max_examples=30)
@given(_confidence, _tolerable, _expected, st.integers(BINOMIAL_LIMIT_POPULATION + 1, 10**40))
def test_above_the_threshold_the_size_is_the_binomial_size(
    confidence: Decimal, tolerable: Decimal, expected: Decimal, size: int
) -> None:
    if expected >= tolerable:
        expected = Decimal(0)
    plan = attribute_sample_size(confidence, tolerable, expected, size, "hypergeometric")
    binomial = attribute_sample_size(confidence, tolerable, expected)
    assert (plan.n, plan.expected_deviations, plan.method) == (binomial.n, binomial.expected_deviations, "binomial")


@settings(max_examples=12)
@given(_confidence, _tolerable, _expected)
def test_at_the_threshold_both_methods_already_agree(
    confidence: Decimal, tolerable: Decimal, expected: Decimal
) -> None:
    """The documented threshold is where the exact search gives the binomial size anyway."""
    if expected >= tolerable:
        expected = Decimal(0)
    exact = attribute_sample_size(confidence, tolerable, expected, BINOMIAL_LIMIT_POPULATION, "hypergeometric")
    assert exact.method == "hypergeometric"
    assert exact.n == attribute_sample_size(confidence, tolerable, expected).n


def test_limit_proof_by_the_margin() -> None:
    alpha = 0.05
    rate = Decimal("0.01")
    n = attribute_sample_size(0.95, 0.05, rate).n  # 93
    assert attribute._limit_is_exact(n, rate, 0.05, alpha, 10**15)
    # With a small population the margin 2n/N swamps the differences: no proof.
    assert not attribute._limit_is_exact(n, rate, 0.05, alpha, 10**4)
    # A size whose own probability is above the risk proves nothing either.
    assert not attribute._limit_is_exact(n - 1, rate, 0.05, alpha, 10**15)
    # With no expected deviations there is one run of sizes; n = 1 has nothing before it.
    assert attribute._limit_is_exact(59, Decimal(0), 0.05, alpha, 10**15)
    assert attribute._limit_is_exact(1, Decimal(0), 0.999, alpha, 10**15)


def test_huge_population_evaluates_by_the_binomial_limit() -> None:
    for size in (10**15, 10**23):
        evaluation = evaluate_attribute(60, 1, 0.95, population_size=size)
        assert evaluation.method == "binomial"
        assert evaluation.upper_limit == upper_deviation_limit(60, 1, 0.95)
        assert "binomial limit" in evaluation.describe()
    below = evaluate_attribute(60, 1, 0.95, population_size=1000)
    assert below.method == "hypergeometric"
    assert "binomial limit" not in below.describe()


def test_hypergeometric_plan_that_needs_too_many_items_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="more than 2,000,000 items.*expected rate is too close"):
        attribute_sample_size(0.95, 0.05, 0.0499, 10**7, "hypergeometric")
    # Even P(X = 0) stays above the risk up to 2,000,000 items: refused before any search.
    with pytest.raises(InvalidParameterError, match="more than 2,000,000 items.*tolerable rate is so low"):
        attribute_sample_size(0.95, "1e-7", 0, 10**8, "hypergeometric")
    # In a population of a million one deviation is the tolerable number: P(X = 0) = 1 - n/N.
    plan = attribute_sample_size(0.95, "1e-7", 0, 10**6, "hypergeometric")
    assert (plan.n, plan.exceeds_population) == (950_000, False)


def test_hypergeometric_plan_near_the_tolerable_rate_is_answered() -> None:
    plan = attribute_sample_size(0.95, 0.9, 0.89, 10**6, "hypergeometric")
    assert plan.n == attribute_sample_size(0.95, 0.9, 0.89).n
    assert plan.method == "hypergeometric"


# -- rates at the edges of floating point ------------------------------------------------


def test_tolerable_rate_next_to_one_is_a_plan_of_one_item() -> None:
    plan = attribute_sample_size(0.95, "0.999999999999999999999999")
    assert plan.n == 1


@pytest.mark.parametrize("tolerable", ["1e-400", "1e-30"])
@pytest.mark.parametrize("method", ["binomial", "poisson"])
def test_tolerable_rate_below_floating_point_is_impractical(tolerable: str, method: str) -> None:
    with pytest.raises(InvalidParameterError, match="more than 2,000,000 items.*raise the tolerable rate") as caught:
        attribute_sample_size(0.95, tolerable, method=method)
    assert "expected rate" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e999999999", "must lie between 1e-1000 and 1e1000 in size; got '1e999999999'"),
        ("1e999999999%", "must lie between"),
        ("1e-2000", "must lie between"),
        (Decimal("1e5000"), "must lie between"),
        (10**5000, "must lie between 1e-1000 and 1e1000 in size; got a number of 5001 digits"),
        ("1e-9999999999999999999", "must be a number such as 0.05"),
    ],
    ids=["overflow", "percent", "underflow", "decimal", "int", "invalid"],
)
def test_decimal_overflow_is_a_sentence(value: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        to_decimal(value, "rate")


def test_percent_is_exact_to_any_number_of_digits() -> None:
    digits = "1.0123456789012345678901234567890123"
    assert to_decimal(digits + "%", "rate") == Decimal("0.010123456789012345678901234567890123")
    assert to_decimal("0%", "rate") == 0
    assert to_decimal(10**500, "amount") == Decimal(10**500)


def test_huge_integers_are_shown_briefly() -> None:
    with pytest.raises(InvalidParameterError, match="at least 0; got a number of 5001 digits"):
        count_of(-(10**5000), "size")
    assert shown(12) == "12"
    assert shown("0.5") == "'0.5'"
    assert shown("9" * 100) == "'" + "9" * 40 + "...'"
    assert shown(10**60) == "a number of 61 digits"
    with pytest.raises(InvalidParameterError, match=r"got '9{40}\.\.\.'"):
        attribute_sample_size("9" * 5000, 0.05)


def test_table_rounding_of_a_tiny_limit_is_zero_not_minus_zero() -> None:
    value = round_up_tenth_pct(4.7e-23)
    assert value == 0.0
    assert math.copysign(1.0, value) == 1.0
    evaluation = evaluate_attribute(10**15, 1, 0.95)
    assert f"{evaluation.upper_limit_table_pct:.1f}" == "0.0"


def test_sample_size_beyond_exact_floats_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="sample size must be at most 9,007,199,254,740,992"):
        evaluate_attribute(10**400, 1, 0.95)
    assert evaluate_attribute(2**53, 0, 0.95).upper_limit > 0
