"""The report commands as a firm's script drives them: report, reports, signing-identity, verify-pdf."""

from __future__ import annotations

import json
from pathlib import Path

from auditdesk.canonical import sha256_hex
from tests.integration.conftest import run_cli

PASS = {"AUDITDESK_SIGNING_PASSPHRASE": "a-long-enough-passphrase"}


def test_demo_report_sign_and_verify_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite")
    assert run_cli("--db", db, "demo").returncode == 0
    versions = json.loads(run_cli("--db", db, "--json", "reports", "DEMO").stdout)
    assert [(v["version"], v["opinion"], v["signed"], v["draft"]) for v in versions] == [(1, "pending", False, True)]

    draft = tmp_path / "draft.pdf"
    made = run_cli("--db", db, "--as", "PR", "--json", "report", "DEMO", "-o", str(draft))
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert {"path", "sha256", "signed"} <= set(document)
    assert document["sha256"] == sha256_hex(draft.read_bytes())
    assert (document["signed"], document["version"]) == (False, 2)

    soc3 = tmp_path / "soc3.pdf"
    assert run_cli("--db", db, "--as", "PR", "report", "DEMO", "-o", str(soc3), "--type", "soc3").returncode == 0
    assert soc3.read_bytes().startswith(b"%PDF")

    no_key = run_cli("--db", db, "--as", "DW", "report", "DEMO", "-o", str(tmp_path / "x.pdf"), "--sign", env=PASS)
    assert no_key.returncode != 0
    assert "no signing identity" in no_key.stderr
    created = run_cli("--db", db, "--as", "DW", "--json", "signing-identity", "create", env=PASS)
    assert created.returncode == 0, created.stderr
    identity = json.loads(created.stdout)
    assert {"subject", "fingerprint", "not_after"} <= set(identity)
    assert "CN=Dana Whitfield" in identity["subject"]
    assert "O=Harbor & Finch LLP" in identity["subject"]
    firm_pem = str(tmp_path / "firm.pem")
    shown = json.loads(run_cli("--db", db, "--json", "signing-identity", "show", "-o", firm_pem).stdout)
    assert shown["fingerprint"] == identity["fingerprint"]

    staff = run_cli("--db", db, "--as", "PR", "report", "DEMO", "-o", str(tmp_path / "x.pdf"), "--sign", env=PASS)
    assert staff.returncode != 0
    assert "Only a partner" in staff.stderr
    # The CLI's subprocess has no keyring and no terminal: without the variable it says how to give the passphrase.
    no_pass = run_cli("--db", db, "--as", "DW", "report", "DEMO", "-o", str(tmp_path / "x.pdf"), "--sign")
    assert no_pass.returncode != 0
    assert "AUDITDESK_SIGNING_PASSPHRASE" in no_pass.stderr
    wrong = run_cli("--db", db, "--as", "DW", "report", "DEMO", "-o", str(tmp_path / "x.pdf"), "--sign",
                    env={"AUDITDESK_SIGNING_PASSPHRASE": "not-this-one"})
    assert wrong.returncode != 0
    assert wrong.stderr.strip() == "The signing passphrase is wrong; the report was not signed."  # one sentence

    signed = tmp_path / "signed.pdf"
    result = run_cli("--db", db, "--as", "DW", "--json", "report", "DEMO", "-o", str(signed), "--sign", env=PASS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["signed"] is True

    verified = run_cli("--json", "verify-pdf", str(signed), "--trust", str(tmp_path / "firm.pem"))
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert {"intact", "valid", "signer", "covers_whole_file"} <= set(report)
    assert (report["intact"], report["valid"], report["trusted"], report["covers_whole_file"]) == (True,) * 4
    assert report["signer"] == "Dana Whitfield"

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(signed.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    failed = run_cli("--json", "verify-pdf", str(tampered), "--trust", str(tmp_path / "firm.pem"))
    assert failed.returncode != 0
    assert json.loads(failed.stdout)["valid"] is False
    assert len(failed.stderr.strip().splitlines()) == 1

    unsigned = run_cli("verify-pdf", str(draft))
    assert unsigned.returncode != 0
    assert "no digital signature" in unsigned.stderr

    listed = json.loads(run_cli("--db", db, "--json", "reports", "DEMO").stdout)
    assert [(v["version"], v["signed"], v["signer"]) for v in listed][0] == (4, True, "Dana Whitfield")
