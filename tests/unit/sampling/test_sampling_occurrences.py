"""Generated populations of periodic controls."""

from __future__ import annotations

import datetime as dt

import pytest

from sampling import InvalidParameterError, generate_occurrences, occurrence_dates


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_period_ends() -> None:
    assert occurrence_dates("annual", "2024-07-01", "2025-06-30") == [d("2024-12-31")]
    assert occurrence_dates("annual", "2025-01-01", "2025-06-30") == []
    assert occurrence_dates("semi-annual", "2024-07-01", "2025-06-30") == [
        d("2024-12-31"),
        d("2025-06-30"),
    ]
    assert occurrence_dates("quarterly", "2025-01-01", "2025-12-31") == [
        d("2025-03-31"),
        d("2025-06-30"),
        d("2025-09-30"),
        d("2025-12-31"),
    ]
    monthly = occurrence_dates("Monthly", dt.date(2024, 1, 15), dt.date(2024, 12, 31))
    assert monthly[0] == d("2024-01-31")
    assert monthly[1] == d("2024-02-29")
    assert len(monthly) == 12
    # A period ending mid-month does not include that month's end.
    assert occurrence_dates("monthly", "2025-01-01", "2025-02-27") == [d("2025-01-31")]


def test_weekly_fridays_and_holidays() -> None:
    holidays = ["2025-01-03", "2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17"]
    assert occurrence_dates("weekly", "2025-01-01", "2025-01-31", holidays) == [
        d("2025-01-02"),  # Friday the 3rd is a holiday: Thursday instead
        d("2025-01-10"),
        d("2025-01-24"),  # the week of the 13th has no business day
        d("2025-01-31"),
    ]
    # The moved date must stay inside the period.
    assert occurrence_dates("weekly", "2025-01-03", "2025-01-09", [dt.date(2025, 1, 3)]) == []
    assert occurrence_dates("weekly", "2025-01-04", "2025-01-09") == []


def test_daily_business_days() -> None:
    days = occurrence_dates("daily", "2025-01-01", "2025-12-31", ["2025-01-01", "2025-12-25"])
    assert len(days) == 259
    assert all(day.weekday() < 5 for day in days)
    assert d("2025-12-25") not in days


def test_population_keys_are_dates() -> None:
    population = generate_occurrences("quarterly", "2025-01-01", "2025-12-31")
    assert population.keys == ("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31")
    assert population.date_of(0) == d("2025-03-31")
    stamped = generate_occurrences("daily", dt.datetime(2025, 3, 3, 9), "2025-03-03")
    assert stamped.keys == ("2025-03-03",)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("daily", "2025-12-31", "2025-01-01"), "swap the dates"),
        (("multiple-daily", "2025-01-01", "2025-12-31"), "import the population"),
        (("event-driven", "2025-01-01", "2025-12-31"), "not 'event-driven'"),
        (("daily", "2025/01/01", "2025-12-31"), "period start must be a date"),
        (("daily", "2025-01-01", None), "period end must be a date"),
    ],
)
def test_bad_requests(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        occurrence_dates(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="holiday must be a date"):
        occurrence_dates("daily", "2025-01-01", "2025-01-31", [20250101])  # type: ignore[list-item]


def test_a_daily_control_that_runs_every_day_counts_calendar_days() -> None:
    import datetime as dt

    from sampling.occurrences import occurrence_dates

    week = occurrence_dates("daily", dt.date(2026, 3, 2), dt.date(2026, 3, 8), every_day=True)
    assert len(week) == 7
    assert len(occurrence_dates("daily", dt.date(2026, 3, 2), dt.date(2026, 3, 8))) == 5
