"""Sampling benchmarks, reported as ratios to numpy floors measured in the same run.

Run: ``python tests/bench/bench_sampling.py``.  One line per benchmark; the
process exits 0 (the goals are reported, not asserted: timings on shared CI
machines are too noisy to fail a build on).
"""

from __future__ import annotations

import datetime as dt
import gc
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sampling import (  # noqa: E402  (the path above makes a source checkout work)
    Population,
    attribute_sample_size,
    select_pps,
    select_random,
    select_stratified,
)

N = 1_000_000


def best_of(function: Callable[[], object], repeat: int = 7, number: int = 0) -> float:
    """Best mean time per call in seconds over ``repeat`` rounds of ``number`` calls."""
    if number == 0:
        start = time.perf_counter()
        function()
        once = max(time.perf_counter() - start, 1e-7)
        number = max(1, min(10_000, int(0.05 / once)))
    best = float("inf")
    for _ in range(repeat):
        gc.disable()
        start = time.perf_counter()
        for _ in range(number):
            function()
        elapsed = (time.perf_counter() - start) / number
        gc.enable()
        best = min(best, elapsed)
    return best


def report(name: str, ours: float, floor_name: str, floor: float, goal: float) -> None:
    ratio = ours / floor
    print(
        f"{name}: {ours * 1e3:.3f} ms vs floor {floor_name} {floor * 1e3:.3f} ms "
        f"-> ratio {ratio:.2f} (goal <= {goal:.1f})"
    )


def build_population() -> Population:
    rng = np.random.default_rng(2025)
    keys = [f"TX-{i:07d}" for i in range(N)]
    days = np.datetime64("2025-01-01") + rng.integers(0, 365, N)
    cents = rng.integers(100, 5_000_000, N)
    return Population.from_columns(keys, days.astype("datetime64[D]"), cents, amount_scale=2)


def bench_memory() -> None:
    gc.collect()
    tracemalloc.start()
    population = build_population()
    population.digest  # noqa: B018  (computed and cached: part of the footprint)
    select_random(population, 60, seed=1)
    select_stratified(population, 60, "month", seed=1)
    select_pps(population, 200, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"memory 1e6 population (build, digest, random, stratified, pps): traced peak "
        f"{peak / 1e6:.1f} MB (goal < 200 MB); process max RSS {rss:.0f} MB"
    )


def main() -> int:
    bench_selections(build_population())
    bench_plans()
    bench_memory()
    return 0


def bench_selections(population: Population) -> None:
    start = time.perf_counter()
    digest = population.digest
    print(f"digest of 1e6 items: {(time.perf_counter() - start) * 1e3:.0f} ms ({digest[:12]}...)")
    rng = np.random.default_rng(7)
    indices = np.arange(N)

    # Simple random selection: 60 of 1,000,000.
    ours = best_of(lambda: select_random(population, 60, seed=11))
    floor = best_of(lambda: rng.choice(indices, 60, replace=False))
    report("srs 60 of 1e6", ours, "numpy Generator.choice", floor, 2.0)

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

    ours = best_of(lambda: select_stratified(population, 60, "month", seed=11), repeat=5)
    floor = best_of(numpy_stratified, repeat=5)
    report("stratified 60 by month of 1e6", ours, "numpy searchsorted+choice", floor, 3.0)

    # PPS: 200 monetary units on 1,000,000 amounts.
    cents = population.amount_units
    assert cents is not None

    def numpy_pps() -> object:
        cumulative = np.cumsum(cents)
        step = cumulative[-1] / 200
        points = rng.uniform(0, step) + step * np.arange(200)
        return np.searchsorted(cumulative, points, side="right")

    ours = best_of(lambda: select_pps(population, 200, seed=11), repeat=5)
    floor = best_of(numpy_pps, repeat=5)
    report("pps 200 of 1e6 amounts", ours, "numpy cumsum+searchsorted", floor, 3.0)


def bench_plans() -> None:
    # Plans: one typical plan, and whole AICPA-style tables.
    one = best_of(lambda: attribute_sample_size("0.95", "0.05", "0.01"))
    print(f"attribute plan 95%/5%/1%: {one * 1e3:.3f} ms (goal < 1 ms)")
    one = best_of(lambda: attribute_sample_size("0.95", "0.04", "0.01", 1000, "hypergeometric"))
    print(f"attribute plan hypergeometric N=1000 95%/4%/1%: {one * 1e3:.3f} ms (goal < 1 ms)")

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


if __name__ == "__main__":
    raise SystemExit(main())
