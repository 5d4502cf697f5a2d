"""XLSX helpers: open a workbook safely and find its formula cells.

python-calamine returns the last calculated value of a formula cell and cannot say
that it was a formula, so :func:`scan_formulas` streams the worksheet's XML part out
of the ZIP and looks for ``<f>`` elements with a plain byte search (no XML parse of
the sheet: that would cost more than calamine's whole read).
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from xml.etree import ElementTree

from auditdesk.errors import FileFormatError

__all__ = ["FormulaCells", "column_letters", "scan_formulas", "worksheet_part"]

_CHUNK = 1 << 20
_LOOKBACK = 8192
_MAX_FORMULA = 1 << 16
_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_OFFICE_DOCUMENT = "/officeDocument"

#: Formula cells of a sheet: 1-based row -> [(0-based column, "D5", "formula text")].
FormulaCells = dict[int, list[tuple[int, str, str]]]


def column_letters(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (char - 64)
    return index - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element: ElementTree.Element, local: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == local:
            return value
    return None


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, absolute target part) of ``part``."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    result: dict[str, tuple[str, str]] = {}
    root = ElementTree.fromstring(zf.read(rels_part))
    for rel in root:
        target = rel.get("Target", "")
        base = "" if target.startswith("/") else folder
        full = posixpath.normpath(posixpath.join(base, target.lstrip("/")))
        result[rel.get("Id", "")] = (rel.get("Type", ""), full)
    return result


def worksheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The ZIP member holding worksheet ``sheet``, or None if it cannot be found."""
    workbook = "xl/workbook.xml"
    try:
        for kind, target in _relationships(zf, "").values():
            if kind.endswith(_OFFICE_DOCUMENT):
                workbook = target
    except (KeyError, ElementTree.ParseError):
        pass  # no package relationships: the usual place
    try:
        rels = _relationships(zf, workbook)
        root = ElementTree.fromstring(zf.read(workbook))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return None
    for element in root.iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet:
            rel_id = _attribute(element, "id")
            found = rels.get(rel_id or "")
            return found[1] if found and found[1] in zf.namelist() else None
    return None


class _Scanner:
    def __init__(self, prefix: bytes) -> None:
        self.f_open = b"<" + prefix + b"f"
        self.f_close = b"</" + prefix + b"f>"
        self.c_open = b"<" + prefix + b"c "
        self.c_close = b"</" + prefix + b"c>"
        self.cells: FormulaCells = {}
        self.unlocated = 0

    def record(self, buf: bytes, at: int, text: bytes) -> None:
        start = buf.rfind(self.c_open, max(0, at - _LOOKBACK), at)
        match = None
        # The cell's own start tag: no end of another cell between it and the formula.
        if start >= 0 and buf.find(self.c_close, start, at) < 0 and buf.find(b"/>", start, at) < 0:
            match = _REF.search(buf, start, at)
        if match is None:
            self.unlocated += 1
            return
        column, row = match.group(1), int(match.group(2))
        formula = html.unescape(text.decode("utf-8", "replace"))
        ref = column.decode("ascii") + str(row)
        self.cells.setdefault(row, []).append((_column_index(column), ref, formula))

    def process(self, buf: bytes, pos: int, eof: bool) -> int:
        """Record the complete formula elements from ``pos``; return where to resume."""
        opening = len(self.f_open)
        while True:
            at = buf.find(self.f_open, pos)
            if at < 0:
                return max(pos, len(buf) - opening)
            tag_end = buf.find(b">", at)
            if tag_end < 0:
                return len(buf) if eof else at
            if buf[at + opening : at + opening + 1] not in (b">", b" ", b"/"):
                pos = at + opening
                continue
            if buf[tag_end - 1 : tag_end] == b"/":
                text, pos = b"", tag_end + 1
            else:
                close = buf.find(self.f_close, tag_end)
                if close < 0 and not eof and len(buf) - at < _MAX_FORMULA:
                    return at
                if close < 0:
                    text, pos = b"", tag_end + 1
                else:
                    text, pos = buf[tag_end + 1 : close], close + len(self.f_close)
            self.record(buf, at, text)


def scan_formulas(zf: zipfile.ZipFile, part: str, name: str) -> tuple[FormulaCells, int]:
    """Formula cells of the worksheet ``part`` and the count of those without a reference.

    ``name`` is the workbook's file name, for the error raised when the part is damaged.
    """
    try:
        with zf.open(part) as stream:
            buf = stream.read(max(_CHUNK, 4096))
            root = _ROOT.search(buf[:4096])
            scanner = _Scanner(root.group(1) or b"" if root else b"")
            pos = 0
            while True:
                more = stream.read(_CHUNK)
                pos = scanner.process(buf, pos, eof=not more)
                if not more:
                    return scanner.cells, scanner.unlocated
                cut = max(0, pos - _LOOKBACK)
                buf = buf[cut:] + more
                pos -= cut
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise FileFormatError(
            f"The workbook {name} is damaged: its worksheet data cannot be unpacked ({exc})."
        ) from None
