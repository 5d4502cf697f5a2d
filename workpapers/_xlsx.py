"""XLSX helpers: check a workbook against the limits, and find its formula cells.

python-calamine returns the last calculated value of a formula cell and cannot say
that it was a formula, so :func:`scan_formulas` streams the worksheet's XML part out
of the ZIP and looks for ``<f>`` elements with a plain byte search (no XML parse of
the sheet: that would cost more than calamine's whole read).

The reading library unpacks the shared text table when a workbook opens, and lays
out a whole worksheet in memory, every cell from A1 to the farthest one, when the
sheet is read.  So before either happens, the limits of :mod:`workpapers.limits`
are checked here: the ZIP directory's sizes (:func:`check_archive`), the longest
entry of the shared text table (:func:`check_shared_strings`), and, in the same
streaming pass as the formula search, the sheet's farthest and longest cells.

Finding the farthest cell must not cost a parse of every cell reference either.
For each megabyte the scan reads the number of the last ``<row r="N">`` and asks
one regular expression whether any cell lies outside the rows and columns seen so
far (or has no plain ``r="A1"`` reference first).  In a normal sheet none does;
when some cell does, that megabyte's references are read exactly, and a sheet
written unusually (cells without references, references after other attributes
or in lower case, rows out of order) gets a second pass that places every cell
the way the reading library does.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from auditdesk.errors import FileFormatError
from workpapers import limits

__all__ = [
    "FormulaCells",
    "SheetScan",
    "check_archive",
    "check_shared_strings",
    "column_letters",
    "scan_formulas",
    "worksheet_part",
]

_CHUNK = 1 << 20
_LOOKBACK = 8192
_MAX_FORMULA = 1 << 16
_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_SST = re.compile(rb"<([A-Za-z_][\w.-]*:)?sst[\s>]")
_OFFICE_DOCUMENT = "/officeDocument"
#: What reading a damaged part out of a ZIP archive may raise.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError, RuntimeError)
#: An attribute r="..." anywhere in a start tag's attributes (the exact pass).
_R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"\s*([A-Za-z]+)([0-9]+)\s*")

#: Formula cells of a sheet: 1-based row -> [(0-based column, "D5", "formula text")].
FormulaCells = dict[int, list[tuple[int, str, str]]]


@dataclass(frozen=True, slots=True)
class SheetScan:
    """What the streaming pass found: formula cells, those without a reference, and
    the sheet's extent (1-based last row and column any cell may lie in)."""

    formulas: FormulaCells
    unlocated: int
    rows: int
    columns: int


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
    except (KeyError, ElementTree.ParseError, *_ZIP_ERRORS):
        pass  # no (readable) package relationships: the usual place
    try:
        rels = _relationships(zf, workbook)
        root = ElementTree.fromstring(zf.read(workbook))
    except (KeyError, ElementTree.ParseError, *_ZIP_ERRORS):
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


# -- the archive ------------------------------------------------------------------------


def check_archive(data: bytes, name: str) -> None:
    """Refuse a workbook whose ZIP end record counts too many parts (before the
    directory of millions of entries would be parsed)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end >= 0 and len(data) >= end + 12:
        _too_many_parts(int.from_bytes(data[end + 10 : end + 12], "little"), name)


def _too_many_parts(count: int, name: str) -> None:
    if count > limits.MAX_PARTS:
        raise FileFormatError(
            f"The workbook {name} has more than {limits.MAX_PARTS:,} parts, so it is not a "
            "plain population workbook."
        )


def check_members(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse parts that unpack to too much, together or each for its packed size.

    The sizes are those the ZIP directory states; they are binding, as Python's
    ``zipfile`` and the reading library both stop with an error at a part's stated
    size, so a part cannot unpack to more than its directory entry says.
    """
    infos = archive.infolist()
    _too_many_parts(len(infos), name)
    if sum(info.file_size for info in infos) > limits.MAX_UNPACKED_BYTES:
        raise FileFormatError(
            f"The workbook {name} unpacks to more than {limits.MAX_UNPACKED_BYTES:,} bytes, the "
            "most a population workbook may; save the population as CSV instead."
        )
    ratio = limits.MAX_COMPRESSION_RATIO
    for info in infos:
        if info.file_size >= limits.RATIO_CHECKED_FROM and info.file_size > ratio * max(1, info.compress_size):
            raise FileFormatError(
                f"The workbook {name} is refused: its part {info.filename} unpacks to more "
                f"than {ratio} times its packed size, which no spreadsheet needs."
            )


def _stream(zf: zipfile.ZipFile, part: str, name: str, consume: Callable[[bytes, bool], None]) -> None:
    """Feed ``part`` to ``consume(chunk, eof)``; unpacking errors become one sentence."""
    try:
        with zf.open(part) as stream:
            chunk = stream.read(max(_CHUNK, 4096))
            while True:
                more = stream.read(_CHUNK)
                consume(chunk, not more)
                if not more:
                    return
                chunk = more
    except _ZIP_ERRORS as exc:
        raise FileFormatError(
            f"The workbook {name} is damaged: its part {part} cannot be unpacked ({exc})."
        ) from None


# -- long cells ---------------------------------------------------------------------------


class _LongCells:
    """Finds an entry (a cell, or an item of the shared text table) longer than two
    blocks of :data:`~workpapers.limits.MAX_CELL_BYTES`, with a few finds per block.

    Blocks of that size are aligned on the part's offsets, so an entry twice as long
    holds a whole block.  A block is flagged when it has no end of an entry and
    either no tag at all (plain text) or text elements but no start of an entry:
    its bytes then lie inside one entry.  ``region`` bounds the blocks looked at
    (for a sheet, its sheetData element).
    """

    def __init__(self, prefix: bytes, entry: bytes, where: str) -> None:
        self.end_tag = b"</" + prefix + entry + b">"
        self.starts = tuple(b"<" + prefix + entry + tail for tail in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
        self.texts = tuple(b"<" + prefix + tag for tag in (b"t>", b"t ", b"v>", b"v "))
        self.where = where
        self.next = 0

    def check(self, buf: bytes, base: int, upto: int, region: tuple[int, int | None] | None) -> None:
        """Check the blocks that end by ``upto``; ``buf`` holds the part from ``base``."""
        size = limits.MAX_CELL_BYTES
        while self.next + size <= upto:
            start = self.next
            self.next += size
            if region is None or start < region[0] or (region[1] is not None and start + size > region[1]):
                continue
            a, b = start - base, start - base + size
            if buf.find(self.end_tag, a, b) >= 0:
                continue
            if buf.find(b"<", a, b) < 0 or (
                any(buf.find(tag, a, b) >= 0 for tag in self.texts)
                and not any(buf.find(tag, a, b) >= 0 for tag in self.starts)
            ):
                raise FileFormatError(
                    f"{_capital(self.where)} holds a cell of more than {size // 1024:,} KB, far "
                    f"more than the {limits.MAX_CELL_CHARS:,} characters a cell may hold."
                )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class _SharedStrings:
    def __init__(self, where: str) -> None:
        self.where = where
        self.long: _LongCells | None = None
        self.buf = b""
        self.base = 0

    def feed(self, chunk: bytes, eof: bool) -> None:
        buf = self.buf + chunk
        if self.long is None:
            root = _SST.search(buf[:4096])
            self.long = _LongCells(root.group(1) or b"" if root else b"", b"si", self.where)
        self.long.check(buf, self.base, self.base + len(buf), (0, None))
        keep = max(0, self.long.next - self.base)
        self.buf, self.base = buf[keep:], self.base + keep


def check_shared_strings(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse a shared text table with an entry too long to hold, before the reading
    library unpacks it (it keeps the whole table in memory)."""
    for part in zf.namelist():
        if part.lower().endswith("sharedstrings.xml"):
            _stream(zf, part, name, _SharedStrings(f"the shared text table in {name}").feed)


# -- the sheet's extent ---------------------------------------------------------------------


def _at_most(bound: str, digits: bool) -> str:
    """A pattern for numerals (or column letters) of ``len(bound)`` characters that
    are not greater than ``bound``."""
    low, top = ("0", "9") if digits else ("A", "Z")
    alternatives: list[str] = []
    for index, char in enumerate(bound):
        first = "1" if digits and index == 0 else low
        rest = len(bound) - index - 1
        tail = f"[{low}-{top}]{{{rest}}}" if rest else ""
        if char > first:
            alternatives.append(f"{bound[:index]}[{first}-{chr(ord(char) - 1)}]{tail}")
    alternatives.append(bound)
    return "(?:" + "|".join(alternatives) + ")"


def _shorter(bound: str, digits: bool) -> str:
    if len(bound) < 2:
        return ""
    head = "[1-9][0-9]" if digits else "[A-Z][A-Z]"
    return f"|{head}{{0,{len(bound) - 2}}}"


def _normal_cells(prefix: bytes, columns: int, rows: int) -> re.Pattern[bytes]:
    """Cells not written as ``<c r="A1"`` within ``columns`` and ``rows``."""
    letters = column_letters(columns - 1)
    numeral = str(rows)
    refs = (
        f"(?:{_at_most(letters, False)}{_shorter(letters, False)})"
        f"(?:{_at_most(numeral, True)}{_shorter(numeral, True)})"
    )
    return re.compile(b"<" + prefix + b'c(?=[\\s/>])(?! r="' + refs.encode() + b'")')


class _Extent:
    """The last row and column any cell of the sheet may lie in, from the stream."""

    def __init__(self, prefix: bytes, where: str) -> None:
        self.prefix = prefix
        self.where = where
        self.rows = 0
        self.columns = 0
        self.unusual = False
        self.row_tag = b"<" + prefix + b'row r="'
        self.refs = re.compile(b"<" + prefix + rb'c r="([A-Z]{1,3})([1-9][0-9]{0,7})"')
        self.pattern: re.Pattern[bytes] | None = None
        self.key = (0, 0)

    def span(self, buf: bytes, a: int, b: int) -> None:
        """Take in ``buf[a:b]``, a run of complete tags."""
        if self.unusual:
            return
        rows = self.rows
        at = buf.rfind(self.row_tag, a, b)
        if at >= 0:
            start = at + len(self.row_tag)
            end = buf.find(b'"', start, b)
            numeral = buf[start:end]
            if numeral.isdigit() and numeral[:1] != b"0" and len(numeral) <= 8:
                rows = max(rows, int(numeral))
        if self.columns == 0 or self._outside(buf, a, b, rows):
            self._exact(buf, a, b)
            rows = max(rows, self.rows)
            if self._outside(buf, a, b, rows):
                self.unusual = True
                return
        self.rows = rows
        self.check(None)

    def _outside(self, buf: bytes, a: int, b: int, rows: int) -> bool:
        if self.columns == 0 or rows == 0:
            return True
        if self.key != (self.columns, rows) or self.pattern is None:
            self.pattern, self.key = _normal_cells(self.prefix, self.columns, rows), (self.columns, rows)
        return self.pattern.search(buf, a, b) is not None

    def _exact(self, buf: bytes, a: int, b: int) -> None:
        refs = self.refs.findall(buf, a, b)
        if not refs:
            return
        # The cell farthest right, then the one farthest down, name the extent.
        letters, numeral = max(refs, key=lambda ref: (len(ref[0]), ref[0]))
        self.place(int(numeral), _column_index(letters) + 1, letters.decode() + numeral.decode())
        letters, numeral = max(refs, key=lambda ref: (len(ref[1]), ref[1]))
        self.place(int(numeral), _column_index(letters) + 1, letters.decode() + numeral.decode())

    def place(self, row: int, column: int, ref: str | None = None) -> None:
        """Take in one cell (1-based), checking the limits as soon as it is known."""
        if row > self.rows or column > self.columns:
            self.rows, self.columns = max(self.rows, row), max(self.columns, column)
            self.check(ref or f"{column_letters(column - 1)}{row}")

    def check(self, ref: str | None) -> None:
        rows, columns = self.rows, self.columns
        cell = ref or f"{column_letters(max(0, columns - 1))}{rows}"
        where = _capital(self.where)
        if rows > limits.MAX_ROWS:
            raise FileFormatError(
                f"{where} has a cell in row {rows:,} ({cell}), past the {limits.MAX_ROWS:,} rows "
                "a population sheet may have."
            )
        if columns > limits.MAX_COLUMNS:
            raise FileFormatError(
                f"{where} has a cell in column {column_letters(columns - 1)} ({cell}), past the "
                f"{limits.MAX_COLUMNS:,} columns a population sheet may have."
            )
        if rows * columns > limits.MAX_SHEET_CELLS:
            raise FileFormatError(
                f"{where} spans {rows:,} rows by {columns:,} columns (cell {cell}), more than the "
                f"{limits.MAX_SHEET_CELLS:,} cells a population sheet may have."
            )


class _ExactExtent:
    """The second pass for unusual sheets: every row and cell start tag, placed the
    way the reading library places them (a reference wins; without one a row follows
    the previous row and a cell the previous cell of its row)."""

    def __init__(self, extent: _Extent) -> None:
        self.extent = extent
        prefix = re.escape(extent.prefix)
        self.tags = re.compile(b"<" + prefix + rb"(row|c)(?=[\s/>])([^>]*)>")
        self.row = 0
        self.column = 0
        self.carry = b""

    def feed(self, chunk: bytes, eof: bool) -> None:
        buf = self.carry + chunk
        cut = len(buf) if eof else buf.rfind(b">") + 1
        if not eof and len(buf) - cut > 2 * limits.MAX_CELL_BYTES:
            cut = len(buf) - limits.MAX_CELL_BYTES  # a text that long holds no tag
        for name, attributes in self.tags.findall(buf, 0, cut):
            found = _R_ATTRIBUTE.search(attributes)
            value = (found.group(1) or found.group(2) or b"") if found else None
            if name == b"row":
                self.row = int(value) if value is not None and value.strip().isdigit() else self.row + 1
                self.column = 0
                continue
            ref = _CELL_REF.fullmatch(value) if value is not None else None
            if ref is not None:
                self.column = _column_index(ref.group(1).upper()) + 1
                row = int(ref.group(2))
                self.extent.place(row, self.column, f"{ref.group(1).upper().decode()}{row}")
            else:
                self.column += 1
                self.extent.place(max(self.row, 1), self.column)
        self.carry = buf[cut:]


class _Stream:
    """One pass over a worksheet part: formulas, extent and long cells together."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.prefix = b""
        self.scanner: _Scanner | None = None
        self.extent: _Extent | None = None
        self.long: _LongCells | None = None
        self.buf = b""
        self.pos = 0
        # The limits window: the part from ``base`` on, checked up to ``done``.
        self.window = b""
        self.base = 0
        self.done = 0
        self.data: tuple[int, int | None] | None = None

    def feed(self, chunk: bytes, eof: bool) -> None:
        if self.scanner is None:
            root = _ROOT.search(chunk[:4096])
            prefix = self.prefix = root.group(1) or b"" if root else b""
            self.scanner = _Scanner(prefix)
            self.extent = _Extent(prefix, self.where)
            self.long = _LongCells(prefix, b"c", self.where)
        self._formulas(chunk, eof)
        self._limits(chunk, eof)

    def _formulas(self, chunk: bytes, eof: bool) -> None:
        assert self.scanner is not None
        buf = self.buf + chunk
        pos = self.scanner.process(buf, self.pos, eof)
        cut = max(0, pos - _LOOKBACK)
        self.buf, self.pos = buf[cut:], pos - cut

    def _limits(self, chunk: bytes, eof: bool) -> None:
        assert self.extent is not None
        assert self.long is not None
        window = self.window + chunk
        base, end = self.base, self.base + len(self.window) + len(chunk)
        start = self.done - base
        cut = len(window) if eof else window.rfind(b">", start) + 1
        if cut > start:
            self._region(window, base, start, cut)
            self.extent.span(window, start, cut)
            self.done = base + cut
        elif end - self.done > 2 * limits.MAX_CELL_BYTES:
            self.done = end - limits.MAX_CELL_BYTES  # a text that long holds no tag
        self.long.check(window, base, self.done, self.data)
        keep = min(self.done, self.long.next) - base
        self.window, self.base = window[keep:], base + keep

    def _region(self, window: bytes, base: int, a: int, b: int) -> None:
        # Blocks are looked at from the start of sheetData on.  Its end is not looked
        # for (a search through every megabyte): the parts after it hold no text
        # elements and no long plain text, so their blocks are never flagged.
        if self.data is None:
            at = window.find(b"<" + self.prefix + b"sheetData", a, b)
            if at >= 0:
                self.data = (base + at, None)


def scan_formulas(
    zf: zipfile.ZipFile, part: str, name: str, where: str | None = None
) -> tuple[FormulaCells, int]:
    """Formula cells of the worksheet ``part`` and the count of those without a reference.

    ``name`` is the workbook's file name, for the error raised when the part is damaged.
    """
    found = scan_sheet(zf, part, name, where or f"the worksheet {part} in {name}")
    return found.formulas, found.unlocated


def scan_sheet(zf: zipfile.ZipFile, part: str, name: str, where: str) -> SheetScan:
    """Stream the worksheet ``part`` once: its formula cells, and the limits on its
    extent and cell sizes (:class:`FileFormatError` naming ``where`` past one)."""
    stream = _Stream(where)
    _stream(zf, part, name, stream.feed)
    assert stream.scanner is not None
    assert stream.extent is not None
    extent = stream.extent
    if extent.unusual:
        extent.unusual = False
        _stream(zf, part, name, _ExactExtent(extent).feed)
    return SheetScan(stream.scanner.cells, stream.scanner.unlocated, extent.rows, extent.columns)
