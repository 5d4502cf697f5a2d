"""Dates as clients write them in population files.

Automatic reading (no explicit format) recognises, by the shape of the text:

* ISO 8601 ``YYYY-MM-DD``, optionally followed by a time (``2025-01-31T10:15:00``,
  ``2025-01-31 10:15``); the time is dropped;
* ``YYYY/MM/DD``;
* ``M/D/YYYY`` (US order, month first) with one or two digit month and day;
* ``D.M.YYYY`` (dotted, day first as in Europe);
* ``D-Mon-YYYY`` and ``D Mon YYYY`` with an English month name or its three letter
  abbreviation (``31-Jan-2025``, ``31 January 2025``);

each optionally followed by a time of day, which is dropped.  Years must have four
digits: ``1/31/25`` is refused rather than guessed.

Ambiguity: ``03/04/2025`` is read month first (March 4), the US convention of the
examinations this tool serves.  A slash date that cannot be month first, such as
``31/01/2025``, is refused with a hint to choose the explicit format ``%d/%m/%Y``;
it is never silently read day first, because that would mix two orders in one file.
An explicit ``strptime`` format (``ColumnMapping.date_format``) overrides all of this;
the common ones are parsed without ``strptime`` for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

__all__ = [
    "DateTextError",
    "check_date_format",
    "date_parser",
    "parse_date_auto",
    "suggest_date_format",
]

_MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3])
}
_MONTHS["sept"] = 9
_TIME_CHARS = frozenset("0123456789:. apmAPM")
_EXAMPLES = "such as 2025-01-31, 1/31/2025 or 31-Jan-2025"


class DateTextError(ValueError):
    """A date text that cannot be read; ``str()`` is the reason, a sentence fragment.

    ``shape_ok`` is true when the text has a recognised shape but names no real day
    (``2025-02-30``), false when the shape itself is not recognised.
    """

    def __init__(self, reason: str, *, shape_ok: bool) -> None:
        super().__init__(reason)
        self.shape_ok = shape_ok


def _digits(part: str) -> bool:
    return part.isascii() and part.isdigit()


def _is_time(text: str) -> bool:
    return bool(text) and ":" in text and _TIME_CHARS.issuperset(text)


def _invalid(text: str) -> DateTextError:
    return DateTextError(f"the date '{text}' is not a valid date", shape_ok=True)


def _make(text: str, year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise _invalid(text) from None


def _split_time(text: str) -> str:
    """Return the date part of ``text`` when a time of day follows it, else ``text``."""
    head, sep, tail = text.partition(" ")
    if sep and _is_time(tail.strip()):
        return head
    return text


def _numeric_parts(text: str, sep: str) -> list[str] | None:
    parts = text.split(sep)
    if len(parts) == 3 and all(map(_digits, parts)):
        return parts
    return None


def _parse_iso(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _invalid(text) from None


def _parse_mon(text: str) -> date | None:
    """``D-Mon-YYYY`` / ``D Mon YYYY`` (time allowed after), or None for another shape."""
    head, _, tail = text.partition(" ")
    if "-" in head:
        pieces = head.split("-")
    else:
        words = text.split()
        pieces, tail = words[:3], " ".join(words[3:])
    if len(pieces) != 3:
        return None
    day, month, year = pieces
    number = _MONTHS.get(month.lower().rstrip("."))
    if number is None or not _digits(day) or not _digits(year) or len(year) != 4:
        return None
    if tail and not _is_time(tail.strip()):
        return None
    return _make(text, year, str(number), day)


def parse_date_auto(text: str) -> date:
    """Read ``text`` in one of the automatic formats; raise :class:`DateTextError`."""
    value = text.strip()
    if len(value) >= 10 and value[4] == "-" and value[7] == "-" and _digits(value[:4]):
        if len(value) == 10:
            return _parse_iso(value)
        if value[10] in "T ":
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                _parse_iso(value)  # an impossible day is reported as such
    core = _split_time(value)
    for sep in ("/", "."):
        parts = _numeric_parts(core, sep)
        if parts is None:
            continue
        first, second, third = parts
        if sep == "/" and len(first) == 4:
            return _make(value, first, second, third)
        if len(third) != 4:
            break
        if sep == ".":
            return _make(value, third, second, first)
        if int(first) > 12 and 1 <= int(second) <= 12:
            raise DateTextError(
                f"the date '{value}' is not a valid month/day/year date; if the file "
                "writes the day first, choose the date format %d/%m/%Y",
                shape_ok=True,
            )
        return _make(value, third, first, second)
    if value[:1].isdigit():
        found = _parse_mon(value)
        if found is not None:
            return found
    raise DateTextError(
        f"the date '{value}' is not in a recognised date format ({_EXAMPLES})", shape_ok=False
    )


def _fast_numeric(sep: str, order: tuple[int, int, int]) -> Callable[[str], date | None]:
    year_at, month_at, day_at = order

    def parse(text: str) -> date | None:
        parts = _numeric_parts(_split_time(text), sep)
        if parts is None or len(parts[year_at]) != 4:
            return None
        return _make(text, parts[year_at], parts[month_at], parts[day_at])

    return parse


def _fast_iso(text: str) -> date | None:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return _parse_iso(text)
    return None


def _fast_mon(text: str) -> date | None:
    if "-" not in text:
        return None
    return _parse_mon(text)


_FAST_FORMATS: dict[str, Callable[[str], date | None]] = {
    "%Y-%m-%d": _fast_iso,
    "%Y/%m/%d": _fast_numeric("/", (0, 1, 2)),
    "%m/%d/%Y": _fast_numeric("/", (2, 0, 1)),
    "%d/%m/%Y": _fast_numeric("/", (2, 1, 0)),
    "%d.%m.%Y": _fast_numeric(".", (2, 1, 0)),
    "%d-%b-%Y": _fast_mon,
}


def check_date_format(fmt: str) -> None:
    """Raise ``ValueError`` (with a sentence) unless ``fmt`` is a usable strptime format."""
    sample = date(2025, 1, 31)
    try:
        back = datetime.strptime(sample.strftime(fmt), fmt).date()
    except ValueError:
        back = None
    if back != sample:
        raise ValueError(
            f"The date format '{fmt}' cannot read dates back; use strptime codes "
            "such as %d/%m/%Y with a day, a month and a four digit year."
        )


def date_parser(fmt: str | None) -> Callable[[str], date]:
    """A function reading one date text, raising :class:`DateTextError` when it cannot.

    ``fmt`` None reads the automatic formats; otherwise ``fmt`` is a strptime format
    (check it first with :func:`check_date_format`).
    """
    if fmt is None:
        return parse_date_auto
    fast = _FAST_FORMATS.get(fmt)

    def parse(text: str) -> date:
        value = text.strip()
        if fast is not None:
            found = fast(value)
            if found is not None:
                return found
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            raise DateTextError(
                f"the date '{value}' does not match the date format {fmt}", shape_ok=False
            ) from None

    return parse


def suggest_date_format(values: Iterable[str]) -> str | None:
    """An explicit format to offer for these sample date texts, or None for automatic.

    Returns ``"%d/%m/%Y"`` when slash dates show a first number above 12 and none a
    second number above 12, i.e. the file evidently writes the day first; automatic
    reading handles everything else (dotted dates are always read day first).
    """
    day_first = False
    for text in values:
        parts = _numeric_parts(_split_time(text.strip()), "/")
        if parts is None or len(parts[0]) == 4:
            continue
        first, second = int(parts[0]), int(parts[1])
        if second > 12:
            return None
        if first > 12:
            day_first = True
    return "%d/%m/%Y" if day_first else None
