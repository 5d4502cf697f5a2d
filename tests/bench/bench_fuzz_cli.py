"""Bench: fuzz the command line for longer than make test does.

The strategies and the check of tests/integration/core/test_fuzz_cli.py draw
``FUZZ_EXAMPLES`` fresh (not derandomized) argument lists for every registered
command and run each through ``auditdesk.cli.main`` against a demo store: each must
end in exit 0, a non-zero exit with one sentence, or argparse's usage error, with
nothing raw from the data reaching the terminal. Prints the inputs tried and the
failures found (the goal is 0) and exits non-zero when there are any. Everything
runs in a temporary folder with an in-memory keyring: the user's store, settings
and keyring are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def _isolate(home: Path) -> None:
    for name, folder in [
        ("AUDITDESK_DATA_DIR", "data"),
        ("AUDITDESK_CONFIG_DIR", "config"),
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_CACHE_HOME", "xdg-cache"),
    ]:
        os.environ[name] = str(home / folder)
    for name in ("AUDITDESK_DB", "AUDITDESK_USER", "AUDITDESK_SIGNING_PASSPHRASE", "AUDITDESK_STORE_KEY"):
        os.environ.pop(name, None)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="auditdesk-fuzz-cli-") as folder:
        home = Path(folder)
        _isolate(home)
        import keyring

        from tests.conftest import MemoryKeyring
        from tests.integration.core import test_fuzz_cli as fuzz

        keyring.set_keyring(MemoryKeyring())
        db = str(home / "demo.sqlite")
        code, _, err = fuzz._capture("--db", db, "demo")
        if code:
            print(f"The demo store could not be built: {err.strip()}")
            return 1
        arena = fuzz.make_arena(home, db)
        os.chdir(home)  # files the commands write (-o NAME) land in the temporary folder
        tried = 0
        failures: list[str] = []
        exits = {"0": 0, "refused": 0, "usage": 0}

        def run(argv: list[str]) -> None:
            nonlocal tried
            tried += 1
            try:
                code = fuzz.check(argv)
            except Exception:  # a failure is reported, and the fuzzing goes on
                failures.append(f"{argv!r}\n{traceback.format_exc(limit=4)}")
                return
            exits["usage" if code is None else "0" if code == 0 else "refused"] += 1

        started = time.perf_counter()
        for name in sorted(fuzz.COMMANDS):
            fuzz.fuzz_command(name, arena, EXAMPLES, run, derandomize=False)
        seconds = time.perf_counter() - started
        print(
            f"CLI fuzz: {tried:,} inputs tried over {len(fuzz.COMMANDS)} commands in {seconds:.0f} s "
            f"(exit 0: {exits['0']}, refused in one sentence: {exits['refused']}, usage: {exits['usage']}); "
            f"{len(failures)} failures (goal 0)"
        )
        for failure in failures[:5]:
            print(failure)
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
