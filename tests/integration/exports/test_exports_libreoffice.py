"""LibreOffice opens the exports and keeps the client's hostile text as text (when it is installed)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.services import requests as request_services
from auditdesk.services.workpaper_data import engagement_workpapers
from tests.integration.exports.conftest import HOSTILE, HostileEngagement
from workpapers.excel_requests import ListCover, export_request_list
from workpapers.excel_workpapers import export_workpapers

OFFICE = shutil.which("libreoffice") or shutil.which("soffice")
pytestmark = pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed (libreoffice-calc-nogui)")

# CSV export of every sheet: comma, double quote, UTF-8, text cells quoted (so text and numbers
# can be told apart), cell contents as stored, formulas not exported, all sheets (-1).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,-1"


def _convert(path: Path, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Each sheet of ``path`` as LibreOffice reads it, as CSV rows; sheet name -> rows."""
    out = tmp_path / f"{path.stem}-csv"
    out.mkdir()
    profile = (tmp_path / "office-profile").as_uri()
    assert OFFICE is not None
    done = subprocess.run(
        [
            OFFICE,
            "--headless",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sheets = {}
    for file in sorted(out.glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as handle:
            sheets[file.stem.removeprefix(f"{path.stem}-")] = list(csv.reader(handle))
    return sheets


def _quoted_cells(path: Path, tmp_path: Path) -> tuple[dict[str, list[list[str]]], str]:
    sheets = _convert(path, tmp_path)
    raw = "\n".join(p.read_bytes().decode("utf-8") for p in (tmp_path / f"{path.stem}-csv").glob("*.csv"))
    return sheets, raw


def _csv_quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_libreoffice_keeps_hostile_text_literal_in_the_request_list(hostile: HostileEngagement, tmp_path: Path) -> None:
    e = services.get_engagement(hostile.store.reader(), hostile.ref)
    cover = ListCover(e.ref, e.client, e.system_name, e.period_label, dt.datetime.now(dt.UTC), "PR")
    path = tmp_path / "requests.xlsx"
    export_request_list(path, cover, request_services.iter_requests(hostile.store.reader(), hostile.ref))
    sheets, raw = _quoted_cells(path, tmp_path)
    assert set(sheets) == {"Cover", "Requests"}
    cells = {v for row in sheets["Requests"] for v in row}
    for text in HOSTILE:
        # LibreOffice may write a lone CR as a line break; the text is there, as text.
        assert text in cells or text.replace("\r", "\n") in cells, text
        # Quoted: LibreOffice holds a text cell, not a number or a formula's result.
        assert _csv_quoted(text) in raw, text


def test_libreoffice_keeps_hostile_text_literal_in_the_workbook(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = tmp_path / "workbook.xlsx"
    data = engagement_workpapers(hostile.store.reader(), hostile.ref)
    export_workpapers(
        path,
        data,
        "workbook",
        exported_at=dt.datetime.now(dt.UTC),
        exported_by="PR",
        requests=request_services.list_requests(hostile.store.reader(), hostile.ref),
    )
    sheets, raw = _quoted_cells(path, tmp_path)
    assert {"Control matrix", "Test matrix", "Exceptions", "Samples", "Requests"} <= set(sheets)
    for text in (
        "=Changes are approved before deployment",
        "@SUM(A1) we will add a second approver",
        "-2 reviewers were on leave",
        '=HYPERLINK("http://x","y")',
        "+1+1",
        "-2",
        "@SUM(A1)",
    ):
        assert _csv_quoted(text) in raw, text
