"""Dates as clients write them in population files."""

from __future__ import annotations

import datetime as dt

import pytest

from workpapers._dates import (
    DateTextError,
    check_date_format,
    date_parser,
    parse_date_auto,
    suggest_date_format,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31", D(2025, 1, 31)),
        ("  2025-01-05 ", D(2025, 1, 5)),
        ("2025-01-31T10:15:00", D(2025, 1, 31)),
        ("2025-01-31T10:15:00Z", D(2025, 1, 31)),
        ("2025-01-31 10:15", D(2025, 1, 31)),
        ("2025-01-31T10:15:00+02:00", D(2025, 1, 31)),
        ("2025/01/31", D(2025, 1, 31)),
        ("1/31/2025", D(2025, 1, 31)),
        ("01/31/2025", D(2025, 1, 31)),
        ("03/04/2025", D(2025, 3, 4)),  # month first: March 4
        ("1/31/2025 10:15 AM", D(2025, 1, 31)),
        ("31.01.2025", D(2025, 1, 31)),
        ("31-Jan-2025", D(2025, 1, 31)),
        ("31-jan-2025 10:00", D(2025, 1, 31)),
        ("31 January 2025", D(2025, 1, 31)),
        ("5 Sept. 2025", D(2025, 9, 5)),
        ("5 Sep 2025 23:59:59", D(2025, 9, 5)),
    ],
)
def test_automatic_formats(text: str, expected: dt.date) -> None:
    assert parse_date_auto(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "shape_ok"),
    [
        ("2025-02-30", "the date '2025-02-30' is not a valid date", True),
        ("2025-02-30 10:00", "the date '2025-02-30 10:00' is not a valid date", True),
        ("13/13/2025", "the date '13/13/2025' is not a valid date", True),
        ("2025/02/30", "the date '2025/02/30' is not a valid date", True),
        ("30-Feb-2025", "the date '30-Feb-2025' is not a valid date", True),
        (
            "31/01/2025",
            "the date '31/01/2025' is not a valid month/day/year date; if the file writes the "
            "day first, choose the date format %d/%m/%Y",
            True,
        ),
        ("1/31/25", "recognised", False),
        ("foo", "recognised", False),
        ("2025-01-31x", "recognised", False),
        ("2025-01-31 later", "recognised", False),
        ("20250131", "recognised", False),
        ("31-Foo-2025", "recognised", False),
        ("31-Jan-2025 tomorrow", "recognised", False),
        ("31 Jan", "recognised", False),
        ("1/2/3/2025", "recognised", False),
        ("٣/٤/٢٠٢٥", "recognised", False),
    ],
)
def test_refused_texts(text: str, reason: str, shape_ok: bool) -> None:
    with pytest.raises(DateTextError) as error:
        parse_date_auto(text)
    assert reason in str(error.value)
    assert error.value.shape_ok is shape_ok


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%d/%m/%Y", "03/04/2025", D(2025, 4, 3)),
        ("%d/%m/%Y", "31/01/2025 10:00", D(2025, 1, 31)),
        ("%m/%d/%Y", "03/04/2025", D(2025, 3, 4)),
        ("%Y/%m/%d", "2025/04/03", D(2025, 4, 3)),
        ("%Y-%m-%d", "2025-04-03", D(2025, 4, 3)),
        ("%d.%m.%Y", "03.04.2025", D(2025, 4, 3)),
        ("%d-%b-%Y", "03-Apr-2025", D(2025, 4, 3)),
        ("%d %B %y", "3 April 25", D(2025, 4, 3)),  # through strptime
        ("%Y-%m-%d", "2025-4-3", D(2025, 4, 3)),  # the fast path declines, strptime reads it
    ],
)
def test_explicit_formats(fmt: str, text: str, expected: dt.date) -> None:
    assert date_parser(fmt)(text) == expected


def test_explicit_format_mismatch_and_impossible_days() -> None:
    parse = date_parser("%d/%m/%Y")
    with pytest.raises(DateTextError, match="does not match the date format %d/%m/%Y"):
        parse("2025-01-31")
    with pytest.raises(DateTextError, match="is not a valid date"):
        parse("31/02/2025")
    with pytest.raises(DateTextError, match="does not match"):
        date_parser("%d-%b-%Y")("31 Jan 2025")
    with pytest.raises(DateTextError, match="does not match"):
        date_parser("%d/%m/%Y")("1/1/25")
    assert date_parser(None) is parse_date_auto


def test_check_date_format() -> None:
    check_date_format("%d/%m/%Y")
    check_date_format("%Y%m%d")
    for bad in ("%H:%M", "%Q", "plain text", "%d/%m"):
        with pytest.raises(ValueError, match="cannot read dates back"):
            check_date_format(bad)


def test_suggest_date_format() -> None:
    assert suggest_date_format(["01/02/2025", "31/01/2025"]) == "%d/%m/%Y"
    assert suggest_date_format(["01/02/2025", "1/31/2025", "31/01/2025"]) is None
    assert suggest_date_format(["01/02/2025", "03/04/2025"]) is None
    assert (
        suggest_date_format(["2025/01/31", "2025-01-31", "soon", "13/1/2025 10:00"]) == "%d/%m/%Y"
    )
    assert suggest_date_format([]) is None
