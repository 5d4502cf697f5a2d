"""Sampling benchmarks, reported as ratios to numpy floors measured in the same run.

Run: ``python tests/bench/bench_sampling.py``.  One line per benchmark; the
process exits 0: the goals are reported, not asserted, because timings on shared
machines are too noisy to fail a build on.  Each comparison alternates rounds of
ours and of the floor and keeps the best round of each, so a burst of load on
the machine hits both sides alike.
"""

from __future__ import annotations

import datetime as dt
import gc
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sampling import (  # noqa: E402  (the path above makes a source checkout work)
    Population,
    attribute_sample_size,
    evaluate_attribute,
    mus_sample_size,
    select_pps,
    select_random,
    select_stratified,
)

N = 1_000_000


def _per_call(function: Callable[[], object], number: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            function()
        return (time.perf_counter() - start) / number
    finally:
        gc.enable()


def _calls_for(function: Callable[[], object], seconds: float = 0.02) -> int:
    once = max(_per_call(function, 1), 1e-7)
    return max(1, min(20_000, int(seconds / once)))


def best(function: Callable[[], object], rounds: int = 9) -> float:
    """Best mean time per call, in seconds."""
    number = _calls_for(function)
    return min(_per_call(function, number) for _ in range(rounds))


def compare(
    ours: Callable[[], object], floor: Callable[[], object], rounds: int = 15
) -> tuple[float, float]:
    """Best mean time per call of each, measured in alternating rounds."""
    ours_number, floor_number = _calls_for(ours), _calls_for(floor)
    ours_best = floor_best = float("inf")
    for _ in range(rounds):
        ours_best = min(ours_best, _per_call(ours, ours_number))
        floor_best = min(floor_best, _per_call(floor, floor_number))
    return ours_best, floor_best


def report(name: str, times: tuple[float, float], floor_name: str, goal: float) -> None:
    ours, floor = times
    print(
        f"{name}: {ours * 1e3:.3f} ms vs floor {floor_name} {floor * 1e3:.3f} ms "
        f"-> ratio {ours / floor:.2f} (goal <= {goal:.1f})"
    )


def build_population() -> Population:
    rng = np.random.default_rng(2025)
    keys = [f"TX-{i:07d}" for i in range(N)]
    days = np.datetime64("2025-01-01") + rng.integers(0, 365, N)
    cents = rng.integers(100, 5_000_000, N)
    return Population.from_columns(keys, days.astype("datetime64[D]"), cents, amount_scale=2)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def bench_memory_and_digest() -> Population:
    """Run first, so the peak RSS of the process is this population's footprint."""
    gc.collect()
    baseline = _rss_mb()
    start = time.perf_counter()
    population = build_population()
    built = time.perf_counter() - start
    start = time.perf_counter()
    digest = population.digest
    hashed = time.perf_counter() - start
    select_random(population, 60, seed=1)
    select_stratified(population, 60, "month", seed=1)
    select_pps(population, 200, seed=1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"build 1e6 population from columns: {built * 1e3:.0f} ms")
    print(f"digest of 1e6 items: {hashed * 1e3:.0f} ms ({digest[:12]}...)")
    print(
        f"memory for a 1e6 population (its keys, build, digest, random, stratified and PPS "
        f"selections): peak {peak - baseline:.0f} MB above the {baseline:.0f} MB after imports "
        "(goal < 200 MB)"
    )
    return population


def bench_selections(population: Population) -> None:
    rng = np.random.default_rng(7)
    items = np.arange(N)

    # Simple random selection: 60 of 1,000,000 (the digest is cached on the population).
    report(
        "srs 60 of 1e6",
        compare(
            lambda: select_random(population, 60, seed=11),
            lambda: rng.choice(items, 60, replace=False),
        ),
        "numpy Generator.choice on the 1e6 array (60, replace=False)",
        2.0,
    )

    # Stratified by month: 60 over the 12 months of 2025.
    days = population.day_numbers
    bounds = np.array(
        [(dt.date(2025, m, 1) - dt.date(1970, 1, 1)).days for m in range(1, 13)], dtype=np.int64
    )

    def numpy_stratified() -> list[int]:
        month = np.searchsorted(bounds, days, side="right") - 1
        picks: list[int] = []
        for m in range(12):
            members = np.flatnonzero(month == m)
            picks.extend(rng.choice(members, 5, replace=False).tolist())
        return picks

    report(
        "stratified 60 by month of 1e6",
        compare(lambda: select_stratified(population, 60, "month", seed=11), numpy_stratified, 7),
        "numpy searchsorted + flatnonzero + choice per month",
        3.0,
    )

    # PPS: 200 monetary units on 1,000,000 amounts.
    cents = population.amount_units
    assert cents is not None

    def numpy_pps() -> object:
        cumulative = np.cumsum(cents)
        step = cumulative[-1] / 200
        points = rng.uniform(0, step) + step * np.arange(200)
        return np.searchsorted(cumulative, points, side="right")

    report(
        "pps 200 of 1e6 amounts",
        compare(lambda: select_pps(population, 200, seed=11), numpy_pps, 7),
        "numpy cumsum + searchsorted",
        3.0,
    )


def bench_plans() -> None:
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "attribute plan 95%/5%/1% (binomial)",
            lambda: attribute_sample_size("0.95", "0.05", "0.01"),
        ),
        (
            "attribute plan N=1000 95%/4%/1% (hypergeometric)",
            lambda: attribute_sample_size("0.95", "0.04", "0.01", 1000, "hypergeometric"),
        ),
        (
            "attribute plan N=100,000 95%/5%/1% (hypergeometric)",
            lambda: attribute_sample_size("0.95", "0.05", "0.01", 100_000, "hypergeometric"),
        ),
        (
            "attribute plan 95%/5%/1% (poisson)",
            lambda: attribute_sample_size("0.95", "0.05", "0.01", method="poisson"),
        ),
        ("upper limit n=60 k=1 95%", lambda: evaluate_attribute(60, 1, "0.95")),
        (
            "upper limit n=60 k=1 95% N=1000",
            lambda: evaluate_attribute(60, 1, "0.95", population_size=1000),
        ),
        (
            "MUS plan 95% B=1e6 T=5e4 E=1e4",
            lambda: mus_sample_size("0.95", 1_000_000, 50_000, 10_000),
        ),
    ]
    for name, function in cases:
        print(f"{name}: {best(function) * 1e3:.3f} ms (goal < 1 ms)")

    def tables() -> int:
        cells = 0
        for confidence in ("0.90", "0.95"):
            for tolerable in range(2, 21):
                for quarter_points in range(0, 4 * tolerable // 2 + 1):
                    expected = f"{quarter_points / 400:.4f}"
                    attribute_sample_size(confidence, f"{tolerable / 100:.2f}", expected)
                    cells += 1
        return cells

    start = time.perf_counter()
    cells = tables()
    elapsed = time.perf_counter() - start
    print(
        f"AICPA tables (90% and 95%, tolerable 2-20%, expected 0 to half the tolerable rate "
        f"in 0.25% steps, {cells} cells): {elapsed:.3f} s (goal < 1 s)"
    )


def main() -> int:
    population = bench_memory_and_digest()
    bench_selections(population)
    bench_plans()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
