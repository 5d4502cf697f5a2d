"""Attribute sampling for tests of controls: sample size and evaluation.

The methods follow the AICPA Audit Sampling guide and AU-C 530:

* Sample size (binomial, the default, for a large population): the smallest n for
  which P(X <= k | n, tolerable rate) < 1 - confidence, where the number of
  deviations the auditor expects to find is k = ceil(n x expected rate) computed in
  exact rational arithmetic.  This rule reproduces the guide's tables.
* Finite population (hypergeometric): the smallest n with
  HypergeomCDF(k; N, ceil(tolerable x N), n) <= 1 - confidence, same k rule.
* Poisson: the binomial rule with the Poisson approximation P(X <= k | n x tolerable).
* Evaluation: the one-sided Clopper-Pearson upper deviation limit
  beta.ppf(confidence, k + 1, n - k), or the exact hypergeometric limit when the
  population size is known; tables show it rounded *up* to 0.1 percentage point.
* Very large finite populations: above ``BINOMIAL_LIMIT_POPULATION`` (10^9) items the
  hypergeometric size and limit are replaced by their binomial limit, and the plan or
  evaluation says method "binomial".  Drawing n items without replacement instead of
  with replacement changes any probability by at most (n - 1)/(N - 1) (Ehm 1991, the
  total variation distance between the hypergeometric and the binomial law with
  p = M/N), and rounding M = ceil(tolerable x N) moves p by less than 1/N, which moves
  the binomial CDF by at most n/N: the two CDFs differ by less than 2n/N.  Below the
  threshold the search's log-gamma guesses are accurate to about 1e-5 (their absolute
  error grows like N log N x 2^-52) and every answer is confirmed exactly; above it
  they would not be, and the finite population correction is at most 2n/N (2e-6 for a
  sample of 1,000).  When every probability the binomial search decided on lies
  farther than 2n/N from the risk, the hypergeometric rule decides the same way at
  every size, so the size is provably the hypergeometric one as well, and the
  rationale says so.

Because k jumps as n grows, P(X <= k) is not monotone in n; the search therefore
scans every n from a proven lower bound upwards, a vectorised block at a time, so
the answer is the true smallest n and not just one found by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
from scipy import special

from sampling._inputs import (
    Number,
    confidence_of,
    count_of,
    expected_rate_of,
    pct,
    population_size_of,
    shown,
    tolerable_rate_of,
)
from sampling._search import (
    BoolArray,
    FloatArray,
    IntArray,
    Predicate,
    first_true,
    first_true_upwards,
)
from sampling.errors import InvalidParameterError

__all__ = [
    "METHODS",
    "AttributeEvaluation",
    "AttributePlan",
    "attribute_sample_size",
    "evaluate_attribute",
    "round_up_tenth_pct",
    "upper_deviation_limit",
]

#: The sample-size methods, by name.
METHODS = ("binomial", "hypergeometric", "poisson")

#: Largest sample the search will consider before declaring the plan impractical.
MAX_SAMPLE_SIZE = 2_000_000

#: Population size above which the hypergeometric method uses its binomial limit.
BINOMIAL_LIMIT_POPULATION = 10**9

#: Largest sample an evaluation accepts: counts beyond 2^53 are not exact floats.
MAX_EVALUATED_SAMPLE = 2**53

#: Absolute error allowed for scipy's binomial CDF when proving the limit exact.
_CDF_TOLERANCE = 1e-12
#: Standard deviations around the mode summed by the approximate hypergeometric CDF.
_APPROXIMATE_WIDTH = 60

_FIRST_RUNS = 8
# Points per vectorised call: scipy's hypergeometric CDF costs ~100 us a call plus
# ~5 us a point, the binomial and Poisson ones a few us a call, hence the split.
_FAST_POINTS = 64
_HYPERGEOMETRIC_POINTS = 12
_GUESS_POINTS = 1
#: (k + 1) x n above which the exact integer CDF costs more than scipy's float one.
_EXACT_BUDGET = 1500

#: Given candidate sizes n and their k, return P(X <= k) for each.
_Cdf = Callable[[IntArray, IntArray], FloatArray]

_METHOD_TEXT = {
    "binomial": "binomial distribution (large population), as in the AICPA Audit Sampling "
    "guide tables",
    "hypergeometric": "hypergeometric distribution (finite population)",
    "poisson": "Poisson approximation to the binomial distribution",
}


@dataclass(frozen=True)
class AttributePlan:
    """An attribute sample-size plan with the inputs that produced it.

    ``exceeds_population`` is True when the plan needs more items than the
    population holds (or, for the hypergeometric method, when no sample smaller
    than the whole population meets the plan): test all items instead.
    """

    n: int
    expected_deviations: int
    method: str
    confidence: Decimal
    tolerable_rate: Decimal
    expected_rate: Decimal
    population_size: int | None
    exceeds_population: bool
    #: P(X <= k) at n when the true rate equals the tolerable rate (the achieved
    #: risk of overreliance; below 1 - confidence unless the plan could not be met).
    achieved_risk: float
    #: True when the hypergeometric method was asked for but the population is above
    #: BINOMIAL_LIMIT_POPULATION, so its binomial limit was used (``method`` says so).
    binomial_limit: bool = False
    #: With ``binomial_limit``: True when the margin 2n/N proves the hypergeometric
    #: rule gives the same size.
    limit_is_exact: bool = False

    @property
    def items_to_test(self) -> int:
        """Items to test: n, or the whole population when the plan exceeds it."""
        if self.exceeds_population and self.population_size is not None:
            return self.population_size
        return self.n

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view (decimals as strings)."""
        return {
            "n": self.n,
            "expected_deviations": self.expected_deviations,
            "method": self.method,
            "confidence": str(self.confidence),
            "tolerable_rate": str(self.tolerable_rate),
            "expected_rate": str(self.expected_rate),
            "population_size": self.population_size,
            "exceeds_population": self.exceeds_population,
            "achieved_risk": self.achieved_risk,
            "binomial_limit": self.binomial_limit,
        }

    def rationale(self) -> str:
        """A plain-English explanation of the plan, one statement per line."""
        risk = Decimal(1) - self.confidence
        k = self.expected_deviations
        lines = [
            f"Attribute sample size: {self.n} items ({self.method} method).",
            f"Method: {_METHOD_TEXT[self.method]}.",
            f"Confidence {pct(self.confidence)} (risk of overreliance {pct(risk)}); "
            f"tolerable deviation rate {pct(self.tolerable_rate)}; "
            f"expected deviation rate {pct(self.expected_rate)}.",
            f"Expected deviations k = ceil({self.n} x {pct(self.expected_rate)}) = {k}, "
            "computed in exact decimal arithmetic.",
        ]
        if self.binomial_limit:
            margin = 2 * self.n / (self.population_size or 1)
            lines.append(
                f"The population of {self.population_size} items is above {BINOMIAL_LIMIT_POPULATION:,}, "
                "so the hypergeometric method's binomial limit applies and the binomial method was used: "
                f"sampling without replacement changes each probability by less than 2n/N = {margin:.1e}"
                + (
                    f", nearer to the risk than any probability deciding the size, so {self.n} is "
                    "also the hypergeometric size."
                    if self.limit_is_exact
                    else "."
                )
            )
        if self.method == "hypergeometric" and self.population_size is not None:
            deviants = _deviant_count(self.tolerable_rate, self.population_size)
            lines.append(
                f"At the tolerable rate the population of {self.population_size} items "
                f"would hold ceil({pct(self.tolerable_rate)} x {self.population_size}) = "
                f"{deviants} deviations."
            )
        relation = "at most" if self.method == "hypergeometric" else "below"
        if self.achieved_risk <= float(risk):
            lines.append(
                f"{self.n} is the smallest sample for which the chance of finding {k} or "
                f"fewer deviations, if the true rate were the tolerable rate, is {relation} "
                f"{pct(risk)} (it is {self.achieved_risk:.3%})."
            )
        else:
            lines.append(
                "No sample smaller than the whole population meets the plan, because the "
                "expected deviations already reach the tolerable number."
            )
        if self.exceeds_population:
            lines.append(
                f"The plan needs more items than the population of {self.population_size}: "
                "test all items instead."
            )
        lines.append(
            "If more than "
            f"{k} deviation{'s are' if k != 1 else ' is'} found, the upper deviation limit "
            "will exceed the tolerable rate and the control will not be supported at this "
            "confidence (AU-C 530)."
        )
        return "\n".join(lines)


def _ceil_product(n: int, rate: Decimal) -> int:
    """k = ceil(n x rate), exactly (rate is a finite decimal)."""
    numerator, denominator = rate.as_integer_ratio()
    return -((-n * numerator) // denominator)


def _smallest_n(
    cdf: _Cdf, rate: Decimal, alpha: float, start: int, stop: int, strict: bool, points: int
) -> int:
    """Smallest n in [start, stop] with cdf(n, k(n)) < alpha (<= when not strict); -1 if none.

    For a fixed k the CDF falls as n grows (binomial, Poisson and hypergeometric
    alike), so the sizes sharing one k form a run in which the rule is monotone.
    The first run whose last size meets the rule holds the answer; within it a
    monotone search finds the first size that does.  Runs are tested in
    vectorised blocks.
    """

    def meets(probabilities: FloatArray) -> BoolArray:
        return probabilities < alpha if strict else probabilities <= alpha

    def run_predicate(k: int) -> Predicate:
        def predicate(ns: IntArray) -> BoolArray:
            return meets(cdf(ns, np.full(ns.shape, k, dtype=np.int64)))

        return predicate

    start = max(1, start)
    numerator, denominator = rate.as_integer_ratio()
    if numerator == 0:
        return first_true_upwards(run_predicate(0), start, stop, points)
    k = _ceil_product(start, rate)
    block = _FIRST_RUNS
    while True:
        ks = list(range(k, k + block))
        # The run for k holds the n with ceil(n x rate) = k; it ends at floor(k / rate).
        ends = [min(stop, (kk * denominator) // numerator) for kk in ks]
        ok = meets(cdf(np.array(ends, dtype=np.int64), np.array(ks, dtype=np.int64)))
        hits = np.flatnonzero(ok)
        if hits.size:
            run = int(hits[0])
            run_k = ks[run]
            run_start = max(start, (run_k - 1) * denominator // numerator + 1)
            return first_true(run_predicate(run_k), run_start, ends[run], points)
        if ends[-1] >= stop:
            return -1
        k += block
        block *= 2


def _binomial_cdf(tolerable: float) -> _Cdf:
    def cdf(ns: IntArray, ks: IntArray) -> FloatArray:
        # P(X <= k) is 1 when k >= n (scipy answers nan for k > n).
        inside = ks < ns
        values = special.bdtr(np.where(inside, ks, 0), ns, tolerable)
        return np.where(inside, values, 1.0).astype(np.float64)

    return cdf


def _poisson_cdf(tolerable: float) -> _Cdf:
    def cdf(ns: IntArray, ks: IntArray) -> FloatArray:
        return np.asarray(special.pdtr(ks, ns * tolerable), dtype=np.float64)

    return cdf


def _exact_hypergeometric(k: int, population: int, deviants: int, n: int) -> float | None:
    """HypergeomCDF(k; N, M, n) from exact integer binomial coefficients, rounded once
    to a float; None when that would be slow (scipy is then used).
    """
    good = population - deviants
    lowest = max(0, n - good)
    if k >= min(n, deviants):
        return 1.0
    if k < lowest:
        return 0.0
    if (k + 1 - lowest) * n > _EXACT_BUDGET:
        return None
    favourable = sum(math.comb(deviants, j) * math.comb(good, n - j) for j in range(lowest, k + 1))
    return favourable / math.comb(population, n)


def _hypergeometric_cdf(population: int, deviants: int) -> _Cdf:
    """The hypergeometric CDF: exact integer arithmetic for small samples, scipy's
    (boost) otherwise, with all the scipy points in one vectorised call.
    """

    def cdf(ns: IntArray, ks: IntArray) -> FloatArray:
        values = np.empty(len(ns), dtype=np.float64)
        slow: list[int] = []
        for i, (k, n) in enumerate(zip(ks.tolist(), ns.tolist(), strict=True)):
            value = _exact_hypergeometric(k, population, deviants, n)
            if value is None:
                slow.append(i)
            else:
                values[i] = value
        if slow:
            from scipy import stats  # scipy.stats takes a second to load: only here

            values[slow] = stats.hypergeom.cdf(ks[slow], population, deviants, ns[slow])
        return values

    return cdf


def _deviant_count(tolerable: Decimal, population: int) -> int:
    """ceil(tolerable x N), exactly."""
    return int((tolerable * population).to_integral_value(rounding=ROUND_CEILING))


def _log_no_deviation_chance(population: int, deviants: int, n: int) -> float:
    """log P(X = 0) for a hypergeometric sample of n <= N - M."""
    return (
        math.lgamma(population - deviants + 1)
        - math.lgamma(population - deviants - n + 1)
        - math.lgamma(population + 1)
        + math.lgamma(population - n + 1)
    )


_UNDECIDED = -2
_MAX_EARLIER_RUNS = 24


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _approximate_hypergeometric(k: int, population: int, deviants: int, n: int) -> float:
    """HypergeomCDF(k; N, M, n) from log-gamma in plain floats: accurate to about 1e-9
    and free of per-call overhead.  Used only to guess where an exact answer is.

    Only the terms within ``_APPROXIMATE_WIDTH`` standard deviations below the lower
    of k and the mode are summed: the pmf is log-concave, so the rest add less than
    1e-20 of the sum, and the cost stays bounded for any k.
    """
    good = population - deviants
    lowest = max(0, n - good)
    if k >= min(n, deviants):
        return 1.0
    if k < lowest:
        return 0.0
    share = deviants / population
    spread = math.sqrt(n * share * (1 - share) * (population - n) / max(1, population - 1))
    mode = (n + 1) * (deviants + 1) // (population + 2)
    first = max(lowest, min(k, mode) - math.ceil(_APPROXIMATE_WIDTH * spread) - 10)
    j = np.arange(first, k + 1, dtype=np.float64)
    logs = (
        special.gammaln(deviants + 1.0)
        - special.gammaln(j + 1)
        - special.gammaln(deviants - j + 1)
        + special.gammaln(good + 1.0)
        - special.gammaln(n - j + 1)
        - special.gammaln(good - n + j + 1)
        - _log_choose(population, n)
    )
    return float(np.exp(logs).sum())


def _approximate_hypergeometric_cdf(population: int, deviants: int) -> _Cdf:
    def cdf(ns: IntArray, ks: IntArray) -> FloatArray:
        pairs = zip(ks.tolist(), ns.tolist(), strict=True)
        return np.array([_approximate_hypergeometric(k, population, deviants, n) for k, n in pairs])

    return cdf


def _finite_guess(
    expected: Decimal, alpha: float, size: int, deviants: int, start: int, stop: int
) -> int:
    """Where the hypergeometric size is, found with the approximate CDF.  Only a starting
    point: the answer is always confirmed with scipy's exact CDF.

    Only sizes whose k lies within ``_MAX_EARLIER_RUNS`` runs of the start are tried:
    _window_first could not prove an answer beyond them, and the approximate CDF's cost
    grows with k.  _UNDECIDED when no size in that range meets the rule.
    """
    numerator, denominator = expected.as_integer_ratio()
    if numerator:
        last_k = _ceil_product(start, expected) + _MAX_EARLIER_RUNS
        stop = min(stop, (last_k * denominator) // numerator)
    guess = _smallest_n(
        _approximate_hypergeometric_cdf(size, deviants),
        expected,
        alpha,
        start,
        stop,
        strict=False,
        points=_GUESS_POINTS,
    )
    return _UNDECIDED if guess < 0 else guess


def _window_first(
    cdf: _Cdf, rate: Decimal, alpha: float, start: int, stop: int, guess: int
) -> tuple[int, float]:
    """The smallest n meeting the rule (cdf <= alpha) and its cdf, settled by one
    vectorised call around ``guess``; (_UNDECIDED, nan) when that call cannot prove it.

    The call evaluates the guess and the size before it, together with the last n
    of each earlier run of equal k (a run's last n is its most favourable).  scipy's
    exact CDF costs up to a few hundred microseconds a point, so the call is small.  The
    first passing n in the window is the answer when no earlier run passes and the
    n before it fails (or it opens its run): within a run the rule is monotone.
    """
    low = max(start, guess - 1)
    window = list(range(low, min(stop, guess) + 1))
    numerator, denominator = rate.as_integer_ratio()
    earlier: list[int] = []
    if numerator:
        first_k = _ceil_product(start, rate)
        earlier = [(k * denominator) // numerator for k in range(first_k, _ceil_product(low, rate))]
    undecided = (_UNDECIDED, math.nan)
    if len(earlier) > _MAX_EARLIER_RUNS:
        return undecided
    points = earlier + window
    ks = [_ceil_product(n, rate) for n in points]
    probabilities = cdf(np.array(points, dtype=np.int64), np.array(ks, dtype=np.int64))
    ok = probabilities <= alpha
    if ok[: len(earlier)].any() or not ok[len(earlier) :].any():
        return undecided
    first = int(np.argmax(ok[len(earlier) :]))
    n = window[first]
    opens_run = n == start or _ceil_product(n - 1, rate) < _ceil_product(n, rate)
    if first == 0 and not opens_run:
        return undecided
    return n, float(probabilities[len(earlier) + first])


def _hypergeometric_start(population: int, deviants: int, alpha: float) -> int:
    """A lower bound on the hypergeometric size: smallest n with P(X = 0) <= alpha.

    P(X <= k) >= P(X = 0), so no smaller n can meet the plan.  P(X = 0) falls as n
    grows, so bisection is valid here.
    """
    target = math.log(alpha)
    low, high = 0, population - deviants + 1  # P(X=0) is 1 at n=0 and 0 at high.
    while high - low > 1:
        middle = (low + high) // 2
        if _log_no_deviation_chance(population, deviants, middle) <= target:
            high = middle
        else:
            low = middle
    return high


def _lower_bound(method: str, tolerable: float, alpha: float) -> float:
    """A size below which no plan can meet the rule, from P(X <= k) >= P(X = 0)."""
    if tolerable == 0.0:  # a rate below the smallest float: no practical plan
        return math.inf
    if method == "poisson":
        return -math.log(alpha) / tolerable  # P(X = 0) = exp(-n t)
    if tolerable == 1.0:  # a rate within float rounding of 1: one item decides
        return 0.0
    return math.log(alpha) / math.log1p(-tolerable)  # P(X = 0) = (1 - t)^n


def _limit_is_exact(n: int, rate: Decimal, tolerable: float, alpha: float, population: int) -> bool:
    """Whether the hypergeometric rule provably picks the binomial size n too.

    The hypergeometric CDF H differs from the binomial B by less than 2m/N at a size m
    (module docstring).  The hypergeometric size is n when H(n) <= alpha and H > alpha
    at every smaller size; as H falls with m while k stays put, the smaller sizes are
    settled by the last size of each earlier run of equal k and by n - 1.  So n is
    proven when B is below alpha by the margin at n and above it by the margin there.
    """
    numerator, denominator = rate.as_integer_ratio()
    k_n = _ceil_product(n, rate)
    earlier = [(k * denominator) // numerator for k in range(_ceil_product(1, rate), k_n)] if numerator else []
    sizes = [m for m in [*earlier, n - 1] if m >= 1]
    margin = 2 * n / population + _CDF_TOLERANCE
    ns = np.array([*sizes, n], dtype=np.int64)
    ks = np.array([_ceil_product(m, rate) for m in ns.tolist()], dtype=np.int64)
    probabilities = _binomial_cdf(tolerable)(ns, ks)
    return bool(probabilities[-1] + margin <= alpha and np.all(probabilities[:-1] - margin > alpha))


def _too_many(expected: Decimal) -> InvalidParameterError:
    cause = (
        "the expected rate is too close to the tolerable rate; lower the expected rate or raise the "
        "tolerable rate."
        if expected
        else "the tolerable rate is so low; raise the tolerable rate."
    )
    return InvalidParameterError(f"The plan would need more than {MAX_SAMPLE_SIZE:,} items because {cause}")


def attribute_sample_size(
    confidence: Number,
    tolerable_rate: Number,
    expected_rate: Number = 0,
    population_size: int | None = None,
    method: str = "binomial",
) -> AttributePlan:
    """Attribute sample size for a test of controls (AICPA Audit Sampling guide rule)."""
    conf = confidence_of(confidence)
    tolerable = tolerable_rate_of(tolerable_rate)
    expected = expected_rate_of(expected_rate, tolerable)
    if method not in METHODS:
        raise InvalidParameterError(
            f"The sampling method must be one of {', '.join(METHODS)}; got {method!r}."
        )
    size = None if population_size is None else population_size_of(population_size)
    alpha = float(Decimal(1) - conf)
    tol = float(tolerable)
    risk = math.nan  # P(X <= k) at the answer, when a search already computed it
    if method == "hypergeometric" and size is None:
        raise InvalidParameterError(
            "The hypergeometric method needs the population size; give population_size "
            "or use the binomial method."
        )
    limit = method == "hypergeometric" and size is not None and size > BINOMIAL_LIMIT_POPULATION
    if limit:
        method = "binomial"

    if method == "hypergeometric" and size is not None:
        deviants = _deviant_count(tolerable, size)
        cdf = _hypergeometric_cdf(size, deviants)
        stop = min(size, MAX_SAMPLE_SIZE)
        # Start a little below the bound: lgamma and scipy may differ in the last bits.
        start = max(1, _hypergeometric_start(size, deviants, alpha) - 2)
        if start > stop:
            raise _too_many(expected)
        guess = _finite_guess(expected, alpha, size, deviants, start, stop)
        n, risk = _UNDECIDED, math.nan
        if guess != _UNDECIDED:
            n, risk = _window_first(cdf, expected, alpha, start, stop, guess)
        if n == _UNDECIDED:
            n = _smallest_n(
                cdf, expected, alpha, start, stop, strict=False, points=_HYPERGEOMETRIC_POINTS
            )
        exceeds = n < 0
        if exceeds and stop < size:
            raise _too_many(expected)
        if exceeds:
            n = size
    else:
        cdf = _binomial_cdf(tol) if method == "binomial" else _poisson_cdf(tol)
        bound = _lower_bound(method, tol, alpha)
        n = -1
        if bound < MAX_SAMPLE_SIZE:
            n = _smallest_n(
                cdf,
                expected,
                alpha,
                math.floor(bound) - 1,
                MAX_SAMPLE_SIZE,
                strict=True,
                points=_FAST_POINTS,
            )
        if n < 0:
            raise _too_many(expected)
        exceeds = size is not None and n > size

    k = _ceil_product(n, expected)
    if math.isnan(risk):
        risk = float(cdf(np.array([n], dtype=np.int64), np.array([k], dtype=np.int64))[0])
    return AttributePlan(
        n=n,
        expected_deviations=k,
        method=method,
        confidence=conf,
        tolerable_rate=tolerable,
        expected_rate=expected,
        population_size=size,
        exceeds_population=exceeds,
        achieved_risk=risk,
        binomial_limit=limit,
        limit_is_exact=limit and size is not None and _limit_is_exact(n, expected, tol, alpha, size),
    )


def _check_counts(
    n: object, deviations: object, population_size: object
) -> tuple[int, int, int | None]:
    size = count_of(n, "sample size", minimum=1)
    if size > MAX_EVALUATED_SAMPLE:
        raise InvalidParameterError(
            f"The sample size must be at most {MAX_EVALUATED_SAMPLE:,}; got {shown(size)}."
        )
    found = count_of(deviations, "number of deviations")
    if found > size:
        raise InvalidParameterError(
            f"The number of deviations ({found}) cannot exceed the sample size ({size})."
        )
    population = None if population_size is None else population_size_of(population_size)
    if population is not None and population < size:
        raise InvalidParameterError(
            f"The sample size ({size}) cannot exceed the population size ({population})."
        )
    return size, found, population


def _one(value: int) -> IntArray:
    return np.array([value], dtype=np.int64)


def _hypergeometric_upper(n: int, k: int, confidence: Decimal, population: int) -> float:
    """Exact upper limit on the deviation rate of a finite population.

    The limit is M_U / N where M_U is the largest number of deviant items M in the
    population that is still consistent with finding only k in the sample, i.e.
    HypergeomCDF(k; N, M, n) > 1 - confidence.  The CDF falls as M grows: bisection
    on the approximate CDF finds the boundary, and one exact scipy call at the
    boundary proves it (a vectorised exact search runs if it does not).
    """
    alpha = float(Decimal(1) - confidence)
    # At M = k the CDF is 1 (never rejected); beyond N - n + k it is 0 (always).
    low, high = k, population - n + k + 1
    while high - low > 1:
        middle = (low + high) // 2
        if _approximate_hypergeometric(k, population, middle, n) <= alpha:
            high = middle
        else:
            low = middle
    points = [m for m in (high - 1, high) if m <= population - n + k]
    exact = [_hypergeometric_cdf(population, m)(_one(n), _one(k))[0] for m in points]
    if exact[0] > alpha and (len(points) == 1 or exact[1] <= alpha):
        return (high - 1) / population

    def rejected(deviants: IntArray) -> BoolArray:
        from scipy import stats  # scipy.stats takes a second to load: only here

        probabilities = stats.hypergeom.cdf(k, population, deviants, n)
        return np.asarray(probabilities <= alpha, dtype=np.bool_)

    first_rejected = first_true(rejected, k + 1, population - n + k + 1, _HYPERGEOMETRIC_POINTS)
    return (first_rejected - 1) / population


def upper_deviation_limit(
    n: int, deviations: int, confidence: Number, population_size: int | None = None
) -> float:
    """Exact one-sided upper deviation limit, as a fraction (not rounded).

    Clopper-Pearson beta.ppf(confidence, k + 1, n - k) for a large population (1.0
    when every item deviated); the exact hypergeometric limit when N is given, up to
    BINOMIAL_LIMIT_POPULATION items (above it, its binomial limit).
    """
    conf = confidence_of(confidence)
    size, found, population = _check_counts(n, deviations, population_size)
    if population is not None and population <= BINOMIAL_LIMIT_POPULATION:
        return _hypergeometric_upper(size, found, conf, population)
    if found == size:
        return 1.0
    return float(special.betaincinv(found + 1, size - found, float(conf)))


def round_up_tenth_pct(fraction: float) -> float:
    """A limit as a percentage rounded up to 0.1 point, as the AICPA tables print it.

    Float noise must not round a value up: 11.300000000000001 is 11.3, not 11.4, so
    only an excess above one part in a billion counts.
    """
    percent = Decimal(repr(fraction)) * 100 - Decimal("1e-9")
    if percent <= 0:  # a limit within noise of zero is 0.0%, not -0.0%
        return 0.0
    return float(percent.quantize(Decimal("0.1"), rounding=ROUND_CEILING))


@dataclass(frozen=True)
class AttributeEvaluation:
    """The evaluation of an attribute sample against the tolerable rate."""

    n: int
    deviations: int
    confidence: Decimal
    sample_rate: float
    upper_limit: float
    upper_limit_table_pct: float
    tolerable_rate: Decimal | None
    #: True when the upper limit exceeds the tolerable rate (the control fails the
    #: test); None when no tolerable rate was given.
    exceeds_tolerable: bool | None
    population_size: int | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view (decimals as strings)."""
        return {
            "n": self.n,
            "deviations": self.deviations,
            "confidence": str(self.confidence),
            "sample_rate": self.sample_rate,
            "upper_limit": self.upper_limit,
            "upper_limit_table_pct": self.upper_limit_table_pct,
            "tolerable_rate": None if self.tolerable_rate is None else str(self.tolerable_rate),
            "exceeds_tolerable": self.exceeds_tolerable,
            "population_size": self.population_size,
            "method": self.method,
        }

    def describe(self) -> str:
        """A plain-English account of the evaluation."""
        lines = [
            f"{self.deviations} deviation{'s' if self.deviations != 1 else ''} in a sample of "
            f"{self.n}: sample deviation rate {self.sample_rate:.2%}.",
            f"Upper deviation limit at {pct(self.confidence)} confidence: "
            f"{self.upper_limit_table_pct:.1f}% ({self.method}; exact value "
            f"{self.upper_limit:.4%}).",
        ]
        if self.population_size is not None and self.method == "binomial":
            lines.append(
                f"The population of {self.population_size} items is above "
                f"{BINOMIAL_LIMIT_POPULATION:,}: the binomial limit of the hypergeometric limit was used."
            )
        if self.tolerable_rate is not None:
            if self.exceeds_tolerable:
                lines.append(
                    f"The upper limit exceeds the tolerable rate of {pct(self.tolerable_rate)}: "
                    "the sample does not support the planned reliance on the control."
                )
            else:
                lines.append(
                    f"The upper limit does not exceed the tolerable rate of "
                    f"{pct(self.tolerable_rate)}: the sample supports the planned reliance."
                )
        return "\n".join(lines)


def evaluate_attribute(
    n: int,
    deviations: int,
    confidence: Number,
    tolerable_rate: Number | None = None,
    population_size: int | None = None,
) -> AttributeEvaluation:
    """Evaluate an attribute sample: sample rate, upper limit and the conclusion."""
    conf = confidence_of(confidence)
    size, found, population = _check_counts(n, deviations, population_size)
    tolerable = None if tolerable_rate is None else tolerable_rate_of(tolerable_rate)
    limit = upper_deviation_limit(size, found, conf, population)
    return AttributeEvaluation(
        n=size,
        deviations=found,
        confidence=conf,
        sample_rate=found / size,
        upper_limit=limit,
        upper_limit_table_pct=round_up_tenth_pct(limit),
        tolerable_rate=tolerable,
        exceeds_tolerable=None if tolerable is None else limit > float(tolerable),
        population_size=population,
        method="hypergeometric" if population is not None and population <= BINOMIAL_LIMIT_POPULATION else "binomial",
    )
