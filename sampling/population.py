"""Populations: ordered items with a unique key, a date and an optional amount.

A population of a million items must fit comfortably in memory, so it is stored
as columns: a tuple of key strings, a numpy ``datetime64[D]`` array of dates
(NaT when missing) and, when there are amounts, a numpy int64 array of exact
amounts in minor units of 10^-S (S, the amount scale, is the fewest decimal
places that write every amount exactly).  A Population never changes after it is
built, so its digest and checks are computed once and cached.

Canonical encoding and digest (version 1)
-----------------------------------------
The digest is the SHA-256 (hex) of this UTF-8 text::

    "auditdesk-population-v1" US S RS
    then, for each item in population order:
    key US date US amount RS

where US is U+001F, RS is U+001E, S is the amount scale in decimal digits
("0" when there are no amounts), date is ``YYYY-MM-DD`` or empty when missing,
and amount is the amount times 10^S written as a base-10 integer (``-`` for
negatives, no leading zeros) or empty when missing.  Example: keys A and B dated
2025-01-31 and 2025-02-28 with amounts 12.5 and 3 give S = 1 and the text
``auditdesk-population-v1 US 1 RS A US 2025-01-31 US 125 RS B US 2025-02-28 US 30 RS``
(spaces added here for reading).  Because S is the *fewest* decimals needed,
100, 100.0 and 100.00 encode alike.  Keys may not contain US or RS, so the
encoding is unambiguous.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import add, itemgetter
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from sampling.errors import InvalidParameterError, PopulationDataError
from sampling.progress import Progress, ProgressGenerator, run

__all__ = [
    "DIGEST_ALGORITHM",
    "DataIssue",
    "Population",
    "PopulationItem",
    "iter_population_digest",
    "population_digest",
    "validate_population",
]

DIGEST_ALGORITHM = "sha256-population-v1"
_HEADER = "auditdesk-population-v1"
_US = "\x1f"
_RS = "\x1e"
#: Items hashed per step; also the progress granularity.
DIGEST_CHUNK = 131_072
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min
_INT64_LIMIT = 2**63

DayArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

AmountInput = Sequence[object] | npt.NDArray[Any] | None
DateInput = Sequence[object] | npt.NDArray[Any] | None


@dataclass(frozen=True, slots=True)
class PopulationItem:
    """One item of a population."""

    key: str
    date: dt.date | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class DataIssue:
    """A data problem found in a population: ``kind``, the item's key and position."""

    kind: str
    key: str
    #: 0-based position of the item in the population (-1 for population-wide issues).
    index: int
    message: str


def _date_from_days(days: int) -> dt.date:
    return dt.date.fromordinal(days + _EPOCH_ORDINAL)


def _days_of(value: object, row: int) -> int:
    """Day number (days since 1970-01-01) of one date value; NaT for None."""
    if value is None:
        return _NAT
    if isinstance(value, dt.date):  # datetime.datetime too: its date part counts
        return value.toordinal() - _EPOCH_ORDINAL
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).toordinal() - _EPOCH_ORDINAL
        except ValueError:
            pass
    raise PopulationDataError(
        f"Row {row + 1} has the date {value!r}, which is not a date; give dates as "
        "datetime.date values or YYYY-MM-DD text."
    )


def _dates_column(dates: DateInput, count: int) -> DayArray:
    if dates is None:
        return np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.datetime64):
        column = dates.astype("datetime64[D]")
    else:
        values = list(dates)
        try:
            # Fast path: all values are dates (one C-level pass).
            days = np.fromiter(
                map(dt.date.toordinal, values),
                dtype=np.int64,
                count=len(values),
            )
            days -= _EPOCH_ORDINAL
        except TypeError:
            days = np.array([_days_of(v, i) for i, v in enumerate(values)], dtype=np.int64)
        column = days.view("datetime64[D]")
    if len(column) != count:
        raise PopulationDataError(
            f"There are {count} keys but {len(column)} dates; give one date per item."
        )
    column.flags.writeable = False
    return column


def _decimal_of(value: object, row: int) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise PopulationDataError(
            f"Row {row + 1} has the amount {value!r}, which is not a number; give amounts "
            "as Decimal, int, float or numeric text."
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise PopulationDataError(
            f"Row {row + 1} has the amount {value!r}, which is not a finite number; correct "
            "it or leave it blank."
        )
    return amount


def _scale_of(amount: Decimal) -> int:
    # Only finite decimals get here, and their exponent is an int.
    return max(0, -int(amount.as_tuple().exponent))


def _rescale(units: IntArray, by: int) -> IntArray:
    """Multiply minor units by 10^by, refusing to overflow int64."""
    if by == 0 or units.size == 0:
        return units
    factor = 10**by
    largest = int(np.abs(units).max())
    if largest * factor >= _INT64_LIMIT:
        raise PopulationDataError(
            "The amounts need more digits than exact 64-bit storage allows; round them to "
            "fewer decimal places."
        )
    scaled: IntArray = units * np.int64(factor)
    return scaled


def _scaled(decimals: list[Decimal], scale: int) -> list[int] | None:
    """Every amount times 10^scale as an int, or None if one of them is not whole."""
    scaled = [d.scaleb(scale) for d in decimals]
    whole = list(map(int, scaled))
    return whole if scaled == whole else None


def _chunk_decimals(chunk: Sequence[object], start: int) -> list[Decimal | None]:
    if set(map(type, chunk)) == {Decimal}:
        decimals = cast(list[Decimal], list(chunk))
        if all(map(Decimal.is_finite, decimals)):
            return list(decimals)
    return [_decimal_of(v, start + i) for i, v in enumerate(chunk)]


def _amounts_from_values(values: Sequence[object]) -> tuple[IntArray, int, BoolArray]:
    """Exact minor units from a sequence, converting in chunks to bound memory.

    Each chunk first tries the scale already found (at least 2, as money usually
    has cents): one Decimal shift per amount.  Only when some amount has more
    decimals is the chunk's own scale read from the amounts' exponents.
    """
    parts: list[tuple[IntArray, int]] = []
    missing = np.zeros(len(values), dtype=np.bool_)
    scale = 2
    for start in range(0, len(values), DIGEST_CHUNK):
        decimals = _chunk_decimals(values[start : start + DIGEST_CHUNK], start)
        gaps = [i for i, d in enumerate(decimals) if d is None]
        missing[[start + i for i in gaps]] = True
        present = [Decimal(0) if d is None else d for d in decimals]
        ints = _scaled(present, scale)
        if ints is None:
            scale = max(_scale_of(d) for d in present)
            ints = _scaled(present, scale)
            assert ints is not None  # the exponents guarantee whole numbers
        if ints and max(map(abs, ints)) >= _INT64_LIMIT:
            row = next(i for i, v in enumerate(ints) if abs(v) >= _INT64_LIMIT)
            raise PopulationDataError(
                f"Row {start + row + 1} has the amount {present[row]}, too large to store "
                "exactly; check the value."
            )
        parts.append((np.array(ints, dtype=np.int64), scale))
    scale = max((s for _, s in parts), default=0)
    units = np.concatenate([_rescale(a, scale - s) for a, s in parts] or [np.zeros(0, np.int64)])
    return units, scale, missing


def _amounts_from_array(
    values: npt.NDArray[Any], scale: int | None
) -> tuple[IntArray, int, BoolArray]:
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64), scale or 0, np.zeros(len(values), dtype=np.bool_)
    if not np.issubdtype(values.dtype, np.floating):
        return _amounts_from_values(values.tolist())
    places = 2 if scale is None else scale
    missing = np.isnan(values)
    scaled = np.where(missing, 0.0, values) * float(10**places)
    if not np.all(np.isfinite(scaled)) or np.any(np.abs(scaled) >= 2.0**53):
        raise PopulationDataError(
            "Some amounts are infinite or too large to hold exactly as floats; give them as "
            "Decimal values or integers of minor units."
        )
    units = np.round(scaled)
    off = np.flatnonzero(np.abs(scaled - units) > 1e-6 * np.maximum(1.0, np.abs(scaled)))
    if off.size:
        row = int(off[0])
        raise PopulationDataError(
            f"Row {row + 1} has the amount {values[row]!r}, which has more than {places} "
            "decimal places; give amount_scale or pass Decimal values."
        )
    return units.astype(np.int64), places, missing


def _minimal_scale(units: IntArray, scale: int) -> tuple[IntArray, int]:
    """Drop trailing decimal places that every amount has as zero."""
    while scale > 0 and not np.any(units % 10):
        units = units // 10
        scale -= 1
    return units, scale


class Population:
    """An immutable, ordered population of items (columns: keys, dates, amounts).

    Build one with :meth:`from_columns` or :meth:`from_records`.  Duplicate keys,
    missing dates and bad amounts are allowed here so that
    :func:`validate_population` can report them; selection refuses them.
    """

    __slots__ = (
        "_amounts",
        "_days",
        "_digest",
        "_duplicates",
        "_keys",
        "_missing",
        "_range",
        "_range_text",
        "_scale",
    )

    def __init__(
        self,
        keys: tuple[str, ...],
        days: DayArray,
        amounts: IntArray | None,
        scale: int,
        missing: BoolArray | None,
    ) -> None:
        self._keys = keys
        self._days = days
        self._amounts = amounts
        self._scale = scale
        self._missing = missing
        self._digest: str | None = None
        self._duplicates: tuple[str, ...] | None = None
        self._range: tuple[dt.date | None, dt.date | None] | None = None
        self._range_text: tuple[str | None, str | None] | None = None

    # -- construction -------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        keys: Sequence[str],
        dates: DateInput = None,
        amounts: AmountInput = None,
        *,
        amount_scale: int | None = None,
    ) -> Population:
        """Build a population from columns of equal length.

        ``dates``: datetime.date values, ISO ``YYYY-MM-DD`` text or None (missing),
        or a numpy datetime64 array (NaT missing); None for no dates at all.
        ``amounts``: Decimal, int, numeric text, float (read by its repr) or None
        (missing); or a numpy integer array of minor units of 10^-amount_scale; or
        a numpy float array (NaN missing) rounded to ``amount_scale`` places
        (default 2) after checking nothing is lost.
        """
        key_tuple = tuple(keys)
        if key_tuple and set(map(type, key_tuple)) != {str}:
            row = next(i for i, k in enumerate(key_tuple) if not isinstance(k, str))
            raise PopulationDataError(
                f"Row {row + 1} has the key {key_tuple[row]!r}; keys must be text."
            )
        if key_tuple and min(map(len, key_tuple)) == 0:
            row = key_tuple.index("")
            raise PopulationDataError(f"Row {row + 1} has an empty key; every item needs a key.")
        joined = "".join(key_tuple)
        if _US in joined or _RS in joined:
            row = next(i for i, k in enumerate(key_tuple) if _US in k or _RS in k)
            raise PopulationDataError(
                f"Row {row + 1} has a key containing a control character (U+001E or U+001F); "
                "remove it."
            )
        count = len(key_tuple)
        days = _dates_column(dates, count)
        units: IntArray | None = None
        scale = 0
        missing: BoolArray | None = None
        if amounts is not None:
            if amount_scale is not None and (
                isinstance(amount_scale, bool)
                or not isinstance(amount_scale, int)
                or amount_scale < 0
            ):
                raise InvalidParameterError(
                    "The amount scale must be a whole number of decimal places; got "
                    f"{amount_scale!r}."
                )
            if isinstance(amounts, np.ndarray):
                units, scale, missing = _amounts_from_array(amounts, amount_scale)
            else:
                units, scale, missing = _amounts_from_values(amounts)
            if len(units) != count:
                raise PopulationDataError(
                    f"There are {count} keys but {len(units)} amounts; give one amount per item."
                )
            units, scale = _minimal_scale(units, scale)
            units.flags.writeable = False
            if missing.any():
                missing.flags.writeable = False
            else:
                missing = None
        return cls(key_tuple, days, units, scale, missing)

    @classmethod
    def from_records(cls, records: Iterable[Sequence[object]]) -> Population:
        """Build a population from (key, date) or (key, date, amount) records."""
        keys: list[Any] = []  # checked to be text by from_columns
        dates: list[object] = []
        amounts: list[object] = []
        with_amounts = False
        for record in records:
            if len(record) not in (2, 3):
                raise PopulationDataError(
                    f"Record {len(keys) + 1} has {len(record)} fields; give (key, date) or "
                    "(key, date, amount)."
                )
            keys.append(record[0])
            dates.append(record[1])
            amounts.append(record[2] if len(record) == 3 else None)
            with_amounts = with_amounts or len(record) == 3
        return cls.from_columns(keys, dates, amounts if with_amounts else None)

    # -- columns and items --------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"<Population of {len(self)} items, digest {self.digest[:12]}...>"

    @property
    def keys(self) -> tuple[str, ...]:
        """The item keys in population order."""
        return self._keys

    @property
    def dates(self) -> DayArray:
        """Read-only ``datetime64[D]`` array of dates (NaT where missing)."""
        return self._days

    @property
    def has_amounts(self) -> bool:
        """True when the population has an amount column."""
        return self._amounts is not None

    @property
    def amount_units(self) -> IntArray | None:
        """Read-only int64 amounts in minor units of 10^-amount_scale (0 where missing)."""
        return self._amounts

    @property
    def amount_scale(self) -> int:
        """Decimal places of the minor unit (the fewest that write every amount exactly)."""
        return self._scale

    @property
    def amount_missing(self) -> BoolArray | None:
        """Read-only mask of missing amounts, or None when none is missing."""
        return self._missing

    def date_of(self, index: int) -> dt.date | None:
        """The date of the item at ``index`` (None when missing)."""
        days = self._days[index]
        if np.isnat(days):
            return None
        return _date_from_days(int(days.astype(np.int64)))

    def amount_of(self, index: int) -> Decimal | None:
        """The exact amount of the item at ``index`` (None when missing or absent)."""
        if self._amounts is None or (self._missing is not None and self._missing[index]):
            return None
        return Decimal(int(self._amounts[index])).scaleb(-self._scale)

    def item(self, index: int) -> PopulationItem:
        """The item at ``index``."""
        return PopulationItem(self._keys[index], self.date_of(index), self.amount_of(index))

    def __iter__(self) -> Iterator[PopulationItem]:
        return (self.item(i) for i in range(len(self)))

    @property
    def day_numbers(self) -> IntArray:
        """Dates as int64 days since 1970-01-01 (int64 minimum where missing)."""
        return self._days.view(np.int64)

    @property
    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """(earliest, latest) date, None when no item has a date (cached)."""
        if self._range is None:
            days = self.day_numbers[self.day_numbers != _NAT]
            if days.size:
                self._range = (_date_from_days(int(days.min())), _date_from_days(int(days.max())))
            else:
                self._range = (None, None)
        return self._range

    @property
    def date_range_text(self) -> tuple[str | None, str | None]:
        """:attr:`date_range` as ``YYYY-MM-DD`` text (cached)."""
        if self._range_text is None:
            first, last = self.date_range
            self._range_text = (
                None if first is None else first.isoformat(),
                None if last is None else last.isoformat(),
            )
        return self._range_text

    @property
    def first_date(self) -> dt.date | None:
        """The earliest date, or None when no item has one."""
        return self.date_range[0]

    @property
    def last_date(self) -> dt.date | None:
        """The latest date, or None when no item has one."""
        return self.date_range[1]

    def total_amount(self) -> Decimal:
        """Sum of the amounts present, exactly (0 without amounts)."""
        if self._amounts is None:
            return Decimal(0)
        # Python integers: an int64 sum of a million large amounts could overflow.
        total = sum(self._amounts.tolist())
        return Decimal(total).scaleb(-self._scale)

    def positions_of(self, keys: Iterable[str]) -> dict[str, int]:
        """Positions of the given keys that are in the population (first occurrence)."""
        wanted = set(keys)
        found: dict[str, int] = {}
        for index, key in enumerate(self._keys):
            if key in wanted and key not in found:
                found[key] = index
        return found

    # -- checks and digest --------------------------------------------------------

    @property
    def duplicate_keys(self) -> tuple[str, ...]:
        """Keys that occur more than once, in order of first occurrence (cached)."""
        if self._duplicates is None:
            if len(set(self._keys)) == len(self._keys):
                self._duplicates = ()
            else:
                counts = Counter(self._keys)
                self._duplicates = tuple(k for k, c in counts.items() if c > 1)
        return self._duplicates

    def iter_digest(self) -> ProgressGenerator[str]:
        """Generator form of :attr:`digest`: yields progress, returns the hex digest."""
        if self._digest is None:
            self._digest = yield from _digest_steps(self)
        return self._digest

    @property
    def cached_digest(self) -> str | None:
        """The digest if already computed, else None (never computes it)."""
        return self._digest

    @property
    def digest(self) -> str:
        """SHA-256 hex of the canonical encoding (see the module docstring); cached."""
        return run(self.iter_digest())


def _date_fields(days: IntArray) -> tuple[str, ...]:
    """``US date US`` for each day number, via a table of the distinct days in range."""
    present = days[days != _NAT]
    if present.size == 0:
        return tuple(repeat(_US + _US, len(days)))
    low = int(present.min())
    high = int(present.max())
    if high - low > 4 * len(days) + 1000:
        # Dates spread over centuries: format only the distinct ones.
        distinct, inverse = np.unique(days, return_inverse=True)
        labels = [
            _US + _US if day == _NAT else f"{_US}{_date_from_days(day).isoformat()}{_US}"
            for day in distinct.tolist()
        ]
        return tuple(labels[i] for i in inverse.tolist())
    table = [f"{_US}{_date_from_days(day).isoformat()}{_US}" for day in range(low, high + 1)]
    table.append(_US + _US)  # index high - low + 1: missing
    index = np.where(days == _NAT, high - low + 1, days - low)
    if len(index) == 1:
        return (table[int(index[0])],)
    fields: tuple[str, ...] = itemgetter(*index.tolist())(table)
    return fields


def _digest_steps(population: Population) -> ProgressGenerator[str]:
    hasher = hashlib.sha256(f"{_HEADER}{_US}{population.amount_scale}{_RS}".encode())
    keys = population.keys
    total = len(keys)
    days = population.day_numbers
    units = population.amount_units
    missing = population.amount_missing
    yield Progress(0, total, "Computing the population digest")
    for start in range(0, total, DIGEST_CHUNK):
        stop = min(total, start + DIGEST_CHUNK)
        dates = _date_fields(days[start:stop])
        if units is None:
            amounts: Iterable[str] = repeat(_RS, stop - start)
        else:
            text = list(map(str, units[start:stop].tolist()))
            if missing is not None:
                for offset in np.flatnonzero(missing[start:stop]).tolist():
                    text[offset] = ""
            amounts = map(add, text, repeat(_RS))
        parts: list[str] = [""] * (3 * (stop - start))
        parts[0::3] = keys[start:stop]
        parts[1::3] = dates
        parts[2::3] = amounts
        hasher.update("".join(parts).encode("utf-8"))
        yield Progress(stop, total, "Computing the population digest")
    return hasher.hexdigest()


def iter_population_digest(population: Population) -> ProgressGenerator[str]:
    """Generator form of :func:`population_digest` (yields progress, returns the hex)."""
    return population.iter_digest()


def population_digest(population: Population) -> str:
    """SHA-256 hex digest of a population's canonical encoding (cached on the population)."""
    return population.digest


def _row_text(population: Population, index: int) -> str:
    return f"Item {population.keys[index]!r} (row {index + 1})"


def validate_population(
    population: Population,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    for_mus: bool = False,
) -> list[DataIssue]:
    """Report data problems: duplicate keys, missing dates, dates outside the period,
    and (for monetary unit sampling) missing, negative or zero amounts.
    """
    if period_start is not None and period_end is not None and period_start > period_end:
        raise InvalidParameterError(
            f"The period starts ({period_start}) after it ends ({period_end}); swap the dates."
        )
    issues: list[DataIssue] = []
    duplicates = population.duplicate_keys
    if duplicates:
        rows: dict[str, list[int]] = {k: [] for k in duplicates}
        for index, key in enumerate(population.keys):
            if key in rows:
                rows[key].append(index)
        for key, where in rows.items():
            listed = ", ".join(str(i + 1) for i in where)
            issues.append(
                DataIssue(
                    "duplicate-key",
                    key,
                    where[0],
                    f"Key {key!r} appears {len(where)} times (rows {listed}); keys must be unique.",
                )
            )
    days = population.day_numbers
    for index in np.flatnonzero(days == _NAT).tolist():
        issues.append(
            DataIssue(
                "missing-date",
                population.keys[index],
                index,
                f"{_row_text(population, index)} has no date.",
            )
        )
    if period_start is not None or period_end is not None:
        low = _NAT + 1 if period_start is None else period_start.toordinal() - _EPOCH_ORDINAL
        high = _INT64_LIMIT - 1 if period_end is None else period_end.toordinal() - _EPOCH_ORDINAL
        outside = (days != _NAT) & ((days < low) | (days > high))
        period = f"{period_start or 'the start'} to {period_end or 'the end'}"
        for index in np.flatnonzero(outside).tolist():
            issues.append(
                DataIssue(
                    "outside-period",
                    population.keys[index],
                    index,
                    f"{_row_text(population, index)} is dated {population.date_of(index)}, "
                    f"outside the period {period}.",
                )
            )
    if for_mus:
        issues.extend(_amount_issues(population))
    return issues


def _amount_issues(population: Population) -> list[DataIssue]:
    units = population.amount_units
    if units is None:
        return [
            DataIssue(
                "no-amounts",
                "",
                -1,
                "The population has no amounts; monetary unit sampling needs an amount column.",
            )
        ]
    issues = []
    missing = population.amount_missing
    if missing is not None:
        for index in np.flatnonzero(missing).tolist():
            issues.append(
                DataIssue(
                    "missing-amount",
                    population.keys[index],
                    index,
                    f"{_row_text(population, index)} has no amount.",
                )
            )
    bad = units <= 0 if missing is None else (units <= 0) & ~missing
    for index in np.flatnonzero(bad).tolist():
        issues.append(
            DataIssue(
                "non-positive-amount",
                population.keys[index],
                index,
                f"{_row_text(population, index)} has the amount {population.amount_of(index)}; "
                "monetary unit sampling needs amounts greater than zero.",
            )
        )
    return issues
