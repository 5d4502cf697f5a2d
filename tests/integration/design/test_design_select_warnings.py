"""`select` draws from a population whose completeness and accuracy is not tested, and says so."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from auditdesk import services
from auditdesk.cli import main


def cli(db: Path, *args: str, machine: bool = True) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db), "--as", "PR", *(["--json"] if machine else []), *args], out=out, err=err)
    text = out.getvalue()
    return code, (json.loads(text) if machine and text.strip() else text), err.getvalue()


def _engagement_with_population(db: Path, tmp_path: Path) -> int:
    steps = (
        (
            "new-engagement",
            "ACME-26",
            "--client",
            "Acme",
            "--system",
            "Cloud",
            "--type",
            "2",
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
        ),
        (
            "add-control",
            "ACME-26",
            "CH-01",
            "--description",
            "Changes are approved before deployment.",
            "--frequency",
            "multiple_daily",
            "--criteria",
            "CC8.1",
            "--attribute",
            "Approved before deployment?",
        ),
    )
    for step in steps:
        code, _, err = cli(db, *step)
        assert code == 0, err
    changes = tmp_path / "changes.csv"
    changes.write_text(
        "key,date\n" + "".join(f"CHG-{n:03d},2025-{n % 12 + 1:02d}-10\n" for n in range(40)), encoding="utf-8"
    )
    code, doc, err = cli(
        db, "import-population", "ACME-26", str(changes), "--name", "Changes", "--key", "key", "--date", "date"
    )
    assert code == 0, err
    return int(doc["population"])


def test_select_from_an_untested_population_warns_in_json_and_text(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    population = _engagement_with_population(db, tmp_path)
    code, doc, err = cli(
        db,
        "select",
        "ACME-26",
        "CH-01",
        "--population",
        str(population),
        "--method",
        "random",
        "--size",
        "5",
        "--seed",
        "7",
    )
    assert code == 0, err
    assert len(doc["items"]) == 5
    assert doc["warnings"] == [
        "Population 'Changes' has no completeness and accuracy test on file; document how it was produced and "
        "reconcile it to an independent source before relying on a sample from it."
    ]
    code, text, err = cli(
        db,
        "select",
        "ACME-26",
        "CH-01",
        "--population",
        str(population),
        "--method",
        "random",
        "--size",
        "5",
        "--seed",
        "8",
        machine=False,
    )
    assert code == 0, err
    assert text.splitlines()[0] == f"Warning: {doc['warnings'][0]}"
    assert text.splitlines()[1].startswith("Sample ")


def test_select_from_a_tested_population_has_no_warning(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    population = _engagement_with_population(db, tmp_path)
    store = services.open_store(db)
    try:
        check = services.record_population_check(
            store.uow("PR"),
            "ACME-26",
            population,
            source_system="Jira",
            query="All deployed changes, 2025",
            independent_count=40,
            period_checked=True,
        )
    finally:
        store.close()
    assert check.tested
    code, doc, err = cli(
        db, "select", "ACME-26", "CH-01", "--population", str(population), "--method", "random", "--size", "5"
    )
    assert code == 0, err
    assert doc["warnings"] == []
