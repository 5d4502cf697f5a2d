"""Bench: fuzz the population file readers for longer than make test does.

Every input must end in rows or in a typed error (one sentence), and the run's
peak memory must stay bounded.  The hypothesis strategies of tests/integration/
workpapers/test_fuzz_readers.py draw ``FUZZ_EXAMPLES`` fresh (not derandomized)
examples for each reader; with atheris installed (``pip install atheris``) the CSV
reader is then also fuzzed coverage-guided for ``FUZZ_SECONDS`` (libFuzzer ends the
process, so that comes last).  Prints the inputs tried and the failures found (the
goal is 0) and exits non-zero when there are any.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.integration.workpapers import test_fuzz_readers as fuzz  # noqa: E402
from workpapers.population_file import ColumnMapping  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3000"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "60"))


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.tried = 0
        self.failures: list[str] = []

    def run(self, action: Any, *args: Any) -> None:
        self.tried += 1
        try:
            action(*args)
        except Exception:  # a failure is reported, and the fuzzing goes on
            self.failures.append(traceback.format_exc(limit=-6))
        self.seconds = time.perf_counter() - self.started

    def report(self) -> None:
        print(f"{self.name}: {self.tried:,} inputs tried in {self.seconds:.0f} s, "
              f"{len(self.failures)} failures (goal 0)")  # fmt: skip
        for failure in self.failures[:3]:
            print(failure)


def with_hypothesis(tally: Tally, strategy: Any, action: Any) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=False,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def examples(args: tuple[Any, ...]) -> None:
        tally.run(action, *args)

    examples()


def with_atheris(tally: Tally, path: Path) -> None:
    """Fuzz the CSV reader coverage-guided; libFuzzer exits the process when done, and
    ``report`` (registered with atexit) prints the tally then."""
    import atheris  # type: ignore[import-not-found]

    def one(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        mapping = fuzz.MAPPINGS[provider.ConsumeIntInRange(0, len(fuzz.MAPPINGS) - 1)]
        tally.run(fuzz.fuzz_csv, provider.ConsumeBytes(4096), mapping, path)

    atheris.Setup([sys.argv[0], "-max_len=4096", f"-max_total_time={int(SECONDS)}"], one)
    atheris.Fuzz()


def main() -> None:
    tallies: list[Tally] = []

    def report() -> None:
        for tally in tallies:
            tally.report()
        failures = sum(len(tally.failures) for tally in tallies)
        print(f"Fuzzed {sum(tally.tried for tally in tallies):,} inputs: {failures} failures")
        if failures:
            os._exit(1)

    atexit.register(report)
    with fuzz.bounded_memory():
        tallies.append(Tally("CSV (hypothesis)"))
        with fuzz.scratch(".csv") as path:
            strategy = st.tuples(fuzz.csv_bytes, st.sampled_from(fuzz.MAPPINGS), st.just(path))
            with_hypothesis(tallies[-1], strategy, fuzz.fuzz_csv)
        tallies.append(Tally("XLSX (hypothesis)"))
        with fuzz.small_limits(), fuzz.scratch(".xlsx") as path:
            mappings: st.SearchStrategy[ColumnMapping] = st.sampled_from(fuzz.MAPPINGS[:2])
            strategy = st.tuples(fuzz.sheets, fuzz.shared, fuzz.damage, mappings, st.just(path))
            with_hypothesis(tallies[-1], strategy, fuzz.fuzz_xlsx)
    try:
        import atheris  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("atheris is not installed: coverage-guided CSV fuzzing skipped (pip install atheris)")
        return
    tallies.append(Tally("CSV (atheris)"))
    with fuzz.scratch(".csv") as path:
        with_atheris(tallies[-1], path)


if __name__ == "__main__":
    main()
