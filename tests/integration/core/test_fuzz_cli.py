"""Fuzzing the command line: random arguments for every registered command.

Each argument list runs through ``auditdesk.cli.main`` against a demo store. It must
end in exit 0, or in a non-zero exit with one line on stderr (one sentence), or in
argparse's own usage error (SystemExit 2): never an uncaught exception. The
strategies draw from each command's own options and choices, mixed with hostile
values (ids past 64 bits, NaN, infinities, exponents, control characters, odd
files), so most lists get past argparse into the command itself.

``tests/bench/bench_fuzz_cli.py`` runs the same checks for longer.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditdesk.cli import build_parser, main

BIG = "99999999999999999999999"
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")
HOSTILE_TEXT = "\x1b[2J\x1b]0;x\x07\r\u202eevil"

NUMBERS = [
    "0", "1", "2", "3", "5", "-1", "59", "1200", BIG, str(10**30), str(2**63), "1e23", "1e18", "1e15", "1.2e3",
    "1.5", "1e-3", "nan", "inf", "-inf", "1e999999999", "0x10", "1_000", "\u00b2", "9" * 1200,
]  # fmt: skip
RATES = ["0.95", "0.9", "0.99", "0.05", "0.1", "0.01", "0", "1", "1.5", "5%", "-0.1", "0.999999999999999999999999"]
TEXTS = [
    "DEMO", "CM-01", "CM-02", "OP-01", "LA-03", "AV-02", "A", "B", "PR", "DW", "TA", "", " ", "-", HOSTILE_TEXT,
    "x" * 300, "2025-06-30", "2025-13-45", "CC6.1", "security", "availability", "T00001",
]  # fmt: skip


@dataclass(frozen=True)
class Arena:
    """The store and the files an argument list may name."""

    db: str
    files: tuple[str, ...]


def make_arena(folder: Path, db: str) -> Arena:
    """Files to offer as arguments: a good population CSV, a text file, a missing path, a folder."""
    period = json.loads(_capture("--db", db, "--json", "engagements")[1])[0]
    start = period["period_start"]
    csv = folder / "population.csv"
    rows = [f"T{i:05d},{start},{100 + i}.50" for i in range(40)]
    csv.write_text("key,date,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
    text = folder / "notes.txt"
    text.write_text("not a spreadsheet\n", encoding="utf-8")
    files = (str(csv), str(text), str(folder / "missing.csv"), str(folder), str(folder / "out.xlsx"))
    return Arena(db, files + (str(folder / "out.pdf"),))


def _capture(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


COMMANDS = _subcommands(build_parser())


#: Likely values by an argument's name, so that most lists reach past the lookups.
HINTS = {
    "engagement": ["DEMO"],
    "control": ["CM-01", "CM-02", "OP-01", "AV-02", "LA-03"],
    "by": ["CM-01", "AV-02"],
    "sample": ["1", "2", "3", "5"],
    "population": ["1", "2", "3", "1200", "1e6"],
    "exception": ["1", "2", "3"],
    "attribute": ["A", "B"],
    "confidence": ["0.95", "0.9"],
    "tolerable": ["0.05", "0.1"],
    "expected": ["0", "0.01"],
    "n": ["60", "25"],
    "deviations": ["0", "1"],
    "size": ["5", "25"],
    "seed": ["17", "0"],
    "initials": ["ZQ", "PR"],
}


def _value(action: argparse.Action, arena: Arena) -> st.SearchStrategy[str]:
    pool = st.sampled_from(NUMBERS + RATES + TEXTS + list(arena.files)) | st.text(max_size=12)
    likely = [str(c) for c in action.choices] if action.choices else HINTS.get(action.dest, [])
    if not likely:
        return pool
    return st.integers(0, 9).flatmap(lambda i: st.sampled_from(likely) if i < 7 else pool)  # mostly likely


@st.composite
def _arguments(draw: Callable[..., Any], parser: argparse.ArgumentParser, arena: Arena) -> list[str]:
    argv: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            name = draw(st.sampled_from(sorted(action.choices)))
            argv += [name, *draw(_arguments(action.choices[name], arena))]
        elif action.option_strings:
            # Required options mostly given (else argparse stops the list), others now and then.
            if draw(st.integers(0, 19)) >= (19 if action.required else 8):
                continue
            argv.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs != 0:
                argv.append(draw(_value(action, arena)))
        elif draw(st.integers(0, 19)) > 0:  # a positional, now and then left out
            argv.append(draw(_value(action, arena)))
    if draw(st.integers(0, 19)) == 0:  # a stray extra argument
        argv.insert(draw(st.integers(0, len(argv))), draw(_value(parser._actions[0], arena)))
    return argv


@st.composite
def argument_lists(draw: Callable[..., Any], arena: Arena, name: str | None = None) -> list[str]:
    """A whole command line: global options, a registered command (or ``name``) and its arguments."""
    name = name or draw(st.sampled_from(sorted(COMMANDS)))
    head = ["--db", arena.db]
    if draw(st.booleans()):
        head += ["--as", draw(st.sampled_from(["PR", "DW", "TA", "HB", "ML", "ZZ", "", HOSTILE_TEXT]))]
    if draw(st.booleans()):
        head.append("--json")
    return [*head, name, *draw(_arguments(COMMANDS[name], arena))]


def check(argv: list[str]) -> int | None:
    """Run one command line; assert how it ended. The exit code, or None for argparse's exit."""
    out, err = io.StringIO(), io.StringIO()
    exited: object = None
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):  # argparse writes there
            code = main(argv, out=out, err=err)
    except SystemExit as exc:  # argparse: a usage error (2)
        exited = exc.code
    if exited is not None:
        assert exited == 2, f"{argv!r} exited {exited!r}"
        assert "error: " in err.getvalue(), err.getvalue()  # argparse echoes what was typed, as typed
        return None
    message = err.getvalue()
    assert isinstance(code, int), f"{argv!r} returned {code!r}"
    assert "Traceback" not in message, f"{argv!r}: {message}"
    # Nothing from the data reaches the terminal raw (JSON escapes control characters itself).
    assert not _CONTROLS.search(message), f"{argv!r} wrote {message!r} to stderr"
    assert not _CONTROLS.search(out.getvalue()), f"{argv!r} wrote {out.getvalue()!r}"
    if code != 0:
        lines = message.strip().splitlines()
        assert len(lines) == 1, f"{argv!r} exited {code} with {message!r}"
        assert lines[0].strip(), f"{argv!r} exited {code} without a message"
    return code


@pytest.fixture
def arena(demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Arena:
    # Commands that write a file (-o NAME) write it here, never into the checkout.
    monkeypatch.chdir(tmp_path)
    return make_arena(tmp_path, demo_db)


#: Examples per command in make test (the bench draws many more).
EXAMPLES_PER_COMMAND = 4


def fuzz_command(name: str, arena: Arena, examples: int, run: Callable[[list[str]], object], **options: Any) -> None:
    """Draw ``examples`` argument lists for one command and give each to ``run``."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **options,
    )
    @given(argument_lists(arena, name))
    def one(argv: list[str]) -> None:
        run(argv)

    one()


@pytest.mark.slow
def test_random_command_lines_end_in_an_exit_code_and_one_sentence(arena: Arena) -> None:
    tried: list[tuple[str, int | None]] = []
    for name in sorted(COMMANDS):
        fuzz_command(name, arena, EXAMPLES_PER_COMMAND, lambda argv, name=name: tried.append((name, check(argv))),
                     derandomize=True)  # fmt: skip
    # Every command is tried, and the lists get past argparse to answers and refusals.
    assert {name for name, _ in tried} == set(COMMANDS)
    codes = [code for _, code in tried]
    assert codes.count(0) >= 20, tried
    assert sum(1 for code in codes if code) >= 20, tried
