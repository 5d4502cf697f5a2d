"""Monetary unit sampling: sizes, reliability factors, the Stringer bound, evaluation."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from sampling import (
    InvalidParameterError,
    mus_evaluate,
    mus_sample_size,
    reliability_factor,
    stringer_bound,
)


def _table(value: float) -> float:
    """AICPA tables print factors rounded up to two decimals."""
    return math.ceil(value * 100 - 1e-9) / 100


def test_reliability_factors_match_the_tables() -> None:
    assert [_table(reliability_factor(k, 0.95)) for k in range(4)] == [3.00, 4.75, 6.30, 7.76]
    assert [_table(reliability_factor(k, 0.90)) for k in range(3)] == [2.31, 3.89, 5.33]
    assert reliability_factor(0, "0.95") == pytest.approx(-math.log(0.05))


def test_reliability_factor_inputs() -> None:
    with pytest.raises(InvalidParameterError, match="misstatements must be at least 0"):
        reliability_factor(-1, 0.95)
    with pytest.raises(InvalidParameterError, match="whole number"):
        reliability_factor(1.5, 0.95)  # type: ignore[arg-type]


def test_size_without_expected_misstatement() -> None:
    plan = mus_sample_size(0.95, 1_000_000, 50_000)
    # 3.00 x 1,000,000 / 50,000 = 59.9 -> 60
    assert plan.n == 60
    assert plan.interval == pytest.approx(1_000_000 / 60)
    assert plan.factor == pytest.approx(reliability_factor(0, 0.95))


def test_size_with_expected_misstatement_is_the_smallest_meeting_the_rule() -> None:
    plan = mus_sample_size("0.95", "1000000", "50000", "10000")
    rate, limit = 10_000 / 1_000_000, 50_000 / 1_000_000

    def meets(n: int) -> bool:
        return bool(stats.gamma.ppf(0.95, 1 + n * rate) / n < limit)

    assert meets(plan.n)
    assert not any(meets(n) for n in range(1, plan.n))
    assert plan.n == 93


def test_plan_text_and_dict() -> None:
    plan = mus_sample_size(0.90, 2_500_000, 125_000, 25_000)
    text = plan.rationale()
    assert f"{plan.n} sampling units" in text
    assert "not rounded" in text
    assert "certainty" in text
    data = plan.to_dict()
    assert data["n"] == plan.n
    assert data["book_value"] == "2500000"
    assert data["interval"] == plan.interval


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.95, 0, 100), "book value must be greater than 0"),
        ((0.95, 1000, 0), "tolerable misstatement must be greater than 0"),
        ((0.95, 1000, 100, -1), "expected misstatement must not be negative"),
        ((0.95, 1000, 100, 100), "must be lower than the tolerable"),
        ((0.95, 1_000_000, 50_000, 49_999), "more than 2,000,000 sampling units"),
    ],
)
def test_bad_size_inputs(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        mus_sample_size(*args)  # type: ignore[arg-type]


def test_stringer_bound_poisson_form() -> None:
    f = [reliability_factor(k, 0.95) for k in range(3)]
    expected = (f[0] + (f[1] - f[0]) * 1.0 + (f[2] - f[1]) * 0.5) / 100
    # Taints are ranked largest first whatever order they come in.
    assert stringer_bound(100, [0.5, 1.0], 0.95, "poisson") == pytest.approx(expected)
    assert stringer_bound(100, [], 0.95, "poisson") == pytest.approx(f[0] / 100)


def test_stringer_bound_binomial_form() -> None:
    u = [stats.beta.ppf(0.95, i + 1, 100 - i) for i in range(3)]
    expected = u[0] + (u[1] - u[0]) * 0.8 + (u[2] - u[1]) * 0.25
    assert stringer_bound(100, ["0.25", 0.8], 0.95) == pytest.approx(expected)
    # Every item fully misstated: the bound is the whole book value.
    assert stringer_bound(2, [1, 1], 0.95) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((10, [-0.1], 0.95), "must not be negative"),
        ((1, [0.5, 0.5], 0.95), "2 taints but only 1 sample items"),
        ((10, [0.5], 0.95, "normal"), "'binomial' or 'poisson'"),
        ((0, [], 0.95), "sample size must be at least 1"),
    ],
)
def test_bad_stringer_inputs(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        stringer_bound(*args)  # type: ignore[arg-type]


def test_mus_evaluation_poisson() -> None:
    items = [(500, 250), (12_000, 11_000), (300, 300), (800, 900), (1_000, 1_000)]
    result = mus_evaluate(0.95, 10_000, items, tolerable_misstatement=50_000)
    f0, f1 = reliability_factor(0, 0.95), reliability_factor(1, 0.95)
    assert result.n == 4  # the 12,000 item is a certainty item
    assert result.taints == (0.5,)
    assert result.basic_precision == pytest.approx(10_000 * f0)
    assert result.projected_overstatement == pytest.approx(5_000)
    assert result.incremental_allowance == pytest.approx(10_000 * (f1 - f0 - 1) * 0.5)
    assert result.certainty_overstatement == pytest.approx(1_000)
    # 5,000 projected over - 10,000 x 0.125 under + 1,000 found in the certainty item.
    assert result.projected_misstatement == pytest.approx(4_750)
    assert result.upper_misstatement_limit == pytest.approx(10_000 * (f0 + (f1 - f0) * 0.5) + 1_000)
    assert result.exceeds_tolerable is False
    text = result.describe()
    assert "does not exceed the tolerable misstatement of 50,000" in text
    assert "1 misstated sampled item " in text
    assert result.to_dict()["tolerable_misstatement"] == "50000"


def test_mus_evaluation_binomial_and_verdicts() -> None:
    items = [(100, 0), (200, 100)] + [(50, 50)] * 28
    result = mus_evaluate("0.95", "1000", items, method="binomial", tolerable_misstatement=2_000)
    fraction = stringer_bound(30, [1.0, 0.5], 0.95, "binomial")
    assert result.upper_misstatement_limit == pytest.approx(fraction * 30 * 1000)
    assert result.exceeds_tolerable is True
    assert "exceeds the tolerable" in result.describe()
    assert "2 misstated sampled items" in result.describe()
    plain = mus_evaluate(0.95, 1000, [(10, 10)], sample_size=60)
    assert plain.n == 60
    assert plain.exceeds_tolerable is None
    assert "tolerable" not in plain.describe()
    assert plain.to_dict()["tolerable_misstatement"] is None


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        ([(1, 2, 3)], {}, r"\(book value, audited value\) pair"),
        ([(-5, 0)], {}, "positive book values"),
        ([(20_000, 0)], {}, "at least one sampled"),
        ([(10, 10)], {"method": "normal"}, "'binomial' or 'poisson'"),
        ([(10, 10)], {"interval": 0}, "sampling interval must be greater than 0"),
    ],
)
def test_bad_evaluation_inputs(
    items: list[tuple[int, ...]], kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"interval": 10_000, **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        mus_evaluate(0.95, items=items, **arguments)  # type: ignore[arg-type]
