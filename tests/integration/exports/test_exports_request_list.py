"""The client request list: written, read back with two libraries, edited by the client, imported."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from auditdesk import services
from auditdesk.cli import main
from auditdesk.errors import FileFormatError, LockedError
from auditdesk.services import requests as request_services
from auditdesk.services.requests import RequestStatus
from tests.integration.conftest import run_cli
from tests.integration.exports.conftest import HOSTILE, HostileEngagement, formula_cells, sheet_xml
from tests.integration.locking import lock
from workpapers import excel_requests
from workpapers.excel_requests import (
    REQUEST_COLUMNS,
    ListCover,
    compare_request_list,
    export_request_list,
    iter_export_request_list,
    read_returned_request_list,
    request_cells,
)

HEADERS = [c.header for c in REQUEST_COLUMNS]


def _cover(h: HostileEngagement) -> ListCover:
    e = services.get_engagement(h.store.reader(), h.ref)
    return ListCover(
        e.ref, e.client, e.system_name, e.period_label, dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), "PR"
    )


def _export(h: HostileEngagement, path: Path) -> Path:
    export_request_list(path, _cover(h), request_services.iter_requests(h.store.reader(), h.ref))
    return path


def _stored(h: HostileEngagement) -> tuple[services.ClientRequest, ...]:
    return request_services.list_requests(h.store.reader(), h.ref)


def _normal(value: Any) -> Any:
    """What a request's cell should read back as: empty text is an empty cell, dates are dates."""
    if isinstance(value, dt.datetime):
        return value.date()
    if value == "":
        return None
    return value


def test_every_value_round_trips_through_openpyxl_and_calamine(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    expected = [[_normal(v) for v in request_cells(r)] for r in _stored(hostile)]
    assert len(expected) == 21  # 20 sampled items and one request by hand

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Cover", "Requests"]
    rows = list(book["Requests"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert [[_normal(v) for v in row] for row in rows[1:]] == expected

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Requests").to_python()
    assert sheet[0] == HEADERS
    assert [[_normal(v) for v in row] for row in sheet[1:]] == expected


def test_hostile_strings_come_back_as_literal_text_with_no_formula(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    openpyxl_values = {v for row in openpyxl.load_workbook(path)["Requests"].iter_rows(values_only=True) for v in row}
    calamine_values = {
        v for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Requests").to_python() for v in row
    }
    for text in HOSTILE:
        assert text in openpyxl_values, text
        assert text in calamine_values, text
        assert isinstance(text, str)
    for xml in sheet_xml(path).values():
        assert formula_cells(xml) == []
    # Each hostile cell is a string cell whose style carries the quote prefix.
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode()
    xfs = re.search(r"<cellXfs[^>]*>(.*)</cellXfs>", styles, re.S)
    assert xfs is not None
    formats = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", xfs.group(1), re.S)
    quoted = {i for i, xf in enumerate(formats) if 'quotePrefix="1"' in xf}
    cells = re.findall(r'<c r="[A-Z]+\d+" s="(\d+)" t="inlineStr"><is><t[^>]*>([^<]*)</t>', sheet_xml(path)["Requests"])
    for text in HOSTILE:
        styles_of = {int(s) for s, body in cells if html.unescape(body) == text}
        assert styles_of, text
        assert styles_of <= quoted, text


def test_sheet_is_protected_with_the_client_columns_unlocked(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    sheet = openpyxl.load_workbook(path)["Requests"]
    assert sheet.protection.sheet is True
    assert sheet.protection.autoFilter is False  # filters still work on the protected sheet
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:K22"
    validation = sheet.data_validations.dataValidation[0]
    assert validation.type == "list"
    assert validation.formula1 == '"open,received,follow-up"'
    assert str(validation.sqref) == "H2:H22"
    for column in "ABCDEFG":
        assert sheet[f"{column}2"].protection.locked is True
    for column in "HIJK":
        assert sheet[f"{column}2"].protection.locked is False
        assert sheet.column_dimensions[column].width > 10
    # Empty client cells take their column's style, which is unlocked; the team's columns have none.
    columns = {}
    for element in re.findall(r"<col [^>]*/>", sheet_xml(path)["Requests"]):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', element))
        columns[int(attributes["min"])] = attributes.get("style")
    assert all(columns[i] is None for i in range(1, 8))
    assert len({columns[i] for i in range(8, 12)}) == 1
    assert columns[8] is not None


def test_cover_sheet_names_the_engagement_period_instructions_and_time(
    hostile: HostileEngagement, tmp_path: Path
) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    cover = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Cover").to_python()
    text = "\n".join(" ".join(str(v) for v in row) for row in cover)
    assert "Client request list" in text
    assert "ACME-25 · Acme Hosting" in text
    assert "2025-01-01 to 2025-12-31" in text
    assert "2026-03-02 09:30 UTC by PR" in text
    assert "Fill in the yellow columns" in text
    assert "Requests 21" in text


def test_control_characters_are_removed_with_a_note(hostile: HostileEngagement, tmp_path: Path) -> None:
    request_services.create_request(hostile.store.uow("PR"), hostile.ref, description="Provide the\x07 policy\x00 v2")
    result = export_request_list(
        tmp_path / "r.xlsx", _cover(hostile), request_services.iter_requests(hostile.store.reader(), hostile.ref)
    )
    assert result.notes
    assert "control characters" in result.notes[0]
    assert "Requests!C23" in result.notes[0]
    values = [row[2] for row in openpyxl.load_workbook(result.path)["Requests"].iter_rows(values_only=True)]
    assert "Provide the policy v2" in values
    cover = CalamineWorkbook.from_path(str(result.path)).get_sheet_by_name("Cover").to_python()
    assert any("control characters" in str(v) for row in cover for v in row)
    # The list still reads back cleanly: the cleaned row is not an alteration.
    review = compare_request_list(read_returned_request_list(result.path), _stored(hostile))
    assert review.refused == ()


def _returned(path: Path, edit: Any) -> Path:
    book = openpyxl.load_workbook(path)
    edit(book)
    target = path.with_name("returned.xlsx")
    book.save(target)
    return target


def _text_cell(sheet: Any, ref: str, text: str) -> None:
    """Put text in a cell as a client's spreadsheet keeps it: a string, never a formula."""
    sheet[ref] = "placeholder"
    sheet[ref].value = text
    sheet[ref].data_type = "s"


def test_round_trip_client_edits_are_imported(hostile: HostileEngagement, tmp_path: Path) -> None:
    stored = {r.ref: r for r in _stored(hostile)}
    path = _export(hostile, tmp_path / "requests.xlsx")

    def edit(book: Any) -> None:
        sheet = book["Requests"]
        sheet["H8"] = "received"
        sheet["I8"] = "Exported from the ticketing system"
        sheet["J8"] = "CHG-export.pdf"
        sheet["K8"] = "Sent on 3 March"
        sheet["H9"] = "Follow-up"
        _text_cell(sheet, "I9", '=HYPERLINK("http://x","y")')
        sheet["I10"] = "=1+1"  # typed as a formula: its text is kept, not its result

    returned = _returned(path, edit)
    review = compare_request_list(read_returned_request_list(returned), stored.values())
    assert review.refused == ()
    assert [u.ref for u in review.updates] == ["R-0007", "R-0008", "R-0009"]
    assert review.updates[0].changes == (
        ("Status", "open", "received"),
        ("Response", "", "Exported from the ticketing system"),
        ("Evidence file name", "", "CHG-export.pdf"),
        ("Comments", "", "Sent on 3 March"),
    )
    assert any("I10 held a formula" in n for n in review.notes)
    outcome = request_services.apply_request_updates(
        hostile.store.uow("PR"), hostile.ref, review.updates, source=review.file_name, source_sha256=review.sha256
    )
    assert [r.ref for r in outcome.updated] == ["R-0007", "R-0008", "R-0009"]
    after = {r.ref: r for r in _stored(hostile)}
    assert after["R-0007"].status is RequestStatus.RECEIVED
    assert after["R-0007"].response == "Exported from the ticketing system"
    assert after["R-0007"].client_comment == "Sent on 3 March"
    assert after["R-0008"].status is RequestStatus.FOLLOW_UP
    assert after["R-0008"].response == '=HYPERLINK("http://x","y")'
    assert after["R-0009"].response == "=1+1"
    for ref in stored:
        if ref not in ("R-0007", "R-0008", "R-0009"):
            assert after[ref] == stored[ref]
    events = [e for e in services.recent_events(hostile.store.reader(), limit=10)]
    assert events[0].action == "request.import"
    assert events[0].after["updated"] == ["R-0007", "R-0008", "R-0009"]
    # The client's formula text goes out again as text.
    again = _export(hostile, tmp_path / "again.xlsx")
    values = {v for row in openpyxl.load_workbook(again)["Requests"].iter_rows(values_only=True) for v in row}
    assert {"=1+1", '=HYPERLINK("http://x","y")'} <= values
    assert all(formula_cells(xml) == [] for xml in sheet_xml(again).values())


def test_altered_auditor_columns_and_ids_are_refused_and_nothing_else_is_lost(
    hostile: HostileEngagement, tmp_path: Path
) -> None:
    stored = {r.ref: r for r in _stored(hostile)}
    path = _export(hostile, tmp_path / "requests.xlsx")

    def edit(book: Any) -> None:
        sheet = book["Requests"]
        sheet["F8"] = dt.datetime(2030, 1, 1)  # due date moved
        sheet["I8"] = "should not be taken"
        sheet["A9"] = "R-9999"  # ID changed
        sheet["I9"] = "nor this"
        sheet["C10"] = "Something else"  # what is requested, rewritten
        sheet["G11"] = "Someone else"  # assignee
        sheet["I12"] = "This one is fine"
        book.create_sheet("Our notes")["A1"] = "=1+1"

    returned = _returned(path, edit)
    review = compare_request_list(read_returned_request_list(returned), stored.values())
    refused = {r.row: r for r in review.refused}
    assert set(refused) == {8, 9, 10, 11}
    assert "Due date" in refused[8].reason
    assert refused[9].ref == "R-9999"
    assert refused[9].original_ref == "R-0008"
    assert "R-0008" in refused[9].reason
    assert "Requested" in refused[10].reason
    assert "Assignee" in refused[11].reason
    assert [u.ref for u in review.updates] == ["R-0011"]
    assert any("Our notes" in n for n in review.notes)
    outcome = request_services.apply_request_updates(
        hostile.store.uow("PR"), hostile.ref, review.updates, refused=review.refused, source=review.file_name
    )
    assert len(outcome.refused) == 4
    after = {r.ref: r for r in _stored(hostile)}
    assert after["R-0011"].response == "This one is fine"
    for ref in stored:
        if ref != "R-0011":
            assert after[ref] == stored[ref], ref


def test_client_cannot_accept_a_request(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    returned = _returned(path, lambda book: book["Requests"].__setitem__("H8", "accepted"))
    review = compare_request_list(read_returned_request_list(returned), _stored(hostile))
    assert review.updates == ()
    assert "only the audit team accepts" in review.refused[0].reason


def test_an_invalid_status_or_a_missing_id_is_refused(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")

    def edit(book: Any) -> None:
        sheet = book["Requests"]
        sheet["H8"] = "done"
        sheet["I30"] = "a new row the client added"

    review = compare_request_list(read_returned_request_list(_returned(path, edit)), _stored(hostile))
    reasons = {r.row: r.reason for r in review.refused}
    assert "not one of open, received, follow-up" in reasons[8]
    assert "no request ID" in reasons[30]


def test_the_import_is_refused_whole_on_a_released_engagement(hostile: HostileEngagement, tmp_path: Path) -> None:
    path = _export(hostile, tmp_path / "requests.xlsx")
    returned = _returned(path, lambda book: book["Requests"].__setitem__("I8", "answer"))
    review = compare_request_list(read_returned_request_list(returned), _stored(hostile))
    before = _stored(hostile)
    lock(hostile.store, hostile.ref)
    with pytest.raises(LockedError):
        request_services.apply_request_updates(hostile.store.uow("PR"), hostile.ref, review.updates)
    assert _stored(hostile) == before


def test_cancel_leaves_no_file_and_keeps_an_earlier_one(
    hostile: HostileEngagement, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.worksheet import _writer

    monkeypatch.setattr(excel_requests, "_PROGRESS_EVERY", 5)
    target = tmp_path / "requests.xlsx"
    target.write_bytes(b"earlier")
    steps = iter_export_request_list(
        target, _cover(hostile), request_services.iter_requests(hostile.store.reader(), hostile.ref), total=21
    )
    assert next(steps).total == 22
    progress = next(steps)
    assert (progress.done, progress.label) == (5, "Writing request 5 of 21")
    streams = [p for p in _writer.ALL_TEMP_FILES if Path(p).exists()]
    assert streams  # the sheets stream to temporary files while rows arrive
    steps.close()
    assert target.read_bytes() == b"earlier"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert not [p for p in streams if Path(p).exists()]


def test_csv_export_prefixes_formula_like_text(hostile: HostileEngagement, tmp_path: Path) -> None:
    result = export_request_list(
        tmp_path / "requests.csv", _cover(hostile), request_services.iter_requests(hostile.store.reader(), hostile.ref)
    )
    assert result.rows == 21
    text = (tmp_path / "requests.csv").read_text(encoding="utf-8-sig")
    assert "'+1+1" in text
    assert "'@SUM(A1)" in text
    assert "'-2" in text
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text


def _cli(*args: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    assert code == 0, err.getvalue()
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def test_cli_export_creates_requests_for_sampled_items_and_import_applies_clean_rows(
    store_path: Path, hostile: HostileEngagement, tmp_path: Path
) -> None:
    db = str(store_path)
    # A new sample after the last export: its items get requests when the list is exported.
    extra = services.select_sample(
        hostile.store.uow("PR"),
        hostile.ref,
        "AC-1",
        population_id=hostile.population_id,
        method="random",
        size=3,
        seed=11,
    )
    out = tmp_path / "list.xlsx"
    exported = _cli("--db", db, "--as", "PR", "--json", "export", "requests", hostile.ref, "-o", str(out))
    assert exported["path"] == str(out)
    assert exported["rows"] == 24
    assert exported["created"] == 3
    assert {
        r.item_key for r in request_services.list_requests(hostile.store.reader(), hostile.ref, sample_id=extra.id)
    } == set(extra.keys)

    def edit(book: Any) -> None:
        sheet = book["Requests"]
        sheet["H8"] = "received"
        sheet["I8"] = "Sent"
        sheet["A9"] = "R-9999"

    returned = _returned(out, edit)
    result = run_cli("--db", db, "--as", "PR", "--json", "import-requests", hostile.ref, str(returned))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["updated"] == 1
    assert [r["ref"] for r in document["refused"]] == ["R-9999"]
    assert document["refused"][0]["original_ref"] == "R-0008"
    listed = _cli("--db", db, "--json", "requests", hostile.ref, "--status", "received")
    assert "R-0007" in {r["ref"] for r in listed}
    # The same file again changes nothing more.
    again = _cli("--db", db, "--as", "PR", "--json", "import-requests", hostile.ref, str(returned))
    assert again["updated"] == 0


def test_cli_requests_from_a_sample_and_updates(store_path: Path, hostile: HostileEngagement) -> None:
    db = str(store_path)
    extra = services.select_sample(
        hostile.store.uow("PR"),
        hostile.ref,
        "AC-1",
        population_id=hostile.population_id,
        method="random",
        size=2,
        seed=3,
    )
    made = _cli(
        "--db",
        db,
        "--as",
        "PR",
        "--json",
        "requests",
        hostile.ref,
        "--from-sample",
        str(extra.id),
        "--due",
        "2099-01-15",
    )
    assert [r["item"] for r in made] == list(extra.keys)
    assert all(r["due_date"] == "2099-01-15" and r["status"] == "open" for r in made)
    assert made[0]["description"].startswith(f"Provide evidence for {extra.keys[0]} dated ")
    changed = _cli(
        "--db",
        db,
        "--as",
        "PR",
        "--json",
        "update-request",
        hostile.ref,
        made[0]["ref"],
        "--status",
        "follow-up",
        "--assignee",
        "Dana",
        "--due",
        "none",
    )
    assert changed[0]["status"] == "follow-up"
    assert changed[0]["assignee"] == "Dana"
    assert changed[0]["due_date"] is None
    overdue = _cli("--db", db, "--json", "requests", hostile.ref, "--overdue")
    assert [r["ref"] for r in overdue] == ["R-0021"]  # the organisation chart, due 2025-02-01


def test_a_list_of_another_engagement_is_refused_whole(hostile: HostileEngagement, tmp_path: Path) -> None:
    returned = read_returned_request_list(_export(hostile, tmp_path / "requests.xlsx"))
    assert returned.engagement_ref == "ACME-25"
    with pytest.raises(FileFormatError, match="request list of engagement ACME-25, not of OTHER-26"):
        compare_request_list(returned, _stored(hostile), engagement_ref="OTHER-26")
    assert compare_request_list(returned, _stored(hostile), engagement_ref="ACME-25").refused == ()


def test_files_that_are_not_a_request_list_are_refused_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("Request ID\nR-0001\n")
    with pytest.raises(FileFormatError, match="not an .xlsx workbook"):
        read_returned_request_list(tmp_path / "list.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FileFormatError, match="cannot be read as an Excel workbook"):
        read_returned_request_list(tmp_path / "broken.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["Something", "Else"])
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(FileFormatError, match="no Requests sheet"):
        read_returned_request_list(tmp_path / "other.xlsx")
    book.active.title = "Requests"
    book.active["A1"] = "Request ID"
    book.save(tmp_path / "partial.xlsx")
    with pytest.raises(FileFormatError, match="lacks the column"):
        read_returned_request_list(tmp_path / "partial.xlsx")
