"""Strata across the audit period and proportional allocation.

Strata are consecutive date ranges: calendar months or quarters clipped to the
period, or ranges the auditor gives.  A stratified selection makes sure every
part of the period is represented (AICPA Audit Sampling guide: tests of controls
must cover the whole period of reliance).

Allocation (documented, exact integer arithmetic):

* When n is at least the number H of non-empty strata, each non-empty stratum
  first receives one item; the remaining n - H items are shared in proportion
  to the items each stratum has left (N_h - 1), by the largest-remainder method.
* When n < H, the n items are shared in proportion to N_h by the largest-remainder
  method (some strata then receive none; the report shows which).
* Largest remainder: every stratum gets the whole part of its quota, and the
  items still unallocated go one each to the strata with the largest fractional
  parts; ties go to the larger stratum, then to the earlier one.  A stratum never
  receives more items than it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sampling.errors import InvalidParameterError, PopulationDataError
from sampling.population import Population

__all__ = ["UNDATED", "StratumReport", "StrataPlan", "allocate", "largest_remainder", "plan_strata"]

#: Label of the stratum that holds the items without a date.
UNDATED = "Undated"

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StratumReport:
    """One stratum: its date range, how many items it holds and how many were selected.

    The stratum of undated items (label ``UNDATED``) has no range: start and end are None.
    """

    label: str
    start: dt.date | None
    end: dt.date | None
    population_count: int
    sample_count: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view."""
        return {
            "label": self.label,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "population_count": self.population_count,
            "sample_count": self.sample_count,
        }


def largest_remainder(weights: Sequence[int], total: int, caps: Sequence[int]) -> list[int]:
    """Share ``total`` in proportion to ``weights`` by the largest-remainder method.

    Ties in the fractional part go to the larger cap, then to the earlier entry.
    With total <= sum(weights) and weights <= caps no share exceeds its cap.
    """
    weight_sum = sum(weights)
    if weight_sum == 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda h: (-remainders[h], -caps[h], h))
    for h in order[:left]:
        shares[h] += 1
    return shares


def allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Items per stratum for a sample of n (see the module docstring)."""
    occupied = sum(1 for size in sizes if size > 0)
    if n >= occupied:
        base = [1 if size > 0 else 0 for size in sizes]
        rest = largest_remainder([max(size - 1, 0) for size in sizes], n - occupied, sizes)
        return [b + r for b, r in zip(base, rest, strict=True)]
    return largest_remainder(list(sizes), n, sizes)


def _day(value: dt.date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def _iso(value: object, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidParameterError(f"The {what} must be a date (YYYY-MM-DD); got {value!r}.")


def _calendar_strata(kind: str, start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    months = 1 if kind == "month" else 3
    first_month = (start.month - 1) // months * months + 1
    cursor = dt.date(start.year, first_month, 1)
    strata = []
    while cursor <= end:
        year, month = divmod(cursor.month - 1 + months, 12)
        following = dt.date(cursor.year + year, month + 1, 1)
        if kind == "month":
            label = f"{cursor.year}-{cursor.month:02d}"
        else:
            label = f"{cursor.year}-Q{(cursor.month - 1) // 3 + 1}"
        strata.append((label, max(cursor, start), min(following - dt.timedelta(days=1), end)))
        cursor = following
    return strata


def _custom_strata(ranges: Sequence[Any]) -> list[tuple[str, dt.date, dt.date]]:
    if not ranges:
        raise InvalidParameterError("Give at least one stratum date range.")
    strata = []
    for item in ranges:
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2:
            raise InvalidParameterError(
                f"Each stratum must be a (start, end) pair of dates; got {item!r}."
            )
        start = _iso(item[0], "stratum start")
        end = _iso(item[1], "stratum end")
        if start > end:
            raise InvalidParameterError(
                f"The stratum {start} to {end} ends before it starts; swap the dates."
            )
        strata.append((f"{start.isoformat()} to {end.isoformat()}", start, end))
    ordered = sorted(strata, key=lambda s: s[1])
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after[1] <= before[2]:
            raise InvalidParameterError(
                f"The strata {before[0]} and {after[0]} overlap; give ranges that do not overlap."
            )
    return strata


def normalise_strata(strata: object) -> str | list[list[str]]:
    """The JSON-safe form of a strata choice: "month", "quarter" or [[start, end], ...]."""
    if isinstance(strata, str):
        if strata not in ("month", "quarter"):
            raise InvalidParameterError(
                f"Strata must be 'month', 'quarter' or a list of (start, end) date ranges; "
                f"got {strata!r}."
            )
        return strata
    if not isinstance(strata, Sequence):
        raise InvalidParameterError(
            f"Strata must be 'month', 'quarter' or a list of (start, end) date ranges; "
            f"got {strata!r}."
        )
    return [[s.isoformat(), e.isoformat()] for _, s, e in _custom_strata(strata)]


@dataclass(frozen=True)
class StrataPlan:
    """Strata of a population: ranges, the stratum of every item and its members."""

    labels: tuple[str, ...]
    starts: tuple[dt.date | None, ...]
    ends: tuple[dt.date | None, ...]
    #: Positions of each stratum's items, in population order.
    members: tuple[IntArray, ...]
    #: Stratum number of every item (stratum order as given).
    stratum_of: IntArray

    @property
    def sizes(self) -> list[int]:
        """Items per stratum."""
        return [len(m) for m in self.members]

    def reports(self, counts: Sequence[int]) -> tuple[StratumReport, ...]:
        """Stratum reports with the given sample counts."""
        return tuple(
            StratumReport(label, start, end, len(members), count)
            for label, start, end, members, count in zip(
                self.labels, self.starts, self.ends, self.members, counts, strict=True
            )
        )


def plan_strata(
    population: Population,
    strata: str | list[list[str]],
    period_start: str | None = None,
    period_end: str | None = None,
) -> StrataPlan:
    """Assign every item to its stratum; refuse items dated outside all strata.

    Items without a date cannot be placed in the period, so they form one more
    stratum of their own, ``UNDATED``, after the dated ones: they keep their
    chance of selection and the report shows how many there are.
    """
    days = population.day_numbers
    undated = days == _NAT
    if undated.any():
        # Park undated items on the first day of the first stratum while slotting,
        # then move them to the extra stratum.
        days = days.copy()
    if isinstance(strata, str):
        first_date, last_date = population.date_range
        start = first_date if period_start is None else _iso(period_start, "period start")
        end = last_date if period_end is None else _iso(period_end, "period end")
        if start is None or end is None:
            raise PopulationDataError(
                "The population has no dated items; a stratified selection needs dates."
            )
        if start > end:
            raise InvalidParameterError(
                f"The period starts ({start}) after it ends ({end}); swap the dates."
            )
        table = _calendar_strata(strata, start, end)
    else:
        table = _custom_strata(strata)
    order = sorted(range(len(table)), key=lambda h: table[h][1])
    if undated.any():
        days[undated] = _day(table[order[0]][1])
    starts = np.array([_day(table[h][1]) for h in order], dtype=np.int64)
    ends = np.array([_day(table[h][2]) for h in order], dtype=np.int64)
    slot = np.searchsorted(starts, days, side="right") - 1
    inside = (slot >= 0) & (days <= ends[np.maximum(slot, 0)])
    if not np.all(inside):
        first = int(np.flatnonzero(~inside)[0])
        raise PopulationDataError(
            f"{int(np.count_nonzero(~inside))} item(s) fall outside the strata (first: "
            f"{population.keys[first]!r} dated {population.date_of(first)}); widen the "
            "period or the strata, or remove those items."
        )
    # Map sorted slots back to the strata's given order.
    given = np.array(order, dtype=np.int64)[slot]
    labels: list[str] = [t[0] for t in table]
    starts_out: list[dt.date | None] = [t[1] for t in table]
    ends_out: list[dt.date | None] = [t[2] for t in table]
    if undated.any():
        given[undated] = len(table)
        labels.append(UNDATED)
        starts_out.append(None)
        ends_out.append(None)
    count = len(labels)
    small = given.astype(np.int16) if count < 2**15 else given
    # A stable sort keeps population order within each stratum (radix sort for int16).
    ranked = np.argsort(small, kind="stable")
    bounds = np.searchsorted(given[ranked], np.arange(count + 1), side="left")
    members = tuple(ranked[bounds[h] : bounds[h + 1]] for h in range(count))
    return StrataPlan(
        labels=tuple(labels),
        starts=tuple(starts_out),
        ends=tuple(ends_out),
        members=members,
        stratum_of=given,
    )
