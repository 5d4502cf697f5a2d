"""Text files of unknown encoding, read in large chunks that end at line breaks.

Encoding: a byte order mark decides (UTF-8, UTF-16, UTF-32); without one the file is
read as UTF-8, and from the first byte that is not valid UTF-8 on as Windows-1252
(cp1252), which :class:`TextSource` records so the caller can report it.  When the
bytes before that point were plain ASCII (the usual case: an accented letter in a
cp1252 export) this equals decoding the whole file as cp1252, without a second pass.
A byte undefined in cp1252 too (0x81, 0x8D, 0x8F, 0x90, 0x9D) stops the read with a
:class:`FileFormatError` naming its offset; so does a NUL character or binary content.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import stat
from collections.abc import Generator, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from auditdesk.errors import FileFormatError
from workpapers import limits

__all__ = [
    "CHUNK_SIZE",
    "DELIMITERS",
    "DELIMITER_NAMES",
    "TextSource",
    "no_table_error",
    "open_binary",
    "sniff_delimiter",
]

CHUNK_SIZE = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
#: How a message names each delimiter.
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "| characters"}
_SNIFF_ROWS = 51
_KINDS = (
    (stat.S_ISFIFO, "a pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)
#: Characters str.splitlines() breaks at but the csv module does not.
_ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")
_CONTROL_CHARS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v"] + ["\x7f"]
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def open_binary(path: Path, name: str) -> BinaryIO:
    """Open the regular file ``path`` for reading bytes; anything else is refused.

    The file is opened without blocking and checked before a byte is read, so a
    named pipe without a writer cannot hang the reader, and a pipe, device or socket
    is refused by name.  OS errors become one-sentence errors.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileFormatError(f"The file {name} does not exist.") from None
    except IsADirectoryError:
        raise FileFormatError(f"The path {name} is a folder, not a file.") from None
    except PermissionError:
        if path.is_dir():
            raise FileFormatError(f"The path {name} is a folder, not a file.") from None
        raise FileFormatError(f"The file {name} cannot be read: permission denied.") from None
    except OSError as exc:
        raise FileFormatError(f"The file {name} cannot be read: {exc.strerror}.") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:  # pragma: no cover - fstat of an open descriptor
        os.close(fd)
        raise FileFormatError(f"The file {name} cannot be read: {exc.strerror}.") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise FileFormatError(f"The path {name} is a folder, not a file.")
        raise FileFormatError(
            f"The path {path} is {_kind(mode)}, not a regular file; save the population to a "
            "file and choose that file."
        )
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _kind(mode: int) -> str:
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "a special file"  # pragma: no cover - every other file type is listed above


class TextSource:
    """Decoded text of one file, as lists of lines.

    Iterate :meth:`lines` once; meanwhile ``bytes_read`` counts the bytes taken from
    the file (progress), and afterwards ``sha256`` is the digest of every byte read,
    ``encoding`` the name of the encoding used ("utf-8", "utf-8-sig", "utf-16",
    "utf-32" or "cp1252"), and ``fallback_offset`` / ``fallback_line`` where the file
    stopped being UTF-8 (None if it never did); ``mixed`` is true when valid non-ASCII
    UTF-8 came before that point (the file mixes encodings).  ``lines_read`` counts the
    physical lines yielded so far.

    Once ``delimiter`` is set, a chunk of text whose lines hold more delimiters than
    :data:`workpapers.limits.MAX_COLUMNS` on average is refused before the CSV reader
    splits it (a line of a million commas would otherwise become a million cells).
    """

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.size = 0
        self.bytes_read = 0
        self.encoding = "utf-8"
        self.fallback_offset: int | None = None
        self.fallback_line: int | None = None
        self.mixed = False
        self.lines_read = 0
        self.delimiter: str | None = None
        self._hash = hashlib.sha256()
        self._pending = b""
        self._consumed = 0
        self._newlines = 0
        self._non_ascii = False
        self._incremental: codecs.IncrementalDecoder | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes read so far (the whole file once exhausted)."""
        return self._hash.hexdigest()

    # -- decoding ---------------------------------------------------------------

    def _undecodable(self, offset: int, byte: int) -> FileFormatError:
        return FileFormatError(
            f"The file {self.name} cannot be read as text: the byte 0x{byte:02X} at offset "
            f"{offset} is valid neither in UTF-8 nor in Windows-1252; save it as UTF-8 CSV."
        )

    def _cp1252(self, data: bytes, base: int) -> str:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise self._undecodable(base + exc.start, data[exc.start]) from None

    def _decode(self, data: bytes, final: bool) -> str:
        if self._incremental is not None:
            try:
                return self._incremental.decode(data, final)
            except UnicodeDecodeError as exc:
                offset = self.bytes_read - len(data) + exc.start
                raise self._undecodable(offset, exc.object[exc.start]) from None
        if self.encoding == "cp1252":
            base = self._consumed
            self._consumed += len(data)
            return self._cp1252(data, base)
        data = self._pending + data if self._pending else data
        try:
            text, used = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError as exc:
            good = data[: exc.start]
            text = codecs.utf_8_decode(good, "strict", True)[0]
            self.fallback_offset = self._consumed + exc.start
            self.fallback_line = self._newlines + good.count(b"\n") + 1
            self.mixed = self._non_ascii or not good.isascii()
            self.encoding = "cp1252"
            self._pending = b""
            rest = data[exc.start :]
            self._consumed = self.fallback_offset + len(rest)
            return text + self._cp1252(rest, self.fallback_offset)
        self._pending = data[used:]
        self._consumed += used
        self._newlines += data.count(b"\n")
        if not self._non_ascii and not text.isascii():
            self._non_ascii = True
        return text

    def _start(self, head: bytes) -> bytes:
        """Choose the encoding from the first bytes; return them without a UTF-8 BOM."""
        for bom, encoding in _BOMS:
            if head.startswith(bom):
                self.encoding = encoding
                if encoding == "utf-8-sig":
                    self._consumed = len(bom)
                    return head[len(bom) :]
                self._incremental = codecs.getincrementaldecoder(encoding)("strict")
                return head
        if b"\x00" in head:
            sample = head[:4096]
            if (
                sample[1::2].count(0) * 10 > len(sample) * 4
                or sample[::2].count(0) * 10 > len(sample) * 4
            ):
                raise FileFormatError(
                    f"The file {self.name} looks like UTF-16 text without a byte order mark; "
                    "save it as UTF-8 CSV."
                )
            raise FileFormatError(
                f"The file {self.name} contains binary data, so it is not a CSV text file."
            )
        return head

    def _check_text(self, text: str, first: bool) -> None:
        if "\x00" in text:
            raise FileFormatError(
                f"The file {self.name} contains a NUL character near byte {self.bytes_read}, "
                "so it is not a CSV text file."
            )
        if first:
            sample = text[:65536]
            controls = sum(map(sample.count, _CONTROL_CHARS))
            if controls > max(8, len(sample) // 100):
                raise FileFormatError(
                    f"The file {self.name} contains binary data, so it is not a CSV text file."
                )

    def _decoded(self, fh: BinaryIO) -> Iterator[str]:
        head = fh.read(CHUNK_SIZE)
        if not head:
            raise FileFormatError(f"The file {self.name} is empty.")
        self._hash.update(head)
        self.bytes_read = len(head)
        data = self._start(head)
        first = True
        while True:
            more = fh.read(CHUNK_SIZE)
            text = self._decode(data, final=not more)
            self._check_text(text, first)
            first = False
            yield text
            if not more:
                return
            self._hash.update(more)
            self.bytes_read += len(more)
            data = more

    def lines(self) -> Generator[list[str], None, None]:
        """Yield the decoded text as lists of lines, each with its line break.

        Lines break at LF, CR LF and CR only (like ``newline=""``), so the
        csv module sees the file as if it had opened it itself.
        """
        with open_binary(self.path, self.name) as fh:
            try:
                self.size = max(1, _file_size(fh))
                carry = ""
                for text in self._decoded(fh):
                    if any(map(text.__contains__, _ODD_BREAKS)) or (
                        not text.isascii() and any(map(text.__contains__, _UNICODE_BREAKS))
                    ):
                        lines = io.StringIO(text, newline="").readlines()
                    else:
                        lines = text.splitlines(True)
                    if not lines:
                        continue
                    if carry:
                        if carry[-1] != "\r" or lines[0] == "\n":
                            lines[0] = carry + lines[0]
                        else:
                            lines.insert(0, carry)
                    last = lines[-1]
                    carry = lines.pop() if last[-1] not in "\n" else ""
                    if len(carry) > limits.MAX_LINE_CHARS:
                        raise FileFormatError(
                            f"The file {self.name} has a line longer than "
                            f"{limits.MAX_LINE_CHARS:,} characters, so it is not a CSV "
                            "population file."
                        )
                    if lines:
                        if self.delimiter is not None and len(text) >= limits.MAX_COLUMNS * len(lines):
                            self.check_width(lines, self.lines_read + 1)
                        self.lines_read += len(lines)
                        yield lines
                if carry:
                    if self.delimiter is not None:
                        self.check_width([carry], self.lines_read + 1)
                    self.lines_read += 1
                    yield [carry]
            except OSError as exc:
                raise FileFormatError(
                    f"The file {self.name} could not be read to the end: {exc.strerror}."
                ) from None


    def check_width(self, lines: list[str], first_line: int) -> None:
        """Refuse ``lines`` (from line ``first_line`` on) if they average more delimiters
        than a row may have cells; the message names the first line with too many."""
        delimiter = self.delimiter
        assert delimiter is not None
        most = limits.MAX_COLUMNS
        if sum(line.count(delimiter) for line in lines) <= most * len(lines):
            return
        for number, line in enumerate(lines, first_line):
            cells = line.count(delimiter) + 1
            if cells > most:
                raise FileFormatError(
                    f"Line {number} of {self.name} has {cells:,} cells, more than the {most:,} "
                    "a population row may have."
                )


def _file_size(fh: BinaryIO) -> int:
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    return size


def _trimmed_width(row: list[str]) -> int:
    width = len(row)
    while width and not row[width - 1].strip():
        width -= 1
    return width


def sniff_delimiter(sample: str) -> str | None:
    """The delimiter among , ; tab | that splits ``sample`` into a consistent table.

    The header (first non-blank line) must have at least two named columns, and most
    following lines the same number of cells; None when no candidate does.
    """
    sample = _trimmed(sample)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            rows = [
                row
                for row in islice(
                    csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), _SNIFF_ROWS
                )
                if any(cell.strip() for cell in row)
            ]
        except csv.Error:
            continue
        if not rows:
            return None
        raw, width = len(rows[0]), _trimmed_width(rows[0])
        if width < 2:
            continue
        body = rows[1:]
        fits = sum(1 for row in body if len(row) == raw or _trimmed_width(row) == width)
        share = fits / len(body) if body else 1.0
        score = (share, width, -rank)
        if share >= 0.5 and (best is None or score > best):
            best, chosen = score, delimiter
    return chosen


def _trimmed(sample: str) -> str:
    """At most the first 64 KB of ``sample``, cut at a line break when it is longer."""
    end = sample.rfind("\n", 0, 65536)
    if end > 0 and len(sample) > 65536:
        return sample[: end + 1]
    return sample


def no_table_error(sample: str, name: str) -> FileFormatError:
    """Why :func:`sniff_delimiter` found no table in ``sample``, the start of ``name``.

    A cell past the CSV reader's field limit, a header that splits into columns whose
    rows do not, or a first line that no delimiter splits: one sentence each.
    """
    sample = _trimmed(sample)
    ragged: tuple[tuple[int, int], str, int, int, int, int, int, int] | None = None
    too_long: int | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows: list[tuple[int, list[str]]] = []
        previous = 0
        try:
            for row in islice(reader, _SNIFF_ROWS):
                if any(cell.strip() for cell in row):
                    rows.append((reader.line_num, row))
                previous = reader.line_num
        except csv.Error:
            too_long = previous + 1 if too_long is None else min(too_long, previous + 1)
            continue
        if not rows:
            continue
        (header_line, header), body = rows[0], rows[1:]
        width = _trimmed_width(header)
        if width < 2 or not body:
            continue
        misfits = [(line, row) for line, row in body if len(row) != len(header) and _trimmed_width(row) != width]
        first_line, first_row = misfits[0]
        score = (len(body) - len(misfits), -rank)
        if ragged is None or score > ragged[0]:
            ragged = (score, delimiter, header_line, width, len(misfits), len(body), first_line, len(first_row))
    if ragged is not None:
        _, delimiter, header_line, width, misfit, body_rows, first_line, cells = ragged
        return FileFormatError(
            f"The file {name} is not a consistent table: its header (line {header_line}) has "
            f"{width} columns separated by {DELIMITER_NAMES[delimiter]}, but {misfit} of the next "
            f"{body_rows} rows have another number of cells (line {first_line} has {cells}); "
            "check how the file was exported."
        )
    if too_long is not None:
        return FileFormatError(
            f"Line {too_long} of {name} has a cell longer than {csv.field_size_limit():,} "
            "characters, the most a cell may hold, so it is not a population table."
        )
    return FileFormatError(
        f"The file {name} does not look like a CSV table: no comma, semicolon, tab or | "
        "separates at least two column names in its first line."
    )
