"""Workpaper exports: every sheet read back with openpyxl and python-calamine, hostile text kept as text."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from auditdesk import services
from auditdesk.cli import main
from auditdesk.errors import ValidationError
from auditdesk.services import requests as request_services
from auditdesk.services.workpaper_data import EngagementWorkpapers, engagement_workpapers
from tests.integration.exports.conftest import HOSTILE, HostileEngagement, formula_cells, sheet_xml
from workpapers._excel_safety import ExportError
from workpapers.excel_workpapers import WORKPAPER_KINDS, export_workpapers, workpaper_tables

MOMENT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _data(h: HostileEngagement) -> EngagementWorkpapers:
    return engagement_workpapers(h.store.reader(), h.ref)


def _expected(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return float(value)
    return value


def _read(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _export(h: HostileEngagement, kind: str, path: Path) -> tuple[Path, EngagementWorkpapers]:
    data = _data(h)
    requests = request_services.list_requests(h.store.reader(), h.ref)
    export_workpapers(path, data, kind, exported_at=MOMENT, exported_by="PR", requests=requests)
    return path, data


@pytest.mark.parametrize("kind", WORKPAPER_KINDS)
def test_every_sheet_round_trips_through_two_readers(hostile: HostileEngagement, tmp_path: Path, kind: str) -> None:
    path, data = _export(hostile, kind, tmp_path / f"{kind}.xlsx")
    tables = workpaper_tables(data, kind, request_services.list_requests(hostile.store.reader(), hostile.ref))
    book = openpyxl.load_workbook(path)
    calamine = CalamineWorkbook.from_path(str(path))
    assert book.sheetnames == ["Cover", *(t.title for t in tables)]
    assert calamine.sheet_names == book.sheetnames
    for table in tables:
        expected = [[_expected(v) for v in row] for row in table.rows()]
        assert len(expected) == table.size
        headers = [c.header for c in table.columns]
        from_openpyxl = [[_read(v) for v in row] for row in book[table.title].iter_rows(values_only=True)]
        from_calamine = [[_read(v) for v in row] for row in calamine.get_sheet_by_name(table.title).to_python()]
        assert from_openpyxl[0] == headers
        assert from_calamine[0] == headers
        width = len(headers)
        assert [row + [None] * (width - len(row)) for row in from_openpyxl[1:]] == expected, table.title
        assert [row + [None] * (width - len(row)) for row in from_calamine[1:]] == expected, table.title
        sheet = book[table.title]
        assert sheet.freeze_panes == "B2"
        assert sheet.auto_filter.ref is not None
    for xml in sheet_xml(path).values():
        assert formula_cells(xml) == []


def test_hostile_client_text_stays_literal_in_the_workbook(hostile: HostileEngagement, tmp_path: Path) -> None:
    path, _data_ = _export(hostile, "workbook", tmp_path / "workbook.xlsx")
    found_openpyxl = {
        v for sheet in openpyxl.load_workbook(path).worksheets for row in sheet.iter_rows(values_only=True) for v in row
    }
    book = CalamineWorkbook.from_path(str(path))
    found_calamine = {v for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row}
    literal = [
        *HOSTILE,
        "=Changes are approved before deployment",
        "@Change board",
        "-2 reviewers were on leave",
        "@SUM(A1) we will add a second approver",
        "A: +Approved after deployment",
        "=cmd|' /C calc'!A0",
    ]
    for text in literal:
        assert text in found_openpyxl, text
        assert text in found_calamine, text
    assert all(formula_cells(xml) == [] for xml in sheet_xml(path).values())


def test_test_matrix_shows_results_tickmarks_and_the_conclusions_wording(
    hostile: HostileEngagement, tmp_path: Path
) -> None:
    path, data = _export(hostile, "tests", tmp_path / "tests.xlsx")
    book = openpyxl.load_workbook(path)
    rows = list(book["Test matrix"].iter_rows(values_only=True))
    header = rows[0]
    a = header.index("Attribute A")
    sample = services.get_sample(hostile.store.reader(), hostile.ref, hostile.sample_id)
    by_key = {row[3]: row for row in rows[1:]}
    assert len(by_key) == len(sample.items)
    assert by_key[sample.keys[0]][a] == "Pass ✓"
    assert by_key[sample.keys[1]][a] == "Deviation"
    assert by_key[sample.keys[1]][header.index("Notes")] == "A: +Approved after deployment"
    conclusions = {row[0]: row for row in list(book["Conclusions"].iter_rows(values_only=True))[1:]}
    status = next(s for s in data.conclusions.controls if s.ref == "CM-1")
    heading = list(book["Conclusions"].iter_rows(values_only=True))[0]
    assert conclusions["CM-1"][heading.index("Conclusion")] == status.final.label
    assert conclusions["CM-1"][heading.index("Result of tests (section 4)")] == status.result_text
    assert conclusions["CM-1"][heading.index("Deviations")] == 1
    legend = list(book["Tickmarks"].iter_rows(values_only=True))
    assert ("✓", "Agreed to the ticket") in legend


def test_sample_workpaper_carries_the_receipt_to_reperform(hostile: HostileEngagement, tmp_path: Path) -> None:
    path, _ = _export(hostile, "samples", tmp_path / "samples.xlsx")
    sample = services.get_sample(hostile.store.reader(), hostile.ref, hostile.sample_id)
    population = services.get_population(hostile.store.reader(), hostile.ref, hostile.population_id)
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Samples").to_python()
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Seed"] == str(sample.receipt["seed"])  # all 64 bits, as text
    assert record["Algorithm"] == sample.receipt["algorithm"]
    assert record["Population digest (SHA-256)"] == population.digest
    assert record["Re-perform"] == f"auditdesk reperform {hostile.ref} {sample.id}"
    items = book.get_sheet_by_name("Sample items").to_python()
    assert [row[3] for row in items[1:]] == list(sample.keys)


def test_exception_log_names_the_compensating_controls(hostile: HostileEngagement, tmp_path: Path) -> None:
    data = _data(hostile)
    exception = data.exceptions[0]
    from auditdesk.services.conclusions import CompensationRecord

    named = data.__class__(
        **{
            **{f: getattr(data, f) for f in data.__dataclass_fields__},
            "compensations": (
                CompensationRecord(1, exception.id, "AC-1", "=the quarterly review catches it", "DW", "2026-01-01"),
            ),
        }
    )
    export_workpapers(tmp_path / "x.xlsx", named, "exceptions", exported_at=MOMENT, exported_by="PR")
    rows = list(openpyxl.load_workbook(tmp_path / "x.xlsx")["Exceptions"].iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Compensating controls"] == "AC-1"
    assert record["Why they compensate"] == "AC-1: =the quarterly review catches it"
    assert record["Management's response (unaudited)"] == "@SUM(A1) we will add a second approver"


def test_csv_and_file_name_rules(hostile: HostileEngagement, tmp_path: Path) -> None:
    data = _data(hostile)
    result = export_workpapers(tmp_path / "matrix.csv", data, "matrix", exported_at=MOMENT, exported_by="PR")
    assert result.rows == 2
    text = (tmp_path / "matrix.csv").read_text(encoding="utf-8-sig")
    assert "'=Changes are approved before deployment" in text
    assert "'@Change board" in text
    with pytest.raises(ExportError, match=r"\.xlsx"):
        export_workpapers(tmp_path / "tests.csv", data, "tests", exported_at=MOMENT, exported_by="PR")
    with pytest.raises(ExportError, match="does not exist"):
        export_workpapers(tmp_path / "none" / "m.xlsx", data, "matrix", exported_at=MOMENT, exported_by="PR")
    with pytest.raises(ValidationError, match="not a workpaper export"):
        export_workpapers(tmp_path / "m.xlsx", data, "everything", exported_at=MOMENT, exported_by="PR")


def test_cli_export_of_each_kind(store_path: Path, hostile: HostileEngagement, tmp_path: Path) -> None:
    documents = {}
    for kind in ("matrix", "tests", "exceptions", "samples", "workbook"):
        out, err = io.StringIO(), io.StringIO()
        target = tmp_path / f"{kind}.xlsx"
        argv = ["--db", str(store_path), "--as", "PR", "--json", "export", kind, hostile.ref, "-o", str(target)]
        assert main(argv, out=out, err=err) == 0, err.getvalue()
        documents[kind] = json.loads(out.getvalue())
        assert documents[kind]["path"] == str(target)
        assert target.exists()
    assert documents["matrix"]["rows"] == 2  # the controls
    assert documents["tests"]["rows"] == 20  # the sampled items
    assert documents["exceptions"]["rows"] == 1
    assert documents["samples"]["rows"] == 1
    workbook = documents["workbook"]
    assert workbook["rows"] == sum(workbook["sheets"].values())
    assert workbook["sheets"]["Requests"] == 21
    assert workbook["sheets"]["Criteria mapping"] == 36  # 33 common criteria and 3 of availability
