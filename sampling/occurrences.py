"""Populations of occurrences for periodic controls.

When a control runs on a schedule, its population is the list of times it
should have operated in the period.  Dates are calendar facts, chosen so that a
reviewer can recompute them:

* annual: 31 December; semi-annual: 30 June and 31 December; quarterly: the
  quarter ends; monthly: the month ends.  Calendar dates, even on a weekend or
  holiday: the occurrence stands for the period that ends then.  Only period
  ends inside [period_start, period_end] count, so an annual control in a
  six-month period that holds no 31 December has no occurrence (import the
  client's record of it instead).
* weekly: the Friday of every Monday-to-Sunday week, when that Friday is in the
  period; a Friday holiday moves back to the latest earlier business day of the
  same week inside the period (the week is skipped if there is none).
* daily: every Monday to Friday in the period that is not a holiday, or,
  for a control that runs every day (an automated backup, say), every
  calendar day of the period (``every_day=True``).

Controls that run many times a day, on events or continuously have no schedule
to generate: their populations come from the client's records.
Each occurrence's key is its date as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sampling.errors import InvalidParameterError
from sampling.nonstatistical import load_guidance, normalise_frequency
from sampling.population import Population

__all__ = ["SCHEDULED_FREQUENCIES", "generate_occurrences", "occurrence_dates"]

SCHEDULED_FREQUENCIES = ("annual", "semi-annual", "quarterly", "monthly", "weekly", "daily")
_MONTHS_BETWEEN = {"annual": 12, "semi-annual": 6, "quarterly": 3, "monthly": 1}
_FRIDAY = 4


def _date_of(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidParameterError(f"The {what} must be a date (YYYY-MM-DD); got {value!r}.")


def _period_ends(every: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """Calendar period ends (month ends every ``every`` months, aligned to December)."""
    dates = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        if month % every == 0:
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            last_day = following - dt.timedelta(days=1)
            if start <= last_day <= end:
                dates.append(last_day)
        year, month = year + month // 12, month % 12 + 1
    return dates


def _weekly(start: dt.date, end: dt.date, holidays: set[dt.date]) -> list[dt.date]:
    dates = []
    monday = start - dt.timedelta(days=start.weekday())
    while monday <= end:
        for offset in range(_FRIDAY, -1, -1):  # Friday, then back to Monday
            day = monday + dt.timedelta(days=offset)
            if day not in holidays:
                break
        else:
            day = None
        friday = monday + dt.timedelta(days=_FRIDAY)
        if day is not None and start <= friday <= end and start <= day:
            dates.append(day)
        monday += dt.timedelta(days=7)
    return dates


def _daily(start: dt.date, end: dt.date, holidays: set[dt.date], every_day: bool) -> list[dt.date]:
    days = (end - start).days + 1
    every = (start + dt.timedelta(days=i) for i in range(days))
    if every_day:
        return list(every)
    return [day for day in every if day.weekday() < 5 and day not in holidays]


def occurrence_dates(
    frequency: str,
    period_start: dt.date | str,
    period_end: dt.date | str,
    holidays: Iterable[dt.date | str] = (),
    *,
    every_day: bool = False,
) -> list[dt.date]:
    """The dates a periodic control should have operated in the period (see module doc)."""
    start = _date_of(period_start, "period start")
    end = _date_of(period_end, "period end")
    if start > end:
        raise InvalidParameterError(
            f"The period starts ({start}) after it ends ({end}); swap the dates."
        )
    days_off = {_date_of(h, "holiday") for h in holidays}
    name = normalise_frequency(frequency, load_guidance())
    if name in _MONTHS_BETWEEN:
        return _period_ends(_MONTHS_BETWEEN[name], start, end)
    if name == "weekly":
        return _weekly(start, end, days_off)
    if name == "daily":
        return _daily(start, end, days_off, every_day)
    raise InvalidParameterError(
        f"Occurrences can be generated for {', '.join(SCHEDULED_FREQUENCIES)} controls, not "
        f"{frequency!r}; import the population from the client's records instead."
    )


def generate_occurrences(
    frequency: str,
    period_start: dt.date | str,
    period_end: dt.date | str,
    holidays: Iterable[dt.date | str] = (),
    *,
    every_day: bool = False,
) -> Population:
    """The population of a periodic control's occurrences, keyed ``YYYY-MM-DD``."""
    dates = occurrence_dates(frequency, period_start, period_end, holidays, every_day=every_day)
    return Population.from_columns([d.isoformat() for d in dates], dates)
