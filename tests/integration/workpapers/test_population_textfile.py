"""Text decoding, line splitting and delimiter sniffing of population CSV files."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
from itertools import chain
from pathlib import Path
from typing import Any

import pytest

import workpapers._textfile as textfile
import workpapers.limits as limits
from auditdesk.errors import FileFormatError
from workpapers._textfile import TextSource, open_binary, sniff_delimiter


def _lines(path: Path) -> tuple[list[str], TextSource]:
    source = TextSource(path, path.name)
    return [line for chunk in source.lines() for line in chunk], source


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_tiny_chunks_split_nothing_wrongly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(textfile, "CHUNK_SIZE", chunk)
    text = 'Key,Note\r\nA,"x\r\ny"\r\nB,Zoë €\rC,\u2028sep\nD,form\x0cfeed\n\nE,end'
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    lines, source = _lines(path)
    assert "".join(lines) == text
    assert lines == io.StringIO(text, newline="").readlines()
    assert source.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert source.bytes_read == source.size == len(text.encode("utf-8"))
    assert source.encoding == "utf-8"
    rows = list(csv.reader(chain.from_iterable(TextSource(path, "t.csv").lines())))
    assert rows == list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("chunk", [1, 5, 4096])
def test_cp1252_fallback_in_tiny_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(textfile, "CHUNK_SIZE", chunk)
    text = "Key,Note\nA,plain\nB,café crème\nC,naïve\n"
    path = tmp_path / "w.csv"
    path.write_bytes(text.encode("cp1252"))
    lines, source = _lines(path)
    assert "".join(lines) == text
    assert source.encoding == "cp1252"
    assert source.fallback_offset == text.encode("cp1252").index(b"\xe9")
    assert source.fallback_line == 3
    assert not source.mixed


def test_utf8_cut_at_the_very_end_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes("Key,Note\nA,é".encode() + b"\xc3")
    lines, source = _lines(path)
    assert lines == ["Key,Note\n", "A,é\u00c3"]
    assert source.encoding == "cp1252"
    assert source.mixed


def test_utf32_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "u32.csv"
    path.write_bytes("Key,Date\nA,2025-01-01\n".encode("utf-32"))
    lines, source = _lines(path)
    assert lines == ["Key,Date\n", "A,2025-01-01\n"]
    assert source.encoding == "utf-32"


def test_empty_file_and_long_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="is empty"):
        _lines(empty)
    monkeypatch.setattr(textfile, "CHUNK_SIZE", 8)
    monkeypatch.setattr(limits, "MAX_LINE_CHARS", 20)
    long = tmp_path / "long.csv"
    long.write_bytes(b"Key,Date\n" + b"x" * 40 + b"\n")
    with pytest.raises(FileFormatError, match="has a line longer than 20 characters"):
        _lines(long)


class _Flaky(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.calls = 0

    def read(self, size: int | None = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise OSError(errno.EIO, "Input/output error")
        return super().read(size)


def test_read_errors_become_sentences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "disk.csv"
    path.write_bytes(b"Key,Date\n" * 10)
    monkeypatch.setattr(textfile, "CHUNK_SIZE", 16)
    monkeypatch.setattr(textfile, "open_binary", lambda p, name: _Flaky(p.read_bytes()))
    with pytest.raises(FileFormatError, match="could not be read to the end: Input/output error."):
        _lines(path)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "cannot be read: permission denied."),
        (OSError(errno.EIO, "Input/output error"), "cannot be read: Input/output error."),
    ],
)
def test_open_errors_become_sentences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, expected: str
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(textfile.os, "open", fail)
    with pytest.raises(FileFormatError, match=expected):
        open_binary(tmp_path / "x.csv", "x.csv")


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","
    assert sniff_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert sniff_delimiter("a|b\n1|2\n") == "|"
    assert sniff_delimiter("a;b,c\n1;2,3\n") == ","  # a tie goes to the comma
    assert sniff_delimiter("only one column\nvalue\n") is None
    assert sniff_delimiter("") is None
    assert sniff_delimiter("a,b\nx\ny\nz\n") is None  # most lines do not fit the header
    big = "a,b\n" + "1,2\n" * 30000
    assert sniff_delimiter(big) == ","
    previous = csv.field_size_limit(10)
    try:
        assert sniff_delimiter("a,b\n1," + "x" * 20 + "\n") is None
    finally:
        csv.field_size_limit(previous)
