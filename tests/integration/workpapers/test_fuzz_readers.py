"""Fuzzing the population readers: any file ends in a result or a typed error.

CSV files are drawn as text from pieces that matter to a CSV reader (delimiters,
quotes, line breaks of every kind, encodings, NUL and control characters, long
runs) under a header that usually names the mapped columns; XLSX files as
worksheets whose cells have odd, missing, lower-case or far references, every cell
type, formulas, shared and inline text, and sometimes damaged or lying ZIP bytes.

Each run of ``make test`` draws the same examples (the hypothesis profile of
tests/conftest.py is derandomized); ``tests/bench/bench_fuzz_readers.py`` draws
many more.  The limits are lowered for the XLSX fuzz so that a far cell the
limits allow still costs little to lay out.
"""

from __future__ import annotations

import resource
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import workpapers.limits as limits
from auditdesk.errors import AuditDeskError
from workpapers.population_file import ColumnMapping, PopulationReader, inspect_population_file

MAPPINGS = (
    ColumnMapping(key="Key", date="Date", amount="Amount"),
    ColumnMapping(key="Key", date="Date"),
    ColumnMapping(key="Key", date="Date", amount="Amount", date_format="%d/%m/%Y"),
)
#: Draw and report, without spending minutes on shrinking a failure in make test.
PHASES = (Phase.explicit, Phase.generate)
#: Memory the whole fuzz run may add to the process's peak.
MEMORY_BOUND = 400 << 20

# -- CSV ------------------------------------------------------------------------------------

_PIECES = [
    ",", ",", ",", ";", "\t", "|", '"', '"', '""', "\n", "\n", "\r\n", "\r", " ", "a", "Key", "Date",
    "T1", "T1#2", "é", "€", "$", "Zoë", "0", "12.50", "-3", "(4.00)", "$1,234.5", "1E+07", "9" * 30,
    "2025-01-31", "1/31/2025", "31.01.2025", "31-Jan-2025", "2025/02/30", "=SUM(A1)", "+1", "@x",
    "\x00", "\x01", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\ufeff", "\udc80"[:0], "x" * 300,
]  # fmt: skip
_HEADERS = [
    "Key,Date,Amount,Note\n", "Key;Date;Amount\r\n", "Key\tDate\tAmount\tNote\n", "Key|Date\n",
    '"Key","Date","Amount"\n', "\n\nKey,Date,Amount\n", "Key,Date,Key\n", "Key,,Date\n", "",
]  # fmt: skip
_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "utf-32"]

csv_text = st.builds(
    lambda header, body: header + "".join(body),
    st.sampled_from(_HEADERS),
    st.lists(st.sampled_from(_PIECES), max_size=120),
)
csv_bytes = st.one_of(
    st.builds(
        lambda text, encoding: text.encode(encoding, "replace"),
        csv_text,
        st.sampled_from(_ENCODINGS),
    ),
    st.binary(max_size=400),
    st.builds(lambda text, tail: text.encode() + tail, csv_text, st.binary(max_size=40)),
)


def read_population(path: Path, mapping: ColumnMapping) -> None:
    """Inspect and read ``path`` as the import does; typed errors are a result too."""
    try:
        preview = inspect_population_file(path, sheet=mapping.sheet)
        assert preview.headers
    except AuditDeskError as exc:
        _sentence(str(exc))
    try:
        reader = PopulationReader(path, mapping)
        rows = [row for batch in reader.batches() for row in batch.rows]
    except AuditDeskError as exc:
        _sentence(str(exc))
        return
    report = reader.report
    assert report.rows == len(rows)
    assert report.physical_lines is not None
    assert all(1 <= row[0] <= report.physical_lines for row in rows)
    for issue in report.issues:
        _sentence(issue.message)
        assert len(issue.value) <= 200


def _sentence(text: str) -> None:
    assert text[:1].isupper() or text[:1].isdigit(), text
    assert text.endswith("."), text
    assert "\n" not in text, text


@contextmanager
def bounded_memory() -> Iterator[None]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    yield
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert after - before < MEMORY_BOUND, f"peak memory grew by {(after - before) >> 20} MB"


@contextmanager
def scratch(suffix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / f"population{suffix}"


def fuzz_csv(data: bytes, mapping: ColumnMapping, path: Path) -> None:
    path.write_bytes(data)
    read_population(path, mapping)


@settings(max_examples=200, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_bytes, mapping=st.sampled_from(MAPPINGS))
def csv_examples(data: bytes, mapping: ColumnMapping) -> None:
    with scratch(".csv") as path:
        fuzz_csv(data, mapping, path)


def test_any_csv_ends_in_rows_or_a_sentence_within_bounded_memory() -> None:
    with bounded_memory():
        csv_examples()


# -- XLSX -----------------------------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>',
    "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>",
    "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    f'relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Key</t></is></c><c r="B1" t="inlineStr"><is><t>Date</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Amount</t></is></c><c r="D1" t="inlineStr"><is><t>Note</t></is></c></row>'
)
_TEXTS = ["K1", "K1", "2025-01-31", "1/31/2025", "12.50", "=1+1", "", " ", "é€", "a&amp;b", "x" * 200, "_x0001_"]
_VALUES = ["1", "45000", "45000.5", "-1", "1E+300", "1E-300", "0.1", "NaN", "x", "", "99999999999999999999"]

references = st.one_of(
    st.builds(lambda c, r: f' r="{c}{r}"', st.sampled_from(["A", "B", "C", "D", "E", "Z", "AA"]), st.integers(1, 60)),
    st.builds(lambda c, r: f' r="{c}{r}"', st.sampled_from(["a", "b", "AB", "XFD", "A0"]), st.integers(1, 60)),
    st.builds(lambda r: f' r="C{r}"', st.sampled_from([1000, 5000, 49999, 1048576, 99999999])),
    st.just(""),
    st.just(' s="1" r="B3"'),
    st.just(' r="garbage"'),
)
cells = st.builds(
    lambda ref, kind, text, value, formula: (
        f'<c{ref} t="inlineStr"><is><t>{text}</t></is></c>' if kind == "inlineStr"
        else f'<c{ref} t="inlineStr"><is><r><t>{text}</t></r><r><t>{text}</t></r></is></c>' if kind == "rich"
        else f"<c{ref}/>" if kind == "empty"
        else f'<c{ref}{"" if kind == "n" else f" t={chr(34)}{kind}{chr(34)}"}>{formula}<v>{value}</v></c>'
    ),
    references,
    st.sampled_from(["inlineStr", "rich", "n", "s", "b", "e", "str", "d", "empty"]),
    st.sampled_from(_TEXTS),
    st.sampled_from(_VALUES),
    st.sampled_from(["", "", "<f>SUM(A1:A2)</f>", '<f t="shared" si="0"/>', "<f>", "<f>1+1"]),
)
rows = st.builds(
    lambda number, body: f"<row{number}>{''.join(body)}</row>",
    st.one_of(st.builds(lambda n: f' r="{n}"', st.integers(2, 70)), st.just(""), st.just(' r="0"')),
    st.lists(cells, max_size=6),
)
sheets = st.builds(
    lambda header, body, tail: f'<?xml version="1.0"?><worksheet {_NS}><sheetData>{header}{"".join(body)}'
    f"</sheetData>{tail}</worksheet>",
    st.sampled_from([_HEADER_ROW, "", _HEADER_ROW.replace('r="1"', 'r="3"'), _HEADER_ROW.replace("<c ", "<c s='1' ")]),
    st.lists(rows, max_size=12),
    st.sampled_from(["", '<mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells>', "<extLst/>"]),
)
shared = st.one_of(
    st.just(None),
    st.builds(
        lambda texts: f'<sst {_NS}>{"".join(f"<si><t>{t}</t></si>" for t in texts)}</sst>',
        st.lists(st.sampled_from(_TEXTS), max_size=5),
    ),
)
damage = st.one_of(
    st.just(None),
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("size"), st.integers(0, 6), st.integers(0, 1 << 31)),
)


def build_xlsx(path: Path, sheet: str, strings: str | None, harm: tuple[str, int, int] | None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            zf.writestr("xl/sharedStrings.xml", strings)
    if harm is None:
        return
    data = bytearray(path.read_bytes())
    how, at, value = harm
    if how == "flip":
        data[at % len(data)] ^= value
    elif how == "cut":
        del data[at % len(data) :]
    else:  # state another unpacked size in the n-th central directory entry
        entry = -1
        for _ in range(at + 1):
            entry = data.find(b"PK\x01\x02", entry + 1)
        if entry >= 0:
            struct.pack_into("<I", data, entry + 24, value)
    path.write_bytes(bytes(data))


@contextmanager
def small_limits() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "MAX_SHEET_CELLS", 200_000)
        patch.setattr(limits, "MAX_CELL_BYTES", 4096)
        yield


def fuzz_xlsx(sheet: str, strings: str | None, harm: tuple[str, int, int] | None, mapping: ColumnMapping,
              path: Path) -> None:  # fmt: skip
    build_xlsx(path, sheet, strings, harm)
    read_population(path, mapping)


@settings(max_examples=150, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(sheet=sheets, strings=shared, harm=damage, mapping=st.sampled_from(MAPPINGS[:2]))
def xlsx_examples(sheet: str, strings: str | None, harm: tuple[str, int, int] | None, mapping: ColumnMapping) -> None:
    with small_limits(), scratch(".xlsx") as path:
        fuzz_xlsx(sheet, strings, harm, mapping, path)


def test_any_xlsx_ends_in_rows_or_a_sentence_within_bounded_memory() -> None:
    with bounded_memory():
        xlsx_examples()
