"""Reproducible selections: random, systematic, stratified, PPS; re-performance; extension.

Every selection returns the selected keys in selection order and a receipt
holding the method, its parameters, the seed, the algorithm name and version,
the population digest and size, and the library versions.  Re-running the
receipt on the same population gives the same items on any machine, because
the random numbers come from the documented stream in :mod:`sampling.stream`
(not from numpy's generators, whose streams may change between versions).

Algorithms (version 1):

* ``random`` - simple random sampling without replacement:
  ``RandomStream(seed).distinct(N, n)`` gives the positions in selection order.
* ``systematic`` - one random start r = below(N); item i (i = 0 .. n-1) is the
  position floor((r + i x N) / n).  The interval N / n need not be whole, and
  every item has the same chance n / N of selection.
* ``stratified`` - strata and allocation as in :mod:`sampling.strata`; then, stratum
  by stratum in the order given, ``distinct(N_h, n_h)`` over the stratum's items
  in population order, all from one stream.
* ``pps`` - monetary unit (probability proportional to size) systematic selection.
  With amounts in minor units and total T, the interval J (T / n, or as given)
  is the exact fraction a / b in lowest terms; the random start is r = below(a);
  the selected monetary units are floor((r + i x a) / b) for every i with
  r + i x a < T x b; the item holding a unit is found on the cumulative
  amounts.  Items of at least the interval are always selected (certainty items)
  and are listed separately as well as among the keys.
* ``extension`` - keeps every prior item and adds new ones: stratified when the
  prior selection was, otherwise by ``distinct`` over the eligible items (not yet
  selected; for a roll-forward, those dated after the prior population's last
  date) in population order.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import secrets
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy

from sampling._inputs import Number, to_decimal
from sampling.errors import (
    InvalidParameterError,
    PopulationDataError,
    PopulationMismatchError,
    ReperformanceError,
)
from sampling.population import Population
from sampling.progress import Progress, ProgressGenerator, run
from sampling.strata import (
    StratumReport,
    allocate,
    largest_remainder,
    normalise_strata,
    plan_strata,
)
from sampling.stream import STREAM_ALGORITHM, RandomStream, check_seed

__all__ = [
    "ALGORITHMS",
    "LIBRARY_VERSION",
    "Selection",
    "SelectionReceipt",
    "extend_selection",
    "iter_extend_selection",
    "iter_reperform",
    "iter_select_pps",
    "iter_select_random",
    "iter_select_stratified",
    "iter_select_systematic",
    "new_seed",
    "reperform",
    "select_pps",
    "select_random",
    "select_stratified",
    "select_systematic",
]

LIBRARY_VERSION = "1.0.0"
RECEIPT_SCHEMA = 1
#: Most monetary-unit draws one PPS selection may take.
MAX_PPS_DRAWS = 5_000_000
_SAFE_TOTAL = 2**62
_QUIET_DRAW = 10_000
_TWO_64 = 1 << 64

IntArray = npt.NDArray[np.int64]
_T = TypeVar("_T")

#: method -> (algorithm name, version) of this library.
ALGORITHMS: Mapping[str, tuple[str, int]] = {
    "random": ("srs-distinct-rejection", 1),
    "systematic": ("systematic-fractional-interval", 1),
    "stratified": ("stratified-proportional-largest-remainder", 1),
    "pps": ("pps-systematic-monetary-units", 1),
    "extension": ("extension-keep-prior", 1),
}

_VERSIONS: Mapping[str, str] = MappingProxyType(
    {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sampling": LIBRARY_VERSION,
    }
)
_RECEIPT_FIELDS = (
    "schema",
    "method",
    "parameters",
    "seed",
    "algorithm",
    "algorithm_version",
    "stream",
    "population_digest",
    "population_size",
    "population_first_date",
    "population_last_date",
    "selected_keys",
    "library_versions",
)


def new_seed() -> int:
    """A fresh 64-bit seed from the operating system's random source."""
    return secrets.randbits(64)


@dataclass(frozen=True)
class SelectionReceipt:
    """Everything needed to re-perform a selection (JSON via to_dict / from_dict)."""

    method: str
    parameters: Mapping[str, Any] = field(hash=False)
    seed: int
    algorithm: str
    algorithm_version: int
    stream: str
    population_digest: str
    population_size: int
    population_first_date: str | None
    population_last_date: str | None
    selected_keys: tuple[str, ...]
    library_versions: Mapping[str, str] = field(hash=False)
    schema: int = RECEIPT_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (the seed is an int; text consumers may keep it as a string)."""
        return {
            "schema": self.schema,
            "method": self.method,
            "parameters": _plain(self.parameters),
            "seed": self.seed,
            "algorithm": self.algorithm,
            "algorithm_version": self.algorithm_version,
            "stream": self.stream,
            "population_digest": self.population_digest,
            "population_size": self.population_size,
            "population_first_date": self.population_first_date,
            "population_last_date": self.population_last_date,
            "selected_keys": list(self.selected_keys),
            "library_versions": dict(self.library_versions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionReceipt:
        """Rebuild a receipt from :meth:`to_dict` output (seed may be int or digit text)."""
        if not isinstance(data, Mapping):
            raise InvalidParameterError("A selection receipt must be a JSON object.")
        absent = [name for name in _RECEIPT_FIELDS if name not in data]
        if absent:
            raise InvalidParameterError(
                f"The selection receipt lacks {', '.join(absent)}; it is incomplete or not "
                "a receipt."
            )
        if data["schema"] != RECEIPT_SCHEMA:
            raise InvalidParameterError(
                f"The receipt uses schema {data['schema']!r}, which this version "
                f"({LIBRARY_VERSION}) does not read."
            )
        seed = data["seed"]
        if isinstance(seed, str) and seed.isdigit():
            seed = int(seed)
        if not isinstance(data["parameters"], Mapping) or not isinstance(
            data["library_versions"], Mapping
        ):
            raise InvalidParameterError(
                "The receipt's parameters and library_versions must be JSON objects."
            )
        return cls(
            method=str(data["method"]),
            parameters=dict(data["parameters"]),
            seed=check_seed(seed),
            algorithm=str(data["algorithm"]),
            algorithm_version=int(data["algorithm_version"]),
            stream=str(data["stream"]),
            population_digest=str(data["population_digest"]),
            population_size=int(data["population_size"]),
            population_first_date=data["population_first_date"],
            population_last_date=data["population_last_date"],
            selected_keys=tuple(str(k) for k in data["selected_keys"]),
            library_versions={str(k): str(v) for k, v in data["library_versions"].items()},
        )


def _plain(value: Any) -> Any:
    """A deep copy with tuples as lists (so to_dict output is plain JSON)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Selection:
    """Selected items in selection order, with the receipt and method details.

    ``keys`` lists every item to test.  For PPS, ``certainty_keys`` repeats the
    items of at least the interval (selected with certainty); for an extension,
    ``prior_keys`` are the items carried over (they come first in ``keys``).
    """

    keys: tuple[str, ...]
    indices: tuple[int, ...]
    receipt: SelectionReceipt
    strata: tuple[StratumReport, ...] = ()
    certainty_keys: tuple[str, ...] = ()
    prior_keys: tuple[str, ...] = ()
    #: Method facts for the workpaper (random start, interval, draws ...), JSON-safe.
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def method(self) -> str:
        """The selection method (``random``, ``systematic``, ``stratified``, ``pps``...)."""
        return self.receipt.method

    def __len__(self) -> int:
        return len(self.keys)

    def in_population_order(self) -> tuple[str, ...]:
        """The selected keys sorted by their position in the population."""
        return tuple(key for _, key in sorted(zip(self.indices, self.keys, strict=True)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view including the receipt."""
        return {
            "method": self.method,
            "keys": list(self.keys),
            "indices": list(self.indices),
            "strata": [s.to_dict() for s in self.strata],
            "certainty_keys": list(self.certainty_keys),
            "prior_keys": list(self.prior_keys),
            "details": _plain(self.details),
            "receipt": self.receipt.to_dict(),
        }


class _Draw:
    """What a drawer found: positions in selection order and method facts."""

    __slots__ = ("certainty", "details", "indices", "prior", "strata")

    def __init__(
        self,
        indices: list[int],
        strata: tuple[StratumReport, ...] = (),
        certainty: Sequence[int] = (),
        prior: Sequence[int] = (),
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.indices = indices
        self.strata = strata
        self.certainty = certainty
        self.prior = prior
        self.details = {} if details is None else details


_Drawer = Generator[Progress, None, _Draw]


# -- parameter checks ---------------------------------------------------------------


def _seed_of(seed: int | None) -> int:
    if type(seed) is int and 0 <= seed < _TWO_64:
        return seed  # the usual case, checked first
    return new_seed() if seed is None else check_seed(seed)


def _size_of(n: object, population: Population) -> int:
    if type(n) is int and 1 <= n <= len(population.keys):
        return n  # the usual case, checked first
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidParameterError(
            f"The sample size must be a whole number of at least 1; got {n!r}."
        )
    if n > len(population):
        raise InvalidParameterError(
            f"The sample size ({n}) is larger than the population ({len(population)} items); "
            "test all items or choose a smaller size."
        )
    return int(n)  # an int subclass such as an IntEnum member


def _require_unique(population: Population) -> None:
    duplicates = population.duplicate_keys
    if duplicates:
        raise PopulationDataError(
            f"The population has {len(duplicates)} duplicate key(s) (first: {duplicates[0]!r}); "
            "make keys unique before selecting (validate_population lists them)."
        )


def _date_text(value: object, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise InvalidParameterError(f"The {what} must be a date (YYYY-MM-DD); got {value!r}.")


# -- the draws (shared by selection, re-performance and extension) --------------------


def _draw_random(
    population: Population, parameters: Mapping[str, Any], stream: RandomStream
) -> _Drawer:
    n = _size_of(parameters["n"], population)
    if n > _QUIET_DRAW:  # small draws take microseconds: no progress to report
        yield Progress(0, 1, "Drawing the random sample")
    return _Draw(stream.distinct(len(population.keys), n))


def _draw_systematic(
    population: Population, parameters: Mapping[str, Any], stream: RandomStream
) -> _Drawer:
    size = len(population)
    n = _size_of(parameters["n"], population)
    start = stream.below(size)
    indices = [(start + i * size) // n for i in range(n)]
    yield Progress(1, 1, "Drawing the systematic sample")
    return _Draw(indices, details={"random_start": start, "interval": str(Fraction(size, n))})


def _draw_stratified(
    population: Population, parameters: Mapping[str, Any], stream: RandomStream
) -> _Drawer:
    n = _size_of(parameters["n"], population)
    yield Progress(0, 1, "Assigning items to strata")
    plan = plan_strata(
        population, parameters["strata"], parameters["period_start"], parameters["period_end"]
    )
    counts = allocate(plan.sizes, n)
    indices: list[int] = []
    total = len(counts)
    for h, (members, count) in enumerate(zip(plan.members, counts, strict=True)):
        picks = stream.distinct(len(members), count)
        indices.extend(members[picks].tolist())
        yield Progress(h + 1, total, f"Drawing stratum {plan.labels[h]}")
    return _Draw(indices, strata=plan.reports(counts))


def _pps_units(population: Population) -> tuple[IntArray, IntArray]:
    """The amounts and their running totals, refusing amounts PPS cannot use."""
    units = population.amount_units
    if units is None:
        raise PopulationDataError(
            "The population has no amounts; monetary unit selection needs an amount column."
        )
    missing = population.amount_missing
    bad = units <= 0 if missing is None else (units <= 0) | missing
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise PopulationDataError(
            f"{int(np.count_nonzero(bad))} item(s) have a missing, zero or negative amount "
            f"(first: {population.keys[first]!r}); monetary unit selection needs positive "
            "amounts (validate_population lists them)."
        )
    # When the int64 running total might overflow, check the exact total first.
    if int(units.max()) * len(units) >= _SAFE_TOTAL and sum(units.tolist()) >= _SAFE_TOTAL:
        raise PopulationDataError(
            "The population total is too large for exact monetary unit selection; check "
            "the amounts."
        )
    return units, np.cumsum(units)


def _draw_pps(
    population: Population, parameters: Mapping[str, Any], stream: RandomStream
) -> _Drawer:
    units, cumulative = _pps_units(population)
    total = int(cumulative[-1])
    scale = population.amount_scale
    if parameters["n"] is not None:
        n = _size_of(parameters["n"], population)
        step = Fraction(total, n)
    else:
        step = Fraction(Decimal(parameters["interval"])) * 10**scale
        if step > total:
            raise InvalidParameterError(
                f"The interval {parameters['interval']} is larger than the population total "
                f"({Decimal(total).scaleb(-scale)}); choose a smaller interval."
            )
    a, b = step.numerator, step.denominator
    start = stream.below(a)
    draws = -((start - total * b) // a)  # the number of i with start + i a < T b
    if draws > MAX_PPS_DRAWS:
        raise InvalidParameterError(
            f"The interval is so small that the selection would take {draws:,} draws; use an "
            f"interval that gives at most {MAX_PPS_DRAWS:,}."
        )
    yield Progress(0, 1, "Locating the selected monetary units")
    points = np.array([(start + i * a) // b for i in range(draws)], dtype=np.int64)
    hits = np.searchsorted(cumulative, points, side="right")
    indices = list(dict.fromkeys(hits.tolist()))
    # amount >= a / b  <=>  amount >= ceil(a / b) for whole minor units.
    certainty = np.flatnonzero(units >= -(-a // b)).tolist()
    yield Progress(1, 1, "Selecting monetary units")
    interval = Decimal(a) / Decimal(b)
    return _Draw(
        indices,
        certainty=certainty,
        details={
            "interval": str(interval.scaleb(-scale)),
            "interval_units": [a, b],
            "amount_scale": scale,
            "random_start_units": start,
            "draws": draws,
            "total": str(Decimal(total).scaleb(-scale)),
        },
    )


def _draw_extension(
    population: Population, parameters: Mapping[str, Any], stream: RandomStream
) -> _Drawer:
    prior_keys = [str(k) for k in parameters["prior_keys"]]
    found = population.positions_of(prior_keys)
    absent = [k for k in prior_keys if k not in found]
    if absent:
        raise PopulationMismatchError(
            f"{len(absent)} previously selected item(s) are not in this population (first: "
            f"{absent[0]!r}); extend with a population that still contains every prior item."
        )
    prior = [found[k] for k in prior_keys]
    new_size = _size_of(parameters["new_size"], population)
    wanted = new_size - len(prior)
    if wanted < 0:
        raise InvalidParameterError(
            f"The new size ({new_size}) is smaller than the {len(prior)} items already selected; "
            "an extension keeps every prior item."
        )
    yield Progress(0, 1, "Extending the selection")
    chosen = np.zeros(len(population), dtype=np.bool_)
    chosen[prior] = True
    if parameters["strata"] is not None:
        plan = plan_strata(
            population, parameters["strata"], parameters["period_start"], parameters["period_end"]
        )
        target = allocate(plan.sizes, new_size)
        have = np.bincount(plan.stratum_of[prior], minlength=len(target)).tolist()
        short = [max(0, t - h) for t, h in zip(target, have, strict=True)]
        extra = largest_remainder(short, wanted, plan.sizes)
        added: list[int] = []
        for members, count in zip(plan.members, extra, strict=True):
            eligible = members[~chosen[members]]
            added.extend(eligible[stream.distinct(len(eligible), count)].tolist())
        counts = [h + e for h, e in zip(have, extra, strict=True)]
        yield Progress(1, 1, "Extending the selection")
        return _Draw(prior + added, strata=plan.reports(counts), prior=prior)
    eligible_mask = ~chosen
    after = parameters["after"]
    if after is not None:
        eligible_mask &= population.day_numbers > _day_number(after)
    eligible = np.flatnonzero(eligible_mask)
    if len(eligible) < wanted:
        where = "not yet selected" if after is None else f"dated after {after}"
        raise PopulationDataError(
            f"Only {len(eligible)} item(s) are {where}, but the extension needs {wanted} more; "
            "choose a smaller size."
        )
    added = eligible[stream.distinct(len(eligible), wanted)].tolist()
    yield Progress(1, 1, "Extending the selection")
    return _Draw(prior + added, prior=prior)


def _day_number(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal() - dt.date(1970, 1, 1).toordinal()


_DRAWERS = {
    "random": _draw_random,
    "systematic": _draw_systematic,
    "stratified": _draw_stratified,
    "pps": _draw_pps,
    "extension": _draw_extension,
}


def _pick(keys: tuple[str, ...], indices: Sequence[int]) -> tuple[str, ...]:
    if len(indices) < 2:
        return tuple([keys[i] for i in indices])
    picked: tuple[str, ...] = itemgetter(*indices)(keys)
    return picked


def _frozen(cls: type[_T], **fields: Any) -> _T:
    """Build a frozen dataclass from all of its fields without the generated __init__.

    One dict assignment replaces one object.__setattr__ per field; a small random
    selection takes microseconds, so this is a measurable share of it.
    """
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", fields)
    return instance


def _perform(
    population: Population, method: str, parameters: Mapping[str, Any], seed: int
) -> ProgressGenerator[Selection]:
    """Digest, checks, draw and receipt: the one path every selection takes."""
    digest = population.cached_digest or (yield from population.iter_digest())
    _require_unique(population)
    draw = yield from _DRAWERS[method](population, parameters, RandomStream(seed))
    keys = population.keys
    selected = _pick(keys, draw.indices)
    first, last = population.date_range_text
    algorithm, version = ALGORITHMS[method]
    receipt = _frozen(
        SelectionReceipt,
        method=method,
        parameters=parameters,
        seed=seed,
        algorithm=algorithm,
        algorithm_version=version,
        stream=STREAM_ALGORITHM,
        population_digest=digest,
        population_size=len(keys),
        population_first_date=first,
        population_last_date=last,
        selected_keys=selected,
        library_versions=_VERSIONS,
        schema=RECEIPT_SCHEMA,
    )
    return _frozen(
        Selection,
        keys=selected,
        indices=tuple(draw.indices),
        receipt=receipt,
        strata=draw.strata,
        certainty_keys=_pick(keys, draw.certainty) if draw.certainty else (),
        prior_keys=_pick(keys, draw.prior) if draw.prior else (),
        details=draw.details,
    )


# -- public selection functions -------------------------------------------------------


def iter_select_random(
    population: Population, n: int, seed: int | None = None
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`select_random`."""
    return _perform(population, "random", {"n": n}, _seed_of(seed))


def select_random(population: Population, n: int, seed: int | None = None) -> Selection:
    """Simple random selection of n items without replacement."""
    return run(iter_select_random(population, n, seed))


def iter_select_systematic(
    population: Population, n: int, seed: int | None = None
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`select_systematic`."""
    return _perform(population, "systematic", {"n": n}, _seed_of(seed))


def select_systematic(population: Population, n: int, seed: int | None = None) -> Selection:
    """Systematic selection of n items from a random start (interval N / n)."""
    return run(iter_select_systematic(population, n, seed))


def _stratified_parameters(
    n: int, strata: object, period_start: object, period_end: object
) -> dict[str, Any]:
    return {
        "n": n,
        "strata": normalise_strata(strata),
        "period_start": _date_text(period_start, "period start"),
        "period_end": _date_text(period_end, "period end"),
    }


def iter_select_stratified(
    population: Population,
    n: int,
    strata: str | Sequence[tuple[dt.date | str, dt.date | str]] = "month",
    seed: int | None = None,
    period_start: dt.date | str | None = None,
    period_end: dt.date | str | None = None,
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`select_stratified`."""
    parameters = _stratified_parameters(n, strata, period_start, period_end)
    return _perform(population, "stratified", parameters, _seed_of(seed))


def select_stratified(
    population: Population,
    n: int,
    strata: str | Sequence[tuple[dt.date | str, dt.date | str]] = "month",
    seed: int | None = None,
    period_start: dt.date | str | None = None,
    period_end: dt.date | str | None = None,
) -> Selection:
    """Stratified random selection across the period ("month", "quarter" or date ranges).

    Month and quarter strata run from ``period_start`` (default: the earliest
    date) to ``period_end`` (default: the latest).  ``Selection.strata`` reports
    the items and the sample count of every stratum.
    """
    return run(iter_select_stratified(population, n, strata, seed, period_start, period_end))


def _pps_parameters(n: int | None, interval: Number | None) -> dict[str, Any]:
    if (n is None) == (interval is None):
        raise InvalidParameterError("Give either the sample size n or the interval, not both.")
    if interval is None:
        return {"n": n, "interval": None}
    step = to_decimal(interval, "sampling interval")
    if step <= 0:
        raise InvalidParameterError(f"The sampling interval must be positive; got {interval!r}.")
    return {"n": None, "interval": str(step)}


def iter_select_pps(
    population: Population,
    n: int | None = None,
    interval: Number | None = None,
    seed: int | None = None,
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`select_pps`."""
    return _perform(population, "pps", _pps_parameters(n, interval), _seed_of(seed))


def select_pps(
    population: Population,
    n: int | None = None,
    interval: Number | None = None,
    seed: int | None = None,
) -> Selection:
    """Monetary unit (PPS) selection by n draws or by a sampling interval.

    Items whose amount is at least the interval are selected with certainty and
    listed in ``certainty_keys`` (they are also in ``keys``).
    """
    return run(iter_select_pps(population, n, interval, seed))


# -- re-performance and extension -----------------------------------------------------


def iter_reperform(
    population: Population, receipt: SelectionReceipt
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`reperform`."""
    digest = yield from population.iter_digest()
    if digest != receipt.population_digest:
        raise PopulationMismatchError(
            f"This population (digest {digest[:12]}..., {len(population)} items) is not the one "
            f"the sample was drawn from (digest {receipt.population_digest[:12]}..., "
            f"{receipt.population_size} items); re-perform with the original population."
        )
    known = ALGORITHMS.get(receipt.method)
    if known is None or known != (receipt.algorithm, receipt.algorithm_version):
        raise InvalidParameterError(
            f"The receipt uses the algorithm {receipt.algorithm!r} version "
            f"{receipt.algorithm_version} for {receipt.method!r}, which this library "
            f"({LIBRARY_VERSION}) does not provide."
        )
    if receipt.stream != STREAM_ALGORITHM:
        raise InvalidParameterError(
            f"The receipt uses the random stream {receipt.stream!r}; this library provides "
            f"{STREAM_ALGORITHM!r} only."
        )
    selection = yield from _perform(population, receipt.method, receipt.parameters, receipt.seed)
    if selection.keys != receipt.selected_keys:
        pairs = zip(selection.keys, receipt.selected_keys, strict=False)
        position = next(
            (i for i, (a, b) in enumerate(pairs) if a != b),
            min(len(selection.keys), len(receipt.selected_keys)),
        )
        raise ReperformanceError(
            f"Re-performance selected different items than the receipt records (first "
            f"difference at item {position + 1}); the receipt has been altered."
        )
    return selection


def reperform(population: Population, receipt: SelectionReceipt) -> Selection:
    """Re-run a selection from its receipt; the same population gives the same items.

    Raises PopulationMismatchError when the population's digest differs.
    """
    return run(iter_reperform(population, receipt))


def _extension_parameters(
    population: Population, receipt: SelectionReceipt, new_size: int | None
) -> dict[str, Any]:
    same = population.digest == receipt.population_digest
    if receipt.method == "pps":
        raise InvalidParameterError(
            "A monetary unit selection cannot be extended without changing its interval; draw "
            "a new PPS selection with the larger size."
        )
    previous = receipt.parameters
    if receipt.method == "stratified" or (
        receipt.method == "extension" and previous["strata"] is not None
    ):
        strata = previous["strata"]
        period_start = previous["period_start"]
        # A roll-forward runs the calendar strata to the new population's last date.
        period_end = previous["period_end"] if same else None
    else:
        strata = period_start = period_end = None
    prior = list(receipt.selected_keys)
    if new_size is None:
        if same:
            raise InvalidParameterError(
                "Give the new sample size: the population is the same one the sample was drawn "
                "from."
            )
        new_size = math.ceil(len(prior) * len(population) / receipt.population_size)
    after = None
    if not same and strata is None and receipt.population_last_date is not None:
        after = receipt.population_last_date
    return {
        "prior_method": receipt.method,
        "prior_keys": prior,
        "new_size": new_size,
        "strata": strata,
        "period_start": period_start,
        "period_end": period_end,
        "after": after,
        "prior_receipt": receipt.to_dict(),
    }


def iter_extend_selection(
    population: Population,
    previous: Selection | SelectionReceipt,
    new_size: int | None = None,
    seed: int | None = None,
) -> ProgressGenerator[Selection]:
    """Generator form of :func:`extend_selection`."""
    receipt = previous.receipt if isinstance(previous, Selection) else previous
    yield from population.iter_digest()
    parameters = _extension_parameters(population, receipt, new_size)
    return (yield from _perform(population, "extension", parameters, _seed_of(seed)))


def extend_selection(
    population: Population,
    previous: Selection | SelectionReceipt,
    new_size: int | None = None,
    seed: int | None = None,
) -> Selection:
    """Grow a selection to ``new_size`` keeping every prior item.

    The population may be the same one, or a longer period that still holds
    every prior item (interim testing, then roll-forward).  For a roll-forward
    ``new_size`` defaults to the prior size scaled by the growth of the
    population (ceil(n x N_new / N_old)) and, unless the prior selection was
    stratified, the new items come from those dated after the prior population's
    last date.  A stratified selection is re-allocated over the strata of the new
    population and each stratum topped up.  PPS selections cannot be extended.
    """
    return run(iter_extend_selection(population, previous, new_size, seed))
