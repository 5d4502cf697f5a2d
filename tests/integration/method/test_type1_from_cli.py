"""A Type 1 engagement built only from the command line reaches criterion conclusions
and a two-part proposal (description; design), then the partner's opinion."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from auditdesk.catalog import criteria_in_scope
from auditdesk.cli import main
from auditdesk.domain import Category


def cli(db: Path, *args: str, actor: str = "PR") -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db), "--as", actor, "--json", *args], out=out, err=err)
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else None, err.getvalue()


INSPECTED = "Inquired of the control owner and inspected the configuration in the system."


def test_type1_from_the_command_line_to_a_two_part_opinion(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    code, _, err = cli(
        db,
        "new-engagement",
        "T1",
        "--client",
        "Acme",
        "--system",
        "Cloud",
        "--type",
        "1",
        "--as-of",
        "2025-06-30",
        "--name",
        "Priya Raman",
    )
    assert code == 0, err
    code, team, err = cli(db, "add-member", "T1", "DW", "--name", "Dana Whitfield", "--role", "partner")
    assert code == 0, err
    assert {"initials": "DW", "name": "Dana Whitfield", "role": "partner"} in team
    ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
    code, _, err = cli(
        db,
        "add-control",
        "T1",
        "GOV-1",
        "--description",
        "Governance",
        "--frequency",
        "annual",
        "--criteria",
        ",".join(ids),
        "--attribute",
        "Reviewed?",
    )
    assert code == 0, err
    code, _, err = cli(
        db,
        "add-control",
        "T1",
        "CH-1",
        "--description",
        "Changes approved",
        "--frequency",
        "multiple-daily",
        "--criteria",
        "CC8.1",
    )
    assert code == 0, err
    # Before the walkthroughs: pending, waiting for them.
    code, doc, _ = cli(db, "conclusions", "T1")
    assert doc["proposed_opinion"] == "pending"
    assert [p["part"] for p in doc["parts"]] == ["description", "design"]
    # No operating-effectiveness samples in a Type 1.
    code, _, err = cli(db, "generate-population", "T1", "GOV-1")
    assert code != 0
    assert err.strip()
    for ref, result in (("GOV-1", "designed"), ("CH-1", "not_implemented")):
        code, _, err = cli(db, "walkthrough", "T1", ref, "--result", result, "--procedure", INSPECTED)
        assert code == 0, err
    code, doc, _ = cli(db, "conclusions", "T1")
    controls = {c["ref"]: c["final"] for c in doc["controls"]}
    assert controls == {"CH-1": "not_designed", "GOV-1": "designed"}
    criteria = {c["id"]: c["conclusion"] for c in doc["criteria"]}
    assert criteria["CC8.1"] == "not_met"
    assert criteria["CC1.1"] == "met"
    assert doc["proposed_opinion"] == "qualified"
    parts = {p["part"]: p["opinion"] for p in doc["parts"]}
    assert parts == {"description": "unmodified", "design": "qualified"}
    # The partner records it once the representations are in.
    basis = "Change approval (CH-1) was not implemented as of 30 June 2025, so criterion CC8.1 was not met."
    code, _, err = cli(db, "opinion", "T1", "qualified", "--basis", basis, actor="DW")
    assert code != 0
    assert "representations are not recorded" in err
    assert cli(db, "representations", "T1", "--dated", "2025-07-15")[0] == 0
    code, _, err = cli(db, "opinion", "T1", "qualified", "--basis", basis, actor="PR")
    assert code != 0
    assert "Only the engagement partner" in err
    code, recorded, err = cli(db, "opinion", "T1", "qualified", "--basis", basis, actor="DW")
    assert code == 0, err
    assert recorded == {"opinion": "qualified", "proposed": "qualified", "decided_by": "DW"}
