"""Attribute sample sizes and evaluation: the AICPA check values and the edge cases."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

import sampling.attribute as attribute
from sampling import (
    InvalidParameterError,
    SamplingError,
    attribute_sample_size,
    evaluate_attribute,
    round_up_tenth_pct,
    upper_deviation_limit,
)


@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected", "n", "k"),
    [
        (0.95, 0.05, 0, 59, 0),
        (0.95, 0.05, 0.01, 93, 1),
        (0.95, 0.10, 0, 29, 0),
        (0.90, 0.10, 0, 22, 0),
        (0.90, 0.05, 0.01, 77, 1),
        # More cells of the AICPA Audit Sampling guide tables (5% and 10% risk).
        (0.95, 0.02, 0, 149, 0),
        (0.95, 0.03, 0, 99, 0),
        (0.95, 0.04, 0, 74, 0),
        (0.95, 0.05, 0.02, 181, 4),
        (0.95, 0.06, 0, 49, 0),
        (0.95, 0.07, 0, 42, 0),
        (0.95, 0.08, 0, 36, 0),
        (0.95, 0.09, 0, 32, 0),
        (0.95, 0.15, 0, 19, 0),
        (0.95, 0.20, 0, 14, 0),
        (0.90, 0.02, 0, 114, 0),
        (0.90, 0.05, 0, 45, 0),
        (0.90, 0.20, 0, 11, 0),
    ],
)
def test_binomial_sizes_reproduce_the_aicpa_tables(
    confidence: float, tolerable: float, expected: float, n: int, k: int
) -> None:
    plan = attribute_sample_size(confidence, tolerable, expected)
    assert (plan.n, plan.expected_deviations, plan.method) == (n, k, "binomial")
    assert plan.confidence == Decimal(str(confidence))
    assert plan.achieved_risk < 1 - confidence


def test_inputs_may_be_text_decimal_or_percent() -> None:
    assert attribute_sample_size("95%", "5%", "1%").n == 93
    assert attribute_sample_size(Decimal("0.95"), Decimal("0.05"), Decimal("0.01")).n == 93


def test_expected_deviations_use_exact_decimal_arithmetic() -> None:
    # 400 x 0.035 is exactly 14; in floats it is 14.000000000000002 and ceil gives 15.
    assert attribute._ceil_product(400, Decimal("0.035")) == 14
    assert math.ceil(400 * 0.035) == 15
    plan = attribute_sample_size(0.95, 0.06, 0.035)
    assert plan.expected_deviations == attribute._ceil_product(plan.n, Decimal("0.035"))


def test_each_size_is_the_smallest_meeting_the_rule() -> None:
    for tolerable, expected in [("0.05", "0.01"), ("0.04", "0.0075"), ("0.1", "0.03")]:
        plan = attribute_sample_size("0.95", tolerable, expected)
        rate = Decimal(expected)
        for n in range(1, plan.n):
            k = attribute._ceil_product(n, rate)
            assert k >= n or stats.binom.cdf(k, n, float(tolerable)) >= 0.05
        assert stats.binom.cdf(plan.expected_deviations, plan.n, float(tolerable)) < 0.05


def test_hypergeometric_check_value_and_brute_force() -> None:
    plan = attribute_sample_size(0.95, 0.04, 0, population_size=1000, method="hypergeometric")
    assert plan.n == 71
    assert plan.method == "hypergeometric"
    assert not plan.exceeds_population
    for size, tolerable, expected in [
        (1000, "0.04", "0.01"),
        (120, "0.05", "0.01"),
        (60, "0.1", "0"),
    ]:
        plan = attribute_sample_size(0.95, tolerable, expected, size, "hypergeometric")
        deviants = math.ceil(Decimal(tolerable) * size)
        first = next(
            n
            for n in range(1, size + 1)
            if stats.hypergeom.cdf(attribute._ceil_product(n, Decimal(expected)), size, deviants, n)
            <= 0.05
        )
        assert plan.n == first


def test_hypergeometric_needs_population_size() -> None:
    with pytest.raises(InvalidParameterError, match="population size"):
        attribute_sample_size(0.95, 0.05, method="hypergeometric")


def test_hypergeometric_plan_that_cannot_be_met_tests_everything() -> None:
    # N = 10 at 5% tolerable holds one deviation, and one is already expected.
    plan = attribute_sample_size(0.95, 0.05, 0.01, population_size=10, method="hypergeometric")
    assert plan.exceeds_population
    assert plan.n == 10
    assert plan.items_to_test == 10
    text = plan.rationale()
    assert "No sample smaller than the whole population" in text
    assert "test all items" in text


def test_poisson_method() -> None:
    plan = attribute_sample_size(0.95, 0.05, 0, method="poisson")
    # exp(-0.05 n) < 0.05  <=>  n > 59.9
    assert plan.n == 60
    assert attribute_sample_size(0.95, 0.05, 0.01, method="poisson").n >= 93


def test_binomial_plan_larger_than_population_says_so() -> None:
    plan = attribute_sample_size(0.95, 0.05, 0.01, population_size=50)
    assert plan.n == 93
    assert plan.exceeds_population
    assert plan.items_to_test == 50
    assert "test all items instead" in plan.rationale()
    small = attribute_sample_size(0.95, 0.05, 0, population_size=5000)
    assert not small.exceeds_population
    assert small.items_to_test == 59


def test_rationale_and_dict() -> None:
    plan = attribute_sample_size(0.95, 0.05, 0.01)
    text = plan.rationale()
    assert "93 items" in text
    assert "ceil(93 x 1%) = 1" in text
    assert "If more than 1 deviation is found" in text
    assert "AU-C 530" in text
    zero = attribute_sample_size(0.95, 0.05, 0).rationale()
    assert "If more than 0 deviations are found" in zero
    hyper = attribute_sample_size(0.95, 0.04, 0, 1000, "hypergeometric").rationale()
    assert "ceil(4% x 1000) = 40 deviations" in hyper
    assert "at most 5%" in hyper
    assert plan.to_dict() == {
        "n": 93,
        "expected_deviations": 1,
        "method": "binomial",
        "confidence": "0.95",
        "tolerable_rate": "0.05",
        "expected_rate": "0.01",
        "population_size": None,
        "exceeds_population": False,
        "achieved_risk": plan.achieved_risk,
        "binomial_limit": False,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.4, 0.05, 0), "confidence level must be between 0.5 and 0.999"),
        ((0.9995, 0.05, 0), "confidence level"),
        ((0.95, 0, 0), "tolerable deviation rate must be greater than 0"),
        ((0.95, 1, 0), "tolerable deviation rate"),
        ((0.95, 1.5, 0), "tolerable deviation rate"),
        ((0.95, 0.05, -0.01), "expected deviation rate must be at least 0"),
        ((0.95, 0.05, 1), "expected deviation rate must be at least 0"),
        ((0.95, 0.05, 0.05), "must be lower than the tolerable rate"),
        ((0.95, 0.05, 0.06), "must be lower than the tolerable rate"),
        (("abc", 0.05, 0), "must be a number such as 0.05"),
        ((0.95, "nan", 0), "finite number"),
        ((0.95, None, 0), "must be a number"),
        ((0.95, True, 0), "must be a number"),
    ],
)
def test_bad_inputs_raise_a_sentence(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message) as caught:
        attribute_sample_size(*args)  # type: ignore[arg-type]
    assert isinstance(caught.value, SamplingError)
    assert str(caught.value).endswith(".")


def test_bad_method_and_population() -> None:
    with pytest.raises(InvalidParameterError, match="one of binomial"):
        attribute_sample_size(0.95, 0.05, method="normal")
    with pytest.raises(InvalidParameterError, match="at least 1"):
        attribute_sample_size(0.95, 0.05, population_size=0)
    with pytest.raises(InvalidParameterError, match="whole number"):
        attribute_sample_size(0.95, 0.05, population_size=10.5)  # type: ignore[arg-type]


def test_impractical_plan_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="more than 2,000,000 items"):
        attribute_sample_size(0.95, 0.05, 0.04999)


def test_long_decimal_rates_are_exact() -> None:
    rate = Decimal("0.0123456789012345678901")
    plan = attribute_sample_size(0.95, 0.05, rate)
    assert plan.expected_deviations == math.ceil(Decimal(plan.n) * rate)


# -- evaluation ----------------------------------------------------------------------


def test_upper_limit_check_values() -> None:
    assert upper_deviation_limit(25, 0, 0.95) == pytest.approx(1 - 0.05 ** (1 / 25))
    assert evaluate_attribute(25, 0, 0.95).upper_limit_table_pct == 11.3
    evaluation = evaluate_attribute(60, 1, 0.95)
    assert evaluation.upper_limit_table_pct == 7.7
    assert evaluation.upper_limit == pytest.approx(stats.beta.ppf(0.95, 2, 59))
    assert evaluation.sample_rate == pytest.approx(1 / 60)
    assert upper_deviation_limit(10, 10, 0.95) == 1.0


def test_evaluation_against_tolerable_rate() -> None:
    failing = evaluate_attribute(60, 1, 0.95, tolerable_rate=0.05)
    assert failing.exceeds_tolerable is True
    assert "does not support" in failing.describe()
    passing = evaluate_attribute(93, 1, 0.95, tolerable_rate=0.05)
    assert passing.exceeds_tolerable is False
    assert "supports the planned reliance" in passing.describe()
    neutral = evaluate_attribute(25, 0, "0.95")
    assert neutral.exceeds_tolerable is None
    assert "tolerable" not in neutral.describe()
    assert "0 deviations in a sample of 25" in neutral.describe()
    assert "1 deviation in a sample of 60" in failing.describe()
    assert failing.to_dict()["upper_limit_table_pct"] == 7.7
    assert failing.to_dict()["tolerable_rate"] == "0.05"
    assert neutral.to_dict()["tolerable_rate"] is None


def test_planned_sample_evaluates_within_tolerable() -> None:
    for confidence, tolerable, expected in [(0.95, 0.05, 0.01), (0.9, 0.1, 0.02), (0.95, 0.03, 0)]:
        plan = attribute_sample_size(confidence, tolerable, expected)
        limit = upper_deviation_limit(plan.n, plan.expected_deviations, confidence)
        assert limit < tolerable
        worse = upper_deviation_limit(plan.n, plan.expected_deviations + 1, confidence)
        assert worse > tolerable


def _hypergeometric_limit_brute_force(n: int, k: int, size: int, confidence: float) -> float:
    consistent = [
        m for m in range(k, size - n + k + 1) if stats.hypergeom.cdf(k, size, m, n) > 1 - confidence
    ]
    return max(consistent) / size


@pytest.mark.parametrize(("n", "k", "size"), [(60, 1, 1000), (20, 0, 50), (30, 3, 40), (5, 5, 9)])
def test_hypergeometric_upper_limit(n: int, k: int, size: int) -> None:
    limit = upper_deviation_limit(n, k, 0.95, population_size=size)
    assert limit == pytest.approx(_hypergeometric_limit_brute_force(n, k, size, 0.95))
    evaluation = evaluate_attribute(n, k, 0.95, population_size=size)
    assert evaluation.method == "hypergeometric"
    assert evaluation.upper_limit == limit


def test_hypergeometric_limit_of_whole_population_is_exact() -> None:
    assert upper_deviation_limit(60, 2, 0.95, population_size=60) == pytest.approx(2 / 60)
    assert upper_deviation_limit(60, 60, 0.95, population_size=100) == 1.0
    assert 0.07 < upper_deviation_limit(60, 1, 0.95, population_size=1_000_000) < 0.0767


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0, 0.95), "sample size must be at least 1"),
        ((10, 11, 0.95), "cannot exceed the sample size"),
        ((10, -1, 0.95), "number of deviations must be at least 0"),
        ((10, 1, 0.95, 5), "cannot exceed the population size"),
        ((10, 1, 1.0), "confidence level"),
    ],
)
def test_bad_evaluation_inputs(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        upper_deviation_limit(*args)  # type: ignore[arg-type]


def test_table_rounding_ignores_float_noise() -> None:
    assert round_up_tenth_pct(0.113) == 11.3
    assert round_up_tenth_pct(0.11300000000000001) == 11.3
    assert round_up_tenth_pct(0.11300001) == 11.4
    assert round_up_tenth_pct(0.07664) == 7.7
    assert round_up_tenth_pct(1.0) == 100.0


# -- the search machinery --------------------------------------------------------------


def _fake_cdf(passing: set[int]) -> attribute._Cdf:
    def cdf(ns: np.ndarray, ks: np.ndarray) -> np.ndarray:
        return np.array([0.0 if int(n) in passing else 1.0 for n in ns])

    return cdf


def test_window_search_declines_when_it_cannot_prove_the_answer() -> None:
    zero = Decimal(0)
    undecided = attribute._UNDECIDED

    def window(passing: set[int], rate: Decimal, start: int, guess: int) -> int:
        n, probability = attribute._window_first(_fake_cdf(passing), rate, 0.05, start, 5000, guess)
        assert (n == undecided) == math.isnan(probability)
        return n

    # The answer lies after the window.
    assert window({200}, zero, 1, 50) == undecided
    # The window's first point passes but its run started earlier.
    assert window(set(range(30, 500)), zero, 1, 50) == undecided
    # ... unless that point is where the search starts.
    assert window(set(range(44, 500)), zero, 44, 45) == 44
    # An earlier run's last point passes.
    rate = Decimal("0.1")  # runs of ten sizes: k = 1 for n 1..10, 2 for 11..20, ...
    assert window({10}, rate, 1, 50) == undecided
    # Too many earlier runs to check in one call.
    assert window(set(), rate, 1, 2000) == undecided
    # A window point that opens its run is proven even as the first in the window.
    assert window(set(range(41, 500)), rate, 1, 42) == 41
    assert window(set(range(43, 500)), rate, 1, 43) == 43


def test_scan_reports_no_answer() -> None:
    never = _fake_cdf(set())
    assert attribute._smallest_n(never, Decimal(0), 0.05, 1, 40, strict=True, points=8) == -1
    assert attribute._smallest_n(never, Decimal("0.1"), 0.05, 1, 40, strict=True, points=8) == -1


def test_hypergeometric_limit_falls_back_when_the_guess_is_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    right = upper_deviation_limit(60, 1, 0.95, population_size=1000)
    monkeypatch.setattr(attribute, "_approximate_hypergeometric", lambda *args: 0.0)
    assert upper_deviation_limit(60, 1, 0.95, population_size=1000) == right


def test_hypergeometric_cdf_paths_agree_with_scipy() -> None:
    cdf = attribute._hypergeometric_cdf(1000, 40)
    ns = np.array([60, 60, 990, 500, 148, 1000])
    ks = np.array([1, 40, 0, 30, 2, 40])
    # exact integers; k >= min(n, M); k below the support; scipy; exact; whole population
    expected = stats.hypergeom.cdf(ks, 1000, 40, ns)
    assert cdf(ns, ks) == pytest.approx(expected, rel=1e-12, abs=1e-300)
