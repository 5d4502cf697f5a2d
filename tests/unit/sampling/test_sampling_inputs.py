"""Reading user inputs, the progress protocol and the error classes."""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal

import pytest

from sampling import InvalidParameterError, PopulationDataError, Progress, SamplingError, run
from sampling._inputs import count_of, money_of, pct, to_decimal


def test_floats_are_read_by_their_shortest_repr() -> None:
    assert to_decimal(0.035, "rate") == Decimal("0.035")
    assert to_decimal(0.1 + 0.2, "rate") == Decimal("0.30000000000000004")
    assert to_decimal(" 5% ", "rate") == Decimal("0.05")
    assert to_decimal(3, "rate") == Decimal(3)


def test_percentages_print_without_noise() -> None:
    assert pct(Decimal("0.035")) == "3.5%"
    assert pct(Decimal("0.10")) == "10%"
    assert pct(Decimal("0.95")) == "95%"


def test_counts_and_money() -> None:
    assert count_of(3, "size") == 3
    with pytest.raises(InvalidParameterError, match="whole number"):
        count_of(True, "size")
    assert money_of("12.50", "amount") == Decimal("12.50")
    with pytest.raises(InvalidParameterError, match="greater than 0"):
        money_of(0, "amount", positive=True)
    with pytest.raises(InvalidParameterError, match="must not be negative"):
        money_of(-1, "amount")
    with pytest.raises(InvalidParameterError, match="finite"):
        to_decimal(float("inf"), "amount")


def test_progress_fraction_and_run() -> None:
    assert Progress(5, 10, "x").fraction == 0.5
    assert Progress(0, 0, "nothing").fraction == 1.0
    assert Progress(12, 10, "over").fraction == 1.0

    def job() -> Generator[Progress, None, str]:
        yield Progress(0, 2, "start")
        yield Progress(2, 2, "end")
        return "result"

    assert run(job()) == "result"
    generator = job()
    assert next(generator).done == 0
    assert next(generator).done == 2
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "result"


def test_error_hierarchy() -> None:
    assert issubclass(InvalidParameterError, SamplingError)
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(PopulationDataError, SamplingError)
