"""Non-statistical sizes from the editable guidance table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sampling import (
    FREQUENCIES,
    InvalidParameterError,
    load_guidance,
    nonstatistical_sample_size,
    normalise_frequency,
)


@pytest.mark.parametrize(
    ("frequency", "low", "high"),
    [
        ("annual", 1, 1),
        ("semi-annual", 1, 2),
        ("quarterly", 2, 2),
        ("monthly", 2, 5),
        ("weekly", 5, 15),
        ("daily", 20, 40),
        ("multiple-daily", 25, 60),
        ("event-driven", 20, 40),
        ("continuous", 1, 1),
    ],
)
def test_shipped_table(frequency: str, low: int, high: int) -> None:
    lower = nonstatistical_sample_size(frequency, "lower")
    higher = nonstatistical_sample_size(frequency, "higher")
    assert (lower.low, lower.high, lower.n) == (low, high, low)
    assert higher.n == high
    assert nonstatistical_sample_size(frequency, "moderate").n == (low + high + 1) // 2


def test_every_documented_frequency_is_in_the_table() -> None:
    assert set(FREQUENCIES) == set(load_guidance()["frequencies"])


def test_names_and_risk_synonyms() -> None:
    assert normalise_frequency("Multiple times per day", load_guidance()) == "multiple-daily"
    assert normalise_frequency("  Semi_Annual ") == "semi-annual"
    assert nonstatistical_sample_size("Automated", "HIGH").frequency == "continuous"
    assert nonstatistical_sample_size("weekly", "low").risk == "lower"
    assert nonstatistical_sample_size("weekly", "medium").n == 10


def test_capped_at_population() -> None:
    plan = nonstatistical_sample_size("daily", "higher", population_size=12)
    assert plan.n == 12
    assert plan.capped
    assert "only 12 items, so all of them are tested" in plan.rationale()
    one = nonstatistical_sample_size("weekly", population_size=1)
    assert "only 1 item," in one.rationale()
    assert not nonstatistical_sample_size("daily", population_size=250).capped


@pytest.mark.parametrize(
    ("population", "low", "high"),
    [(1, 1, 1), (4, 2, 2), (12, 2, 5), (52, 5, 15), (250, 20, 40), (5000, 25, 60)],
)
def test_event_driven_bands(population: int, low: int, high: int) -> None:
    plan = nonstatistical_sample_size("event-driven", "higher", population_size=population)
    assert (plan.low, plan.high) == (low, high)
    assert plan.n == min(high, population)


def test_rationale_and_dict() -> None:
    plan = nonstatistical_sample_size("monthly", "higher")
    text = plan.rationale()
    assert "5 items" in text
    assert "range is 2 to 5; higher risk takes the high end" in text
    assert "not an AICPA standard" in text
    annual = nonstatistical_sample_size("annual").rationale()
    assert "1 item." in annual
    assert "range is 1;" in annual
    automated = nonstatistical_sample_size("continuous").rationale()
    assert "IT general controls" in automated
    assert plan.to_dict()["n"] == 5
    assert plan.to_dict()["label"] == "Monthly"


def test_firm_table_from_a_file(tmp_path: Path) -> None:
    table = load_guidance()
    table["frequencies"]["daily"] = {"label": "Daily", "min": 25, "max": 45}
    path = tmp_path / "firm.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    firm = load_guidance(path)
    assert nonstatistical_sample_size("daily", "lower", table=firm).n == 25
    assert (
        nonstatistical_sample_size(
            "daily", table={"frequencies": {"daily": {"min": 3, "max": 3}}}
        ).label
        == "daily"
    )


def test_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match="not valid JSON"):
        load_guidance(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match="must be a JSON object"):
        load_guidance(path)


@pytest.mark.parametrize(
    ("table", "frequency", "message"),
    [
        ({}, "daily", "must have a 'frequencies' object"),
        ({"frequencies": {}}, "daily", "has no frequency 'daily'"),
        ({"frequencies": {"daily": {"min": 0, "max": 3}}}, "daily", "invalid minimum"),
        ({"frequencies": {"daily": {"min": 2, "max": True}}}, "daily", "invalid maximum"),
        ({"frequencies": {"daily": {"min": 5, "max": 3}}}, "daily", "minimum \\(5\\) above"),
        ({"frequencies": {"x": {"min": 1, "max": 1, "by_population": 3}}}, "x", "must be a list"),
        (
            {
                "frequencies": {
                    "x": {"min": 1, "max": 1, "by_population": [{"up_to": 2, "min": 1, "max": 1}]}
                }
            },
            "x",
            "no population band",
        ),
        (
            {"frequencies": {"x": {"min": 1, "max": 1, "by_population": ["junk"]}}},
            "x",
            "no population band",
        ),
    ],
)
def test_bad_tables(table: dict[str, Any], frequency: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        nonstatistical_sample_size(frequency, population_size=10, table=table)


def test_bad_risk_and_population() -> None:
    with pytest.raises(InvalidParameterError, match="'lower', 'moderate' or 'higher'"):
        nonstatistical_sample_size("daily", "extreme")
    with pytest.raises(InvalidParameterError, match="population size must be at least 1"):
        nonstatistical_sample_size("daily", population_size=0)
    with pytest.raises(InvalidParameterError, match="use one of annual"):
        nonstatistical_sample_size("fortnightly")
