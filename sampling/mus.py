"""Monetary unit sampling (MUS, probability proportional to size).

Sizes and bounds follow the AICPA Audit Sampling guide:

* Reliability factors F_k = gamma.ppf(confidence, k + 1), the Poisson upper limit
  on the number of misstatements when k were found (95%: 3.00, 4.75, 6.30 ...).
* Sample size: the smallest n with gamma.ppf(confidence, 1 + n x E / B) / n < T / B,
  where B is the book value, T the tolerable and E the expected misstatement (the
  expected error count n x E / B is not rounded).
* Evaluation: the Stringer bound with tainting.  With the ranked taints
  t_1 >= t_2 >= ... the upper misstatement limit is
  U_0 + sum_i (U_i - U_(i-1)) x t_i, where U_i is the upper limit on the
  misstatement rate for i misstatements: F_i / n in the Poisson (AICPA factor)
  form, or the exact binomial (Clopper-Pearson) limit beta.ppf(conf, i + 1, n - i).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from scipy import special

from sampling._inputs import Number, confidence_of, count_of, money_of, pct, to_decimal
from sampling._search import BoolArray, IntArray, first_true_upwards
from sampling.errors import InvalidParameterError

__all__ = [
    "MusEvaluation",
    "MusPlan",
    "mus_evaluate",
    "mus_sample_size",
    "reliability_factor",
    "stringer_bound",
]

STRINGER_METHODS = ("binomial", "poisson")

#: Largest MUS sample the search will consider.
MAX_SAMPLE_SIZE = 2_000_000


def reliability_factor(errors: int, confidence: Number) -> float:
    """Poisson reliability factor F_k = gamma.ppf(confidence, k + 1), exact (not rounded)."""
    count = count_of(errors, "number of misstatements")
    conf = confidence_of(confidence)
    return float(special.gammaincinv(count + 1, float(conf)))


@dataclass(frozen=True)
class MusPlan:
    """A monetary unit sample-size plan and its sampling interval."""

    n: int
    interval: float
    confidence: Decimal
    book_value: Decimal
    tolerable_misstatement: Decimal
    expected_misstatement: Decimal
    #: gamma.ppf(confidence, 1 + n x E / B): the factor the size was solved with.
    factor: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view (decimals as strings)."""
        return {
            "n": self.n,
            "interval": self.interval,
            "confidence": str(self.confidence),
            "book_value": str(self.book_value),
            "tolerable_misstatement": str(self.tolerable_misstatement),
            "expected_misstatement": str(self.expected_misstatement),
            "factor": self.factor,
        }

    def rationale(self) -> str:
        """A plain-English explanation of the plan, one statement per line."""
        expected_errors = self.n * self.expected_misstatement / self.book_value
        return "\n".join(
            [
                f"Monetary unit sample size: {self.n} sampling units; sampling interval "
                f"{self.interval:,.2f}.",
                f"Confidence {pct(self.confidence)}; book value {self.book_value:,}; "
                f"tolerable misstatement {self.tolerable_misstatement:,}; expected "
                f"misstatement {self.expected_misstatement:,}.",
                f"Expected misstatements in the sample n x E / B = "
                f"{float(expected_errors):.4f} (not rounded).",
                f"{self.n} is the smallest n for which gamma.ppf({pct(self.confidence)}, "
                f"1 + n x E / B) / n = {self.factor:.4f} / {self.n} is below T / B = "
                f"{float(self.tolerable_misstatement / self.book_value):.6f}.",
                "Items of at least the interval are selected with certainty and tested in "
                "full (AICPA Audit Sampling guide, AU-C 530).",
            ]
        )


def mus_sample_size(
    confidence: Number,
    book_value: Number,
    tolerable_misstatement: Number,
    expected_misstatement: Number = 0,
) -> MusPlan:
    """Monetary unit sample size and sampling interval (gamma / Poisson rule)."""
    conf = confidence_of(confidence)
    book = money_of(book_value, "book value", positive=True)
    tolerable = money_of(tolerable_misstatement, "tolerable misstatement", positive=True)
    expected = money_of(expected_misstatement, "expected misstatement")
    if expected >= tolerable:
        raise InvalidParameterError(
            f"The expected misstatement ({expected:,}) must be lower than the tolerable "
            f"misstatement ({tolerable:,}); lower the expectation or raise the tolerable amount."
        )
    level = float(conf)
    rate = float(expected / book)
    limit = float(tolerable / book)

    def meets(ns: IntArray) -> BoolArray:
        # gamma.ppf(c, 1 + n r) / n falls as n grows (the quantile is concave in its
        # shape), so the rule is monotone in n and a bracketing search is exact.
        factors = special.gammaincinv(1.0 + ns * rate, level)
        return np.asarray(factors / ns < limit, dtype=np.bool_)

    # gamma.ppf(c, a) >= gamma.ppf(c, 1) = F_0, so n must exceed F_0 x B / T.
    start = max(1, math.floor(float(special.gammaincinv(1.0, level)) / limit) - 1)
    n = first_true_upwards(meets, start, MAX_SAMPLE_SIZE, 64)
    if n < 0:
        raise InvalidParameterError(
            f"The plan would need more than {MAX_SAMPLE_SIZE:,} sampling units because the "
            "expected misstatement is too close to the tolerable misstatement; lower the "
            "expectation or raise the tolerable amount."
        )
    return MusPlan(
        n=n,
        interval=float(book / n),
        confidence=conf,
        book_value=book,
        tolerable_misstatement=tolerable,
        expected_misstatement=expected,
        factor=float(special.gammaincinv(1.0 + n * rate, level)),
    )


def _upper_rates(n: int, count: int, confidence: Decimal, method: str) -> list[float]:
    """U_0 .. U_count: upper limits on the misstatement rate for 0..count misstatements."""
    level = float(confidence)
    errors = np.arange(count + 1, dtype=np.float64)
    if method == "poisson":
        return [float(x) / n for x in special.gammaincinv(errors + 1.0, level)]
    return [
        float(special.betaincinv(i + 1, n - i, level)) if i < n else 1.0 for i in range(count + 1)
    ]


def _taints_of(taints: Iterable[Number]) -> list[float]:
    values = []
    for taint in taints:
        value = to_decimal(taint, "taint")
        if value < 0:
            raise InvalidParameterError(
                f"Taints must not be negative (understatements are evaluated separately); "
                f"got {taint!r}."
            )
        values.append(float(value))
    values.sort(reverse=True)
    return values


def _check_method(method: str) -> None:
    if method not in STRINGER_METHODS:
        raise InvalidParameterError(
            f"The bound method must be 'binomial' or 'poisson'; got {method!r}."
        )


def stringer_bound(
    n: int, taints: Iterable[Number], confidence: Number, method: str = "binomial"
) -> float:
    """Stringer upper misstatement limit as a fraction of the book value.

    ``taints`` are the misstatement proportions (book - audited) / book of the
    misstated sample items; they are ranked largest first as the bound requires.
    """
    size = count_of(n, "sample size", minimum=1)
    conf = confidence_of(confidence)
    _check_method(method)
    ranked = _taints_of(taints)
    if len(ranked) > size:
        raise InvalidParameterError(
            f"There are {len(ranked)} taints but only {size} sample items; give one taint "
            "per misstated item."
        )
    limits = _upper_rates(size, len(ranked), conf, method)
    bound = limits[0]
    for i, taint in enumerate(ranked, start=1):
        bound += (limits[i] - limits[i - 1]) * taint
    return bound


@dataclass(frozen=True)
class MusEvaluation:
    """The evaluation of a monetary unit sample, in money.

    ``upper_misstatement_limit`` = basic precision + projected misstatement of the
    sampled items + incremental allowance + certainty-item overstatement.
    Understatements are projected (they reduce ``projected_misstatement``) but are
    not bounded here.
    """

    confidence: Decimal
    interval: float
    n: int
    method: str
    taints: tuple[float, ...]
    basic_precision: float
    projected_overstatement: float
    incremental_allowance: float
    certainty_overstatement: float
    #: Most likely misstatement: projected taints (over minus under) plus the exact
    #: misstatement found in certainty items.
    projected_misstatement: float
    upper_misstatement_limit: float
    tolerable_misstatement: Decimal | None
    exceeds_tolerable: bool | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view."""
        return {
            "confidence": str(self.confidence),
            "interval": self.interval,
            "n": self.n,
            "method": self.method,
            "taints": list(self.taints),
            "basic_precision": self.basic_precision,
            "projected_overstatement": self.projected_overstatement,
            "incremental_allowance": self.incremental_allowance,
            "certainty_overstatement": self.certainty_overstatement,
            "projected_misstatement": self.projected_misstatement,
            "upper_misstatement_limit": self.upper_misstatement_limit,
            "tolerable_misstatement": None
            if self.tolerable_misstatement is None
            else str(self.tolerable_misstatement),
            "exceeds_tolerable": self.exceeds_tolerable,
        }

    def describe(self) -> str:
        """A plain-English account of the evaluation."""
        lines = [
            f"Monetary unit sample of {self.n} units, interval {self.interval:,.2f}, "
            f"{len(self.taints)} misstated sampled item"
            f"{'s' if len(self.taints) != 1 else ''} ({self.method} Stringer bound).",
            f"Basic precision {self.basic_precision:,.2f}; projected overstatement "
            f"{self.projected_overstatement:,.2f}; incremental allowance "
            f"{self.incremental_allowance:,.2f}; certainty items "
            f"{self.certainty_overstatement:,.2f}.",
            f"Projected misstatement {self.projected_misstatement:,.2f}; upper misstatement "
            f"limit at {pct(self.confidence)} confidence {self.upper_misstatement_limit:,.2f}.",
        ]
        if self.tolerable_misstatement is not None:
            verdict = "exceeds" if self.exceeds_tolerable else "does not exceed"
            lines.append(
                f"The upper limit {verdict} the tolerable misstatement of "
                f"{self.tolerable_misstatement:,}."
            )
        return "\n".join(lines)


def mus_evaluate(
    confidence: Number,
    interval: Number,
    items: Iterable[Sequence[Number]],
    method: str = "poisson",
    sample_size: int | None = None,
    tolerable_misstatement: Number | None = None,
) -> MusEvaluation:
    """Evaluate a monetary unit sample from (book, audited) pairs of the tested items.

    Items whose book value is at least the interval are certainty items: their
    misstatement is added as found, not projected.  The other items are the
    statistical sample; each misstatement is projected by its taint x interval.
    ``sample_size`` defaults to the number of non-certainty items.
    """
    conf = confidence_of(confidence)
    step = money_of(interval, "sampling interval", positive=True)
    _check_method(method)
    tolerable = (
        None
        if tolerable_misstatement is None
        else money_of(tolerable_misstatement, "tolerable misstatement", positive=True)
    )
    taints: list[Decimal] = []
    understatement = Decimal(0)
    certainty_over = Decimal(0)
    certainty_net = Decimal(0)
    sampled = 0
    for pair in items:
        if len(pair) != 2:
            raise InvalidParameterError(
                f"Each tested item must be a (book value, audited value) pair; got {pair!r}."
            )
        book = to_decimal(pair[0], "book value")
        audited = to_decimal(pair[1], "audited value")
        difference = book - audited
        if book >= step:
            certainty_net += difference
            certainty_over += max(difference, Decimal(0))
            continue
        if book <= 0:
            raise InvalidParameterError(
                f"A sampled item has a book value of {book}; monetary unit samples hold "
                "only items with positive book values."
            )
        sampled += 1
        taint = difference / book
        if taint > 0:
            taints.append(taint)
        else:
            understatement += -taint
    n = sampled if sample_size is None else count_of(sample_size, "sample size", minimum=1)
    if n < 1:
        raise InvalidParameterError(
            "The evaluation needs at least one sampled (non-certainty) item or an explicit "
            "sample_size."
        )
    bound_fraction = stringer_bound(n, taints, conf, method)
    money = float(step)
    # In money: Poisson U_i = F_i / n, so n x interval x U_i = interval x F_i.
    scale = n * money
    basic = _upper_rates(n, 0, conf, method)[0] * scale
    projected_over = float(sum(taints, Decimal(0))) * money
    upper_sampled = bound_fraction * scale
    upper = upper_sampled + float(certainty_over)
    projected = projected_over - float(understatement) * money + float(certainty_net)
    ranked = tuple(sorted((float(t) for t in taints), reverse=True))
    return MusEvaluation(
        confidence=conf,
        interval=money,
        n=n,
        method=method,
        taints=ranked,
        basic_precision=basic,
        projected_overstatement=projected_over,
        incremental_allowance=upper_sampled - basic - projected_over,
        certainty_overstatement=float(certainty_over),
        projected_misstatement=projected,
        upper_misstatement_limit=upper,
        tolerable_misstatement=tolerable,
        exceeds_tolerable=None if tolerable is None else upper > float(tolerable),
    )
