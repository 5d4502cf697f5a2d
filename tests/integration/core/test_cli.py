"""The `auditdesk` command as a firm's script drives it."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from auditdesk.cli import main
from auditdesk.commands.typed import record_id, terminal_safe, whole_number
from auditdesk.errors import NotFoundError, ValidationError
from sampling import attribute_sample_size
from tests.integration.conftest import run_cli


def test_demo_then_coverage_has_no_gap(tmp_path: Path) -> None:
    db = str(tmp_path / "x.sqlite")
    demo = run_cli("--db", db, "--json", "demo")
    assert demo.returncode == 0, demo.stderr
    ref = json.loads(demo.stdout)["engagement"]
    assert ref == "DEMO"
    cov = run_cli("--db", db, "--json", "coverage", "DEMO")
    doc = json.loads(cov.stdout)
    assert doc["uncovered"] == []
    assert doc["in_scope"] == doc["covered"] == 38  # 33 common + 3 availability + 2 confidentiality
    human = run_cli("--db", db, "coverage", "DEMO")
    assert "Every in-scope criterion is covered." in human.stdout

    engs = json.loads(run_cli("--db", db, "--json", "engagements").stdout)
    assert engs[0]["ref"] == "DEMO"
    assert engs[0]["type"] == "type2"
    assert engs[0]["phase"] == "fieldwork"
    assert engs[0]["period_start"] < engs[0]["period_end"]
    controls = json.loads(run_cli("--db", db, "--json", "controls", "DEMO").stdout)
    assert len(controls) >= 40
    assert {"ref", "description", "frequency", "criteria"} <= set(controls[0])
    trail = json.loads(run_cli("--db", db, "--json", "trail", "verify").stdout)
    assert trail["ok"] is True
    assert trail["first_broken"] is None
    assert trail["events"] > 40


def test_env_var_selects_the_store(tmp_path: Path) -> None:
    db = str(tmp_path / "env.sqlite")
    assert run_cli("demo", env={"AUDITDESK_DB": db}).returncode == 0
    assert Path(db).exists()


def test_text_file_as_store_exits_with_one_sentence_and_no_change(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = run_cli("--db", str(path), "engagements")
    assert result.returncode != 0
    assert result.stderr.strip().endswith(".")
    assert "\n" not in result.stderr.strip()
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_truncated_store_exits_non_zero_and_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "full.sqlite"
    assert run_cli("--db", str(db), "demo").returncode == 0
    data = db.read_bytes()
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(data[: len(data) // 3])
    before = hashlib.sha256(cut.read_bytes()).hexdigest()
    result = run_cli("--db", str(cut), "coverage", "DEMO")
    assert result.returncode != 0
    assert "unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(cut.read_bytes()).hexdigest() == before


def test_unknown_engagement_is_one_sentence(tmp_path: Path) -> None:
    db = str(tmp_path / "x.sqlite")
    result = run_cli("--db", db, "controls", "NOPE")
    assert result.returncode == 1
    assert result.stderr.strip() == ("There is no engagement 'NOPE' in this store; 'auditdesk engagements' lists them.")


# -- exit codes, hostile numbers and terminal safety (in process: main(argv, out, err)) ------------

BIG = "99999999999999999999999"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _one_sentence(err: str) -> str:
    text = err.strip()
    assert text, "no message"
    assert "\n" not in text, text
    assert "Traceback" not in text
    assert text.endswith("."), text
    return text


def test_failed_reperformance_exits_non_zero_and_json_still_prints(demo_db: str) -> None:
    code, out, err = _run("--db", demo_db, "--as", "PR", "reperform", "DEMO", "1")
    assert (code, err) == (0, "")
    assert "same items, same order" in out
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE sample_item SET key = 'TAMPERED' WHERE sample_id = 1 AND seq = 2")
    code, out, err = _run("--db", demo_db, "--as", "PR", "reperform", "DEMO", "1")
    assert code == 1
    assert out == ""
    assert "changed after selection" in _one_sentence(err)
    code, out, err = _run("--db", demo_db, "--as", "PR", "--json", "reperform", "DEMO", "1")
    assert code == 1
    document = json.loads(out)
    assert document["identical"] is False
    assert document["reason"] == err.strip()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reperform", "DEMO", BIG], f"There is no sample {BIG} in this store."),
        (["result", "DEMO", BIG, "X", "A", "pass"], f"There is no sample {BIG} in this store."),
        (["extend", "DEMO", BIG, "--size", "30"], f"There is no sample {BIG} in this store."),
        (["extend", "DEMO", "1", "--population", BIG], f"There is no population {BIG} in this store."),
        (
            ["select", "DEMO", "CM-01", "--population", BIG, "--method", "random", "--size", "5"],
            f"There is no population {BIG} in this store.",
        ),
        (
            ["population-check", "DEMO", BIG, "--system", "ERP", "--query", "q"],
            f"There is no population {BIG} in this store.",
        ),
        (
            ["population-check", "DEMO", "1", "--system", "ERP", "--query", "q", "--count", BIG],
            "The record count must lie within \u00b19,223,372,036,854,775,807; got '9999",
        ),
        (["reperform", "DEMO", "1" * 5000], "There is no sample 1111111111111111111111111111111111111111..."),
        (["reperform", "DEMO", "x" * 5000], "The sample id must be a whole number; got 'xxxxxxxxxx"),
        (["controls", BIG], f"There is no engagement '{BIG}' in this store"),
        (["populations", BIG], f"There is no engagement '{BIG}' in this store"),
        (["coverage", "\u00b2"], "There is no engagement '\u00b2' in this store"),
        (["compensate", "DEMO", "\u00b2", "--by", "CM-01", "--reason", "r"], "is not an exception id"),
    ],
)
def test_ids_beyond_the_store_are_one_sentence(demo_db: str, argv: list[str], message: str) -> None:
    code, out, err = _run("--db", demo_db, "--as", "PR", *argv)
    assert code == 1
    assert message in _one_sentence(err)


@pytest.mark.parametrize("population", ["1e23", "1e18", "1e15", BIG, "1000000000000000"])
def test_sample_size_for_a_huge_population_is_the_binomial_limit(population: str) -> None:
    code, out, err = _run(
        "--json", "sample-size", "--confidence", "0.95", "--tolerable", "0.05", "--method", "hypergeometric",
        "--population", population,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert json.loads(out) == {"n": 59, "expected_deviations": 0, "method": "binomial", "exceeds_population": False}
    code, out, err = _run(
        "sample-size", "--confidence", "0.95", "--tolerable", "0.05", "--population", population
    )
    assert code == 0
    assert out.startswith("59\n")
    assert "binomial method was used" in out


def test_population_written_as_an_exact_decimal_is_read() -> None:
    code, out, _ = _run("--json", "sample-size", "--confidence", "0.95", "--tolerable", "0.05", "--population", "1.2e3")
    assert code == 0
    assert json.loads(out)["method"] == "hypergeometric"
    assert json.loads(out)["n"] == attribute_sample_size(0.95, 0.05, 0, 1200, "hypergeometric").n


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--population", "1.5"], "The population size must be a whole number such as 1200 or 1e6; got '1.5'."),
        (["--population", "1e-3"], "must be a whole number"),
        (["--population", "nan"], "must be a whole number"),
        (["--population", "1e999999999"], "must be a whole number"),
        (["--population", "-5"], "The population size must be at least 1; got -5."),
        (["--population", "0"], "The population size must be at least 1; got 0."),
        (["--confidence", "1.5"], "confidence level must be between 0.5 and 0.999"),
        (["--confidence", "nan"], "confidence level must be a finite number"),
        (["--tolerable", "inf"], "must be a finite number"),
        (["--tolerable", "0.999999999999999999999999", "--expected", "0"], None),
        (["--tolerable", "1e-400"], "raise the tolerable rate"),
        (["--expected", "1e999999999"], "must lie between 1e-1000 and 1e1000"),
        (["--expected", "0.04999", "--population", "10000000"], "more than 2,000,000 items"),
    ],
)
def test_sample_size_numbers_end_in_one_sentence(argv: list[str], message: str | None) -> None:
    options = {"--confidence": "0.95", "--tolerable": "0.05"}
    for name, value in zip(argv[::2], argv[1::2], strict=True):
        options[name] = value
    code, out, err = _run("sample-size", *[part for pair in options.items() for part in pair])
    if message is None:
        assert (code, err) == (0, "")
        return
    assert code == 1
    assert out == ""
    assert message in _one_sentence(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n", BIG, "--deviations", "1"], "sample size must be at most 9,007,199,254,740,992"),
        (["--n", "60", "--deviations", "1", "--population", "1e23"], None),
        (["--n", "1e2", "--deviations", "1"], None),
        (["--n", "60.5", "--deviations", "1"], "The sample size must be a whole number"),
        (["--n", "60", "--deviations", "-1"], "number of deviations must be at least 0"),
        (["--n", "60", "--deviations", "1", "--tolerable", "nan"], "finite number"),
    ],
)
def test_evaluate_numbers_end_in_one_sentence(argv: list[str], message: str | None) -> None:
    code, out, err = _run("evaluate", "--confidence", "0.95", *argv)
    if message is None:
        assert (code, err) == (0, "")
        assert "-0.0%" not in out
        return
    assert code == 1
    assert message in _one_sentence(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--size", "5", "--seed", str(10**30)], "seed must be a whole number from 0 to 2^64 - 1"),
        (["--size", "5", "--seed", "-1"], "seed must be a whole number from 0 to 2^64 - 1"),
        (["--size", BIG], "Test every item instead"),
        (["--size", "-5"], "at least one item"),
        (["--confidence", "nan", "--tolerable", "0.05"], "finite number"),
        (["--confidence", "0.95", "--tolerable", "0.05", "--expected", "1e999999999"], "must lie between"),
    ],
)
def test_select_numbers_end_in_one_sentence(demo_db: str, argv: list[str], message: str) -> None:
    code, out, err = _run(
        "--db", demo_db, "--as", "PR", "select", "DEMO", "CM-01", "--population", "1", "--method", "random", *argv
    )
    assert code == 1
    assert message in _one_sentence(err)


HOSTILE = "\x1b[2J\x1b[31mAll controls effective\r\x9b1m\u202etxt.exe\x07"


def test_terminal_output_escapes_control_characters_and_json_stays_exact(demo_db: str) -> None:
    code, _, err = _run(
        "--db", demo_db, "--as", "PR", "add-exception", "DEMO", "CM-01", "--description", HOSTILE
    )
    assert (code, err) == (0, "")
    code, out, _ = _run("--db", demo_db, "exceptions", "DEMO")
    assert code == 0
    assert not any(c in out for c in "\x1b\r\x9b\u202e\x07")
    assert "\\x1b[2J\\x1b[31mAll controls effective\\r\\x9b1m\\u202etxt.exe\\x07" in out
    assert out.count("\n") == len(out.splitlines())  # layout newlines are kept
    code, out, _ = _run("--db", demo_db, "--json", "exceptions", "DEMO")
    assert code == 0
    assert HOSTILE in [e["description"] for e in json.loads(out)]


def test_error_messages_escape_control_characters(tmp_path: Path) -> None:
    code, out, err = _run("--db", str(tmp_path / "s.sqlite"), "controls", "\x1b[2J\rX\nY")
    assert code == 1
    assert "There is no engagement '\\x1b[2J\\rX\\nY' in this store" in _one_sentence(err)


def test_terminal_safe_keeps_layout_and_escapes_the_rest() -> None:
    assert terminal_safe("a\tb\nc") == "a\tb\nc"
    assert terminal_safe("\x00\x1b\r\x7f\x85\u2028\u2066") == "\\x00\\x1b\\r\\x7f\\x85\\u2028\\u2066"
    assert terminal_safe("Prüfung ✓ 監査") == "Prüfung ✓ 監査"


def test_whole_numbers_as_typed() -> None:
    assert whole_number(" 1_200 ", "The size") == 1200
    assert whole_number("1e23", "The size", scientific=True) == 10**23
    assert whole_number("2.5e3", "The size", scientific=True) == 2500
    assert whole_number("1200.0", "The size", scientific=True) == 1200
    for text in ("1.5", "1e-3", "nan", "inf", "1e1001", "\u00b2", "1e23"):
        with pytest.raises(ValidationError, match="must be a whole number"):
            whole_number(text, "The size", scientific=text != "1e23")
    with pytest.raises(ValidationError, match=r"at most 1,000 digits; got '1{40}\.\.\.'\.$"):
        whole_number("1" * 5000, "The size")
    assert record_id(str(2**63 - 1), "sample") == 2**63 - 1
    with pytest.raises(NotFoundError, match=f"There is no sample {2**63} in this store"):
        record_id(str(2**63), "sample")
