"""Populations: construction, the canonical digest and the data checks."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import numpy as np
import pytest

import sampling.population as population_module
from sampling import (
    DataIssue,
    InvalidParameterError,
    Population,
    PopulationDataError,
    Progress,
    iter_population_digest,
    population_digest,
    validate_population,
)

US, RS = "\x1f", "\x1e"


def _reference_digest(scale: int, rows: list[tuple[str, str, str]]) -> str:
    """The canonical encoding written out by hand, as a reviewer would."""
    text = f"auditdesk-population-v1{US}{scale}{RS}"
    text += "".join(f"{key}{US}{date}{US}{amount}{RS}" for key, date, amount in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_documented_example_digest() -> None:
    population = Population.from_columns(
        ["A", "B"], [dt.date(2025, 1, 31), "2025-02-28"], [Decimal("12.5"), 3]
    )
    expected = _reference_digest(1, [("A", "2025-01-31", "125"), ("B", "2025-02-28", "30")])
    assert expected == "d2dd9ae6faeaa61ecaa80a0878250267cb27959ea002575b7c202dccb32a4c92"
    assert population.digest == expected
    assert population_digest(population) == expected
    assert population.amount_scale == 1
    assert population.amount_of(0) == Decimal("12.5")
    assert population.amount_of(1) == Decimal(3)


def test_digest_ignores_how_amounts_were_written() -> None:
    keys = ["x", "y"]
    dates = ["2025-01-01", "2025-01-02"]
    a = Population.from_columns(keys, dates, ["100", "2.50"])
    b = Population.from_columns(keys, dates, [Decimal("100.00"), 2.5])
    c = Population.from_columns(keys, dates, np.array([10000, 250]), amount_scale=2)
    d = Population.from_columns(keys, dates, np.array([100.0, 2.5]))
    assert a.digest == b.digest == c.digest == d.digest
    assert a.amount_scale == 1
    assert a.digest == _reference_digest(
        1, [("x", "2025-01-01", "1000"), ("y", "2025-01-02", "25")]
    )


def test_digest_depends_on_order_keys_dates_and_amounts() -> None:
    base = Population.from_columns(["a", "b"], ["2025-01-01", "2025-01-02"], [1, 2])
    variants = [
        Population.from_columns(["b", "a"], ["2025-01-02", "2025-01-01"], [2, 1]),
        Population.from_columns(["a", "c"], ["2025-01-01", "2025-01-02"], [1, 2]),
        Population.from_columns(["a", "b"], ["2025-01-01", "2025-01-03"], [1, 2]),
        Population.from_columns(["a", "b"], ["2025-01-01", "2025-01-02"], [1, 3]),
        Population.from_columns(["a", "b"], ["2025-01-01", "2025-01-02"]),
    ]
    assert len({base.digest, *(v.digest for v in variants)}) == 6


def test_missing_values_and_no_amounts() -> None:
    population = Population.from_columns(
        ["k1", "k2", "k3"], [None, "2025-03-31", None], [None, -5, "0"]
    )
    assert population.digest == _reference_digest(
        0, [("k1", "", ""), ("k2", "2025-03-31", "-5"), ("k3", "", "0")]
    )
    assert population.date_of(0) is None
    assert population.amount_of(0) is None
    assert population.item(1).amount == Decimal(-5)
    assert population.amount_missing is not None
    bare = Population.from_columns(["k1"], None)
    assert bare.digest == _reference_digest(0, [("k1", "", "")])
    assert bare.amount_of(0) is None
    assert not bare.has_amounts
    assert bare.first_date is None
    assert bare.last_date is None
    assert bare.total_amount() == 0
    empty = Population.from_columns([], [])
    assert empty.digest == hashlib.sha256(f"auditdesk-population-v1{US}0{RS}".encode()).hexdigest()
    assert len(empty) == 0


def test_digest_in_chunks_with_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(population_module, "DIGEST_CHUNK", 3)
    keys = [f"item-{i}" for i in range(8)]
    dates = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(8)]
    amounts = [Decimal(i) / 4 for i in range(8)]
    population = Population.from_columns(keys, dates, amounts)
    steps: list[Progress] = []
    generator = iter_population_digest(population)
    while True:
        try:
            steps.append(next(generator))
        except StopIteration as stop:
            digest = stop.value
            break
    assert [s.done for s in steps] == [0, 3, 6, 8]
    assert all(s.total == 8 for s in steps)
    rows = [
        (k, d.isoformat(), str(int(a * 100))) for k, d, a in zip(keys, dates, amounts, strict=True)
    ]
    assert digest == _reference_digest(2, rows)
    # Cached: the generator form now finishes at once.
    assert list(population.iter_digest()) == []
    assert population.cached_digest == digest


def test_dates_spread_over_centuries() -> None:
    population = Population.from_columns(
        ["old", "new", "none", "again"], ["1700-01-01", "2300-12-31", None, "1700-01-01"]
    )
    assert population.digest == _reference_digest(
        0,
        [
            ("old", "1700-01-01", ""),
            ("new", "2300-12-31", ""),
            ("none", "", ""),
            ("again", "1700-01-01", ""),
        ],
    )


def test_single_item_population() -> None:
    population = Population.from_columns(["only"], ["2025-06-30"], [1])
    assert population.digest == _reference_digest(0, [("only", "2025-06-30", "1")])
    assert repr(population).startswith("<Population of 1 items, digest ")


def test_date_inputs() -> None:
    stamp = dt.datetime(2025, 5, 6, 14, 30)
    population = Population.from_columns(["a", "b", "c"], [stamp, " 2025-05-07 ", None])
    assert [population.date_of(i) for i in range(3)] == [
        dt.date(2025, 5, 6),
        dt.date(2025, 5, 7),
        None,
    ]
    array = np.array(["2025-01-01", "NaT"], dtype="datetime64[s]")
    from_numpy = Population.from_columns(["a", "b"], array)
    assert from_numpy.date_of(0) == dt.date(2025, 1, 1)
    assert from_numpy.date_of(1) is None
    assert from_numpy.date_range == (dt.date(2025, 1, 1), dt.date(2025, 1, 1))
    assert not from_numpy.dates.flags.writeable


def test_amount_inputs() -> None:
    floats = Population.from_columns(["a", "b"], None, np.array([1.25, np.nan]))
    assert floats.amount_of(0) == Decimal("1.25")
    assert floats.amount_of(1) is None
    objects = Population.from_columns(["a"], None, np.array([Decimal("7.125")], dtype=object))
    assert objects.amount_of(0) == Decimal("7.125")
    assert objects.amount_scale == 3
    scaled = Population.from_columns(["a"], None, np.array([123.456]), amount_scale=3)
    assert scaled.amount_of(0) == Decimal("123.456")
    many = Population.from_columns(["a", "b", "c"], None, [1, 2.5, "3.125"])
    assert many.total_amount() == Decimal("6.625")
    assert many.amount_units is not None
    assert not many.amount_units.flags.writeable
    assert many.amount_missing is None


def test_amounts_converted_in_chunks_keep_one_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(population_module, "DIGEST_CHUNK", 2)
    population = Population.from_columns(["a", "b", "c", "d", "e"], None, [1, 2, "0.5", 4, "0.125"])
    assert population.amount_scale == 3
    assert population.amount_units is not None
    assert population.amount_units.tolist() == [1000, 2000, 500, 4000, 125]
    with pytest.raises(PopulationDataError, match="more digits than exact 64-bit storage"):
        Population.from_columns(["a", "b", "c"], None, ["1e16", "1", "0.001"])
    with pytest.raises(PopulationDataError, match="Row 2 has the amount 1E\\+17, too large"):
        Population.from_columns(["a", "b"], None, [Decimal(1), Decimal("1e17")])
    with pytest.raises(PopulationDataError, match="Row 2 has the amount Decimal\\('NaN'\\)"):
        Population.from_columns(["a", "b"], None, [Decimal(1), Decimal("NaN")])
    decimals = Population.from_columns(["a", "b"], None, [Decimal("0.125"), None])
    assert decimals.amount_scale == 3
    assert decimals.amount_missing is not None


@pytest.mark.parametrize(
    ("keys", "dates", "amounts", "message"),
    [
        (["a", 3], None, None, "Row 2 has the key 3; keys must be text"),
        (["a", ""], None, None, "Row 2 has an empty key"),
        (["a", "b\x1ec"], None, None, "control character"),
        (["a", "b"], ["2025-01-01"], None, "2 keys but 1 dates"),
        (["a", "b"], None, [1], "2 keys but 1 amounts"),
        (["a"], ["31/01/2025"], None, "not a date"),
        (["a"], [20250131], None, "not a date"),
        (["a"], None, ["12,50"], "not a finite number"),
        (["a"], None, [float("nan")], "not a finite number"),
        (["a"], None, [True], "not a number"),
        (["a"], None, [[1]], "not a number"),
        (["a"], None, [Decimal("1e30")], "too large to store exactly"),
        (["a"], None, np.array([1.005]), "more than 2 decimal places"),
        (["a"], None, np.array([np.inf]), "infinite or too large"),
        (["a"], None, np.array([1e17]), "infinite or too large"),
    ],
)
def test_bad_columns(keys: list[object], dates: object, amounts: object, message: str) -> None:
    with pytest.raises(PopulationDataError, match=message):
        Population.from_columns(keys, dates, amounts)  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", [-1, 1.5, True])
def test_bad_amount_scale(scale: object) -> None:
    with pytest.raises(InvalidParameterError, match="amount scale"):
        Population.from_columns(["a"], None, [1], amount_scale=scale)  # type: ignore[arg-type]


def test_from_records_and_items() -> None:
    population = Population.from_records(
        [("a", "2025-01-31", "10.5"), ("b", dt.date(2025, 2, 28), None)]
    )
    assert population.has_amounts
    assert list(population)[0].amount == Decimal("10.5")
    assert population.keys == ("a", "b")
    assert population.first_date == dt.date(2025, 1, 31)
    assert population.last_date == dt.date(2025, 2, 28)
    undated = Population.from_records([("a", None), ("b", "2025-01-01")])
    assert not undated.has_amounts
    with pytest.raises(PopulationDataError, match="Record 1 has 1 fields"):
        Population.from_records([("a",)])


def test_positions_of() -> None:
    population = Population.from_columns(["a", "b", "a", "c"], None)
    assert population.positions_of(["a", "c", "z"]) == {"a": 0, "c": 3}


def test_validation_reports_each_problem() -> None:
    population = Population.from_columns(
        ["a", "b", "a", "c", "d", "b", "a"],
        ["2025-01-01", None, "2025-02-01", "2024-12-31", "2026-01-01", "2025-06-30", "2025-07-01"],
        ["10", "0", "-2", None, "5", "1", "1"],
    )
    issues = validate_population(
        population, dt.date(2025, 1, 1), dt.date(2025, 12, 31), for_mus=True
    )
    kinds = [(i.kind, i.key, i.index) for i in issues]
    assert kinds == [
        ("duplicate-key", "a", 0),
        ("duplicate-key", "b", 1),
        ("missing-date", "b", 1),
        ("outside-period", "c", 3),
        ("outside-period", "d", 4),
        ("missing-amount", "c", 3),
        ("non-positive-amount", "b", 1),
        ("non-positive-amount", "a", 2),
    ]
    assert issues[0].message == "Key 'a' appears 3 times (rows 1, 3, 7); keys must be unique."
    assert issues[3].message == (
        "Item 'c' (row 4) is dated 2024-12-31, outside the period 2025-01-01 to 2025-12-31."
    )
    assert issues[6].message.endswith("monetary unit sampling needs amounts greater than zero.")
    assert all(isinstance(i, DataIssue) and i.message.endswith(".") for i in issues)
    assert population.duplicate_keys == ("a", "b")


def test_validation_open_periods_and_no_amounts() -> None:
    population = Population.from_columns(["a", "b"], ["2025-01-01", "2025-12-31"])
    after = validate_population(population, period_start=dt.date(2025, 6, 1))
    assert [i.key for i in after] == ["a"]
    assert "outside the period 2025-06-01 to the end" in after[0].message
    before = validate_population(population, period_end=dt.date(2025, 6, 1))
    assert [i.key for i in before] == ["b"]
    assert validate_population(population) == []
    mus = validate_population(population, for_mus=True)
    assert [(i.kind, i.index) for i in mus] == [("no-amounts", -1)]
    clean = Population.from_columns(["a"], ["2025-01-01"], [5])
    assert validate_population(clean, for_mus=True) == []
    with pytest.raises(InvalidParameterError, match="swap the dates"):
        validate_population(population, dt.date(2025, 2, 1), dt.date(2025, 1, 1))


def test_large_population_digest_is_stable() -> None:
    count = 300_000
    keys = [f"TX{i:06d}" for i in range(count)]
    days = np.datetime64("2025-01-01") + np.arange(count) % 365
    cents = np.arange(count, dtype=np.int64) * 7 + 1
    population = Population.from_columns(keys, days.astype("datetime64[D]"), cents, amount_scale=2)
    text = [f"auditdesk-population-v1{US}2{RS}"]
    for i in range(count):
        day = (dt.date(2025, 1, 1) + dt.timedelta(days=i % 365)).isoformat()
        text.append(f"{keys[i]}{US}{day}{US}{i * 7 + 1}{RS}")
    assert population.digest == hashlib.sha256("".join(text).encode()).hexdigest()
