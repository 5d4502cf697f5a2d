"""The `auditdesk` command as a firm's script drives it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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
