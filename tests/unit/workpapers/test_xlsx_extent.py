"""The regular expression that tells a worksheet cell inside the extent seen so far
from one outside it (or written unusually), checked against plain arithmetic."""

from __future__ import annotations

import pytest

from workpapers._xlsx import _normal_cells, column_letters

ROWS = [1, 9, 10, 11, 99, 100, 101, 190, 200001, 1048576]
COLUMNS = [1, 2, 26, 27, 52, 53, 702, 703, 16384]


@pytest.mark.parametrize("columns", [1, 6, 26, 27, 30, 702, 703])
@pytest.mark.parametrize("rows", [1, 9, 10, 100, 190, 200001])
def test_cells_outside_the_extent_are_found(columns: int, rows: int) -> None:
    pattern = _normal_cells(b"", columns, rows)
    for column in COLUMNS + [columns - 1, columns, columns + 1]:
        for row in ROWS + [rows - 1, rows, rows + 1]:
            if column < 1 or row < 1:
                continue
            tag = f'<c r="{column_letters(column - 1)}{row}" t="s">'.encode()
            outside = column > columns or row > rows
            assert (pattern.search(tag) is not None) == outside, (columns, rows, tag)


@pytest.mark.parametrize(
    "tag",
    [b"<c>", b"<c/>", b'<c s="1" r="A1">', b'<c r="a1">', b'<c r="A01">', b'<c  r="A1">', b'<c\nr="A1">']
    + [b'<c r="A1x">'],
)
def test_cells_written_unusually_are_found(tag: bytes) -> None:
    assert _normal_cells(b"", 26, 1000).search(tag) is not None


def test_other_elements_and_prefixes() -> None:
    pattern = _normal_cells(b"x:", 3, 5)
    assert pattern.search(b'<x:c r="C5"><x:v>1</x:v></x:c><x:cols><x:col min="1"/></x:cols>') is None
    assert pattern.search(b'<x:c r="D5">') is not None
    assert _normal_cells(b"", 3, 5).search(b'<cols><col min="1"/></cols><c r="B2"/>') is None
