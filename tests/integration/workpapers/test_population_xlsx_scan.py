"""Formula cells found in the worksheet XML of an XLSX file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import workpapers._xlsx as xlsx
from auditdesk.errors import FileFormatError
from workpapers._xlsx import column_letters, scan_formulas, worksheet_part

_WORKBOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Loose" sheetId="2"/>'
    '<sheet name="Gone" sheetId="3" r:id="rId9"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="x/worksheet" Target="/xl/worksheets/data.xml"/>'
    '<Relationship Id="rId9" Type="x/worksheet" Target="worksheets/missing.xml"/>'
    "</Relationships>"
)
_ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def _sheet(prefix: str, cells: str) -> str:
    ns = f"xmlns{':' + prefix[:-1] if prefix else ''}"
    return (
        f'<?xml version="1.0"?><{prefix}worksheet {ns}="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><{prefix}sheetData>{cells}</{prefix}sheetData>'
        f"<{prefix}headerFooter><{prefix}firstHeader>x</{prefix}firstHeader>"
        f"</{prefix}headerFooter></{prefix}worksheet>"
    )


def _book(path: Path, sheet_xml: str, *, root_rels: bool = True) -> zipfile.ZipFile:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if root_rels:
            zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/data.xml", sheet_xml)
    return zipfile.ZipFile(path)


FILLER = "".join(f'<row r="{n}"><c r="Z{n}"><v>{n}</v></c></row>' for n in range(100, 400))
CELLS = FILLER + (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><f>SUM(A2:A9)</f><v>3</v></c></row>'
    '<row r="2"><c r="A2" s="1"><f t="shared" ref="A2:A3" si="0">B2&amp;"x"</f><v>1</v></c>'
    '<c r="AB2"><f t="shared" si="0"/><v>2</v></c><c r="C2"><v>5</v></c></row>'
    '<row r="3"><c r="A3"/><c><f>1+1</f><v>2</v></c><c r="D3"><f>LONG'
    + "X" * 300
    + "</f></c></row>"
)


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
@pytest.mark.parametrize("prefix", ["", "x:"])
def test_scan_finds_every_formula(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, prefix: str
) -> None:
    monkeypatch.setattr(xlsx, "_CHUNK", chunk)
    monkeypatch.setattr(xlsx, "_MAX_FORMULA", 200)
    cells = CELLS.replace("<", "<" + prefix).replace("<" + prefix + "/", "</" + prefix)
    with _book(tmp_path / "b.xlsx", _sheet(prefix, cells)) as zf:
        part = worksheet_part(zf, "Data")
        assert part == "xl/worksheets/data.xml"
        found, unlocated = scan_formulas(zf, part, "b.xlsx")
    assert unlocated == 1
    long_text = "" if chunk < 300 else "LONG" + "X" * 300
    assert found == {
        1: [(1, "B1", "SUM(A2:A9)")],
        2: [(0, "A2", 'B2&"x"'), (27, "AB2", "")],
        3: [(3, "D3", long_text)],
    }


def test_worksheet_part_edge_cases(tmp_path: Path) -> None:
    with _book(tmp_path / "b.xlsx", _sheet("", ""), root_rels=False) as zf:
        assert worksheet_part(zf, "Data") == "xl/worksheets/data.xml"
        assert worksheet_part(zf, "Loose") is None  # no relationship id
        assert worksheet_part(zf, "Gone") is None  # the target part is missing
        assert worksheet_part(zf, "Nope") is None
    with zipfile.ZipFile(tmp_path / "bare.xlsx", "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with zipfile.ZipFile(tmp_path / "bare.xlsx") as zf:
        assert worksheet_part(zf, "Data") is None


def test_scan_of_damaged_data(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    _book(path, _sheet("", CELLS * 50)).close()
    data = bytearray(path.read_bytes())
    start = data.index(b"xl/worksheets/data.xml") + 40
    data[start : start + 200] = bytes(200)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(FileFormatError, match="is damaged"):
        scan_formulas(zf, "xl/worksheets/data.xml", "b.xlsx")


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
