"""Searches over integers for the first point where a monotone rule holds.

Used by the sample-size rules: each round evaluates many candidate points in one
vectorised scipy call, which is far cheaper than one call per candidate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A rule evaluated at many integer points at once.
Predicate = Callable[[IntArray], BoolArray]

_FIRST_STEP = 4


def first_true(predicate: Predicate, low: int, high: int, points_per_round: int) -> int:
    """Smallest x in [low, high] where a monotone predicate holds; it must hold at high.

    Each round evaluates several points at once (one vectorised call), so a range of
    a million is settled in a handful of calls rather than twenty scalar ones.
    """
    while high > low:
        count = min(points_per_round, high - low)
        if count == 1:  # plain bisection, for predicates with no per-call overhead
            points = np.array([(low + high - 1) // 2], dtype=np.int64)
        else:
            points = np.unique(np.linspace(low, high - 1, num=count).round().astype(np.int64))
        hits = np.flatnonzero(predicate(points))
        if hits.size:
            first = int(hits[0])
            high = int(points[first])
            if first:
                low = int(points[first - 1]) + 1
        else:
            low = int(points[-1]) + 1
    return high


def first_true_upwards(predicate: Predicate, low: int, stop: int, points: int) -> int:
    """Smallest x in [low, stop] where a monotone predicate holds; -1 when none does."""
    step = _FIRST_STEP
    while True:
        high = min(stop, low + step)
        if bool(predicate(np.array([high], dtype=np.int64))[0]):
            return first_true(predicate, low, high, points)
        if high == stop:
            return -1
        low = high + 1
        step *= 4
