"""Limits on population files, in one place.

A population file comes from outside the firm, so nothing in it is trusted: each
limit below stops a file that would otherwise take unbounded memory or time (a
decompression bomb, a sheet whose two cells lie a million rows apart, a line of a
million commas).  A file past a limit is refused with one sentence
(:class:`auditdesk.errors.FileFormatError`); the limits are far above what a
population exported by a client system needs.

The readers look the values up on this module when they run, so a test may lower
one with ``monkeypatch.setattr(limits, "MAX_ROWS", 100)``.
"""

from __future__ import annotations

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_CELL_BYTES",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_COMPRESSION_RATIO",
    "MAX_LINE_CHARS",
    "MAX_PARTS",
    "MAX_ROWS",
    "MAX_SHEET_CELLS",
    "MAX_UNPACKED_BYTES",
    "RATIO_CHECKED_FROM",
]

#: Data rows in one file (CSV records or worksheet rows below the header).
MAX_ROWS = 5_000_000
#: Columns of a header row, and cells in any one row.
MAX_COLUMNS = 1_000
#: Characters in one cell.  The CSV reader's own field limit has the same default
#: (``csv.field_size_limit()``); Excel itself stops at 32,767.
MAX_CELL_CHARS = 131_072
#: Characters in one physical line of a CSV file.
MAX_LINE_CHARS = 16 << 20
#: Digits of one amount (before and after the decimal point together), so that
#: every amount can be stored exactly as a 64-bit count of its smallest unit.
MAX_AMOUNT_DIGITS = 18

# -- XLSX workbooks, checked before the reading library unpacks anything -------------------

#: Bytes all parts of a workbook unpack to, together (as the ZIP directory states
#: them; the unpacking stops at the stated size, so a part cannot unpack to more).
MAX_UNPACKED_BYTES = 1 << 30
#: Parts (files) in the workbook's ZIP archive.
MAX_PARTS = 10_000
#: Unpacked size over packed size of any one part of at least RATIO_CHECKED_FROM
#: bytes.  Real worksheets pack 5 to 20 times; a decompression bomb a thousand times.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1 << 20
#: Bytes one cell (or one entry of the shared text table) may take inside the
#: workbook.  Checked while the part streams, before the reading library holds the
#: text; a cell Excel can make (32,767 characters) always fits.
MAX_CELL_BYTES = 256 << 10
#: Cells of a worksheet's used area (rows x columns, from A1 to its farthest cell);
#: the reading library lays out every one of them, empty or not, in memory.
MAX_SHEET_CELLS = 20_000_000
