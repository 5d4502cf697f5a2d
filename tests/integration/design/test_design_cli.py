"""Planning from the command line: a Type 1 engagement built by a script, matrix imports, walkthroughs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from auditdesk import services
from auditdesk.cli import main
from tests.integration.conftest import run_cli

HEADER = ["Control ID", "Control Activity", "Frequency", "TSC Mapping", "Control Owner", "Manual/Automated", "Key?"]
HEADER_WITH_ATTRIBUTES = [*HEADER, "Test attributes"]

ROWS = [
    [
        "AC-01",
        "Production sign-in requires multi-factor authentication.",
        "Continuous",
        "CC6.1",
        "IT",
        "Automated",
        "Y",
    ],
    ["AC-02", "Access requests are approved before access is granted.", "As needed", "CC6.2; CC6.3", "IT", "", "Y"],
    ["CH-01", "Changes are approved before deployment.", "Multiple times per day", "CC8.1", "Eng", "Manual", "N"],
    ["BK-01", "Backups run daily and are copied off site.", "Daily", "A1.2\nA1.3", "Ops", "Automated", "yes"],
]


def cli(db: Path, *args: str, actor: str = "PR") -> tuple[int, Any, str]:
    """Run a command in process as a script would; the JSON document (or None) and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db), "--as", actor, "--json", *args], out=out, err=err)
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else None, err.getvalue()


@contextmanager
def opened(db: Path) -> Iterator[services.Store]:
    store = services.open_store(db)
    try:
        yield store
    finally:
        store.close()


def write_matrix(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    """A client's matrix as Excel writes it: a title, a blank row, then the table."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "RCM"
    sheet.append(["Acme Cloud: risk and control matrix"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


def _new_type1(db: Path) -> None:
    code, doc, err = cli(
        db,
        "new-engagement",
        "ACME-T1",
        "--client",
        "Acme Hosting",
        "--system",
        "Acme Cloud",
        "--type",
        "1",
        "--as-of",
        "2026-06-30",
        "--categories",
        "availability",
        "--name",
        "Priya Raman",
    )
    assert code == 0, err
    assert doc["engagement"] == "ACME-T1"


def test_type1_engagement_built_from_the_command_line_reaches_design_statuses(db: Path, tmp_path: Path) -> None:
    _new_type1(db)
    code, engagements, _ = cli(db, "engagements")
    assert engagements[0]["type"] == "type1"
    assert engagements[0]["as_of"] == "2026-06-30"
    # The acting person, new to the firm, joined the staff list and the team.
    with opened(db) as store:
        team = services.get_engagement(store.reader(), "ACME-T1").team
    assert [(m.initials, m.name) for m in team] == [("PR", "Priya Raman")]

    bad = write_matrix(tmp_path / "rcm.xlsx", [*ROWS[:2], [*ROWS[2][:3], "CC8.1, CC10.1", *ROWS[2][4:]], ROWS[3]])
    code, doc, err = cli(db, "import-controls", "ACME-T1", str(bad))
    assert code == 1
    assert doc["added"] == 0
    assert doc["updated"] == 0
    assert [(i["row"], i["ref"], i["field"]) for i in doc["issues"]] == [(6, "CH-01", "criteria")]
    assert "'CC10.1' is not a Trust Services Criterion" in doc["issues"][0]["message"]
    assert "row 6 (CH-01)" in err
    assert "CC10.1" in err
    assert "\n" not in err.strip()
    assert cli(db, "controls", "ACME-T1")[1] == []  # refused whole: nothing stored

    good = write_matrix(tmp_path / "rcm-fixed.xlsx", ROWS)
    code, doc, err = cli(db, "import-controls", "ACME-T1", str(good))
    assert code == 0, err
    assert (doc["added"], doc["updated"], doc["issues"]) == (4, 0, [])

    code, controls, _ = cli(db, "controls", "ACME-T1")
    by_ref = {c["ref"]: c for c in controls}
    assert by_ref["AC-02"]["frequency"] == "event-driven"
    assert by_ref["AC-02"]["criteria"] == ["CC6.2", "CC6.3"]
    assert by_ref["CH-01"]["frequency"] == "multiple-daily"
    assert by_ref["BK-01"]["criteria"] == ["A1.2", "A1.3"]
    assert {c["design"] for c in controls} == {"not_walked_through"}

    inspected = "Inquired of the control owner and inspected one instance in the system."
    for ref in ("AC-01", "AC-02", "BK-01"):
        code, doc, err = cli(db, "walkthrough", "ACME-T1", ref, "--result", "designed", "--procedure", inspected)
        assert code == 0, err
        assert doc == {**doc, "control": ref, "design": "designed"}
    code, doc, err = cli(
        db,
        "walkthrough",
        "ACME-T1",
        "CH-01",
        "--result",
        "not_implemented",
        "--procedure",
        "Inquired of the engineering lead; observed that merges need no approval.",
        "--note",
        "Branch protection is off.",
        "--date",
        "2026-07-02",
    )
    assert code == 0, err
    assert doc["design"] == "not_implemented"
    assert doc["performed_on"] == "2026-07-02"

    design = {c["ref"]: c["design"] for c in cli(db, "controls", "ACME-T1")[1]}
    assert design == {"AC-01": "designed", "AC-02": "designed", "BK-01": "designed", "CH-01": "not_implemented"}
    with opened(db) as store:
        statuses = services.design_status(store.reader(), "ACME-T1")
    assert statuses["CH-01"].note == "Branch protection is off."
    assert statuses["AC-01"].performed_by == "PR"
    listed = {w["control"]: w for w in cli(db, "walkthroughs", "ACME-T1")[1]}
    assert listed["CH-01"]["procedure"].startswith("Inquired of the engineering lead")


def test_type1_refuses_operating_effectiveness_samples(db: Path, tmp_path: Path) -> None:
    _new_type1(db)
    code, _, err = cli(
        db, "add-control", "ACME-T1", "AC-01", "--description", "MFA", "--frequency", "daily", "--criteria", "CC6.1"
    )
    assert code == 0, err
    population = tmp_path / "logins.csv"
    population.write_text("key,date\nL1,2026-06-01\nL2,2026-06-02\nL3,2026-06-03\n", encoding="utf-8")
    code, doc, err = cli(
        db, "import-population", "ACME-T1", str(population), "--name", "Logins", "--key", "key", "--date", "date"
    )
    assert code == 0, err
    code, _, err = cli(
        db, "select", "ACME-T1", "AC-01", "--population", str(doc["population"]), "--method", "random", "--size", "1"
    )
    assert code == 1
    assert err.strip() == (
        "Engagement ACME-T1 is a Type 1 examination: it tests design as of a date, "
        "and operating-effectiveness samples are not drawn."
    )
    with opened(db) as store:
        assert services.list_samples(store.reader(), "ACME-T1") == ()


def test_reimporting_an_edited_matrix_updates_and_reports_the_changes(db: Path, tmp_path: Path) -> None:
    _new_type1(db)
    first = write_matrix(
        tmp_path / "v1.xlsx",
        [[*row, "Enforced?\nLogged?" if row[0] == "AC-01" else ""] for row in ROWS],
        HEADER_WITH_ATTRIBUTES,
    )
    assert cli(db, "import-controls", "ACME-T1", str(first))[0] == 0
    edited = [list(row) for row in ROWS]
    edited[0][1] = "Production and VPN sign-in require multi-factor authentication."
    edited[2][2] = "Weekly"
    edited[2][3] = "CC8.1, CC7.1"
    edited.append(["MN-01", "Management reviews control health monthly.", "Monthly", "CC4.1", "COO", "Manual", "N"])
    second = write_matrix(
        tmp_path / "v2.xlsx",
        [[*row, "Enforced for every user?\nLogged?" if row[0] == "AC-01" else ""] for row in edited],
        HEADER_WITH_ATTRIBUTES,
    )
    code, doc, err = cli(db, "import-controls", "ACME-T1", str(second))
    assert code == 0, err
    assert (doc["added"], doc["updated"], doc["unchanged"]) == (1, 2, 2)
    assert doc["added_controls"] == ["MN-01"]
    changes = {c["control"]: c["fields"] for c in doc["changes"]}
    assert changes["AC-01"]["description"]["to"].startswith("Production and VPN")
    assert changes["AC-01"]["attributes"] == {
        "from": "Enforced? | Logged?",
        "to": "Enforced for every user? | Logged?",
    }
    assert changes["CH-01"] == {
        "frequency": {"from": "multiple-daily", "to": "weekly"},
        "criteria": {"from": "CC8.1", "to": "CC7.1, CC8.1"},
    }
    with opened(db) as store:
        control = services.get_control(store.reader(), "ACME-T1", "AC-01")
        actions = [e.action for e in services.recent_events(store.reader(), limit=50)]
    assert [a.question for a in control.test_plan.attributes] == ["Enforced for every user?", "Logged?"]
    assert actions.count("controls.import") == 2


def test_planning_rules_of_the_wizard_apply(db: Path) -> None:
    base = ("new-engagement", "X", "--client", "C", "--system", "S")
    code, _, err = cli(db, *base, "--type", "1", "--as-of", "2026-06-30", "--start", "2026-01-01")
    assert code == 1
    assert "has no period" in err
    code, _, err = cli(db, *base, "--type", "2", "--start", "2026-06-30", "--end", "2026-01-01")
    assert code == 1
    assert "must come after the period start" in err
    code, _, err = cli(db, *base, "--type", "3", "--as-of", "2026-06-30")
    assert code == 1
    assert "--type 1" in err
    code, _, err = cli(db, *base, "--type", "1", "--as-of", "2026-06-30", actor="j.doe")
    assert code == 1
    assert err.strip() == "The acting person 'J.DOE' has no usable initials; give them with --as INITIALS."
    code, doc, err = cli(db, *base, "--type", "2", "--start", "2026-01-01", "--end", "2026-06-30", "--library")
    assert code == 0, err
    assert doc["categories"] == ["security"]  # Security is always in scope
    assert doc["library_controls"] > 30
    coverage = cli(db, "coverage", "X")[1]
    assert coverage["uncovered"] == []  # the library covers every common criterion


def test_add_control_with_attributes_and_an_out_of_scope_criterion(db: Path) -> None:
    _new_type1(db)
    code, doc, err = cli(
        db,
        "add-control",
        "ACME-T1",
        "CH-01",
        "--description",
        "Changes are approved.",
        "--frequency",
        "Weekly",
        "--criteria",
        "CC8.1",
        "--key",
        "--attribute",
        "Approved by someone other than the author?",
        "--attribute",
        "Approved before deployment?",
    )
    assert code == 0, err
    assert doc == {"control": "CH-01", "criteria": ["CC8.1"], "attributes": ["A", "B"]}
    code, _, err = cli(
        db, "add-control", "ACME-T1", "PR-01", "--description", "x", "--frequency", "annual", "--criteria", "P1.1"
    )
    assert code == 1
    assert "not in scope" in err


def test_population_check_from_the_command_line(db: Path, tmp_path: Path) -> None:
    code, _, err = cli(
        db, "new-engagement", "T2", "--client", "C", "--system", "S", "--type", "2", "--start", "2026-01-01",
        "--end", "2026-06-30",
    )  # fmt: skip
    assert code == 0, err
    population = tmp_path / "tickets.csv"
    population.write_text("key,date,amount\nT1,2026-02-01,10.00\nT2,2026-03-01,15.50\n", encoding="utf-8")
    code, doc, err = cli(
        db, "import-population", "T2", str(population), "--name", "Tickets", "--key", "key", "--date", "date",
        "--amount", "amount",
    )  # fmt: skip
    assert code == 0, err
    pop = str(doc["population"])
    code, doc, err = cli(db, "population-check", "T2", pop, "--system", "Jira", "--query", "JQL: project = CHG")
    assert code == 0, err
    assert doc["tested"] is False
    assert doc["status"] == "C&A not tested"
    assert len(doc["differences"]) == 3
    code, doc, err = cli(
        db, "population-check", "T2", pop, "--system", "Jira", "--query", "JQL: project = CHG",
        "--parameters", "created 2026-01-01..2026-06-30", "--count", "2", "--total", "$25.50", "--period-checked",
    )  # fmt: skip
    assert code == 0, err
    assert (doc["tested"], doc["differences"], doc["independent_total"]) == (True, [], "25.50")


def test_installed_command_prints_the_refusal_document(db: Path, tmp_path: Path) -> None:
    _new_type1(db)
    bad = write_matrix(tmp_path / "rcm.xlsx", [[*ROWS[0][:3], "CC99.9", *ROWS[0][4:]]])
    result = run_cli("--db", str(db), "--as", "PR", "--json", "import-controls", "ACME-T1", str(bad))
    assert result.returncode == 1
    assert json.loads(result.stdout)["issues"][0]["row"] == 4
    assert result.stderr.startswith("Nothing was imported: row 4 (AC-01): 'CC99.9' is not a Trust Services Criterion")
