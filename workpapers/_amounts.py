"""Amounts as clients write them, normalised to plain decimal strings.

The normal form is what ``format(Decimal(x), "f")`` prints: an optional minus sign,
digits, and a decimal point only when the text had decimals, which are kept as
written (``"1234.50"`` stays ``"1234.50"``; ``"$1,234.5"`` becomes ``"1234.5"``).

Accepted decorations: surrounding spaces, a currency symbol (``$ € £ ¥``) or a
three capital letter currency code (``USD``) before or after the number, a leading
``+`` or ``-``, a trailing ``-`` (``12.00-``), accounting parentheses for negatives
(``(12.00)``), thousands separators, and exponents (``1.5E+07``, as spreadsheets
write big numbers).

Separators: when both ``,`` and ``.`` appear, the last one is the decimal point and
the other groups thousands (``1.234,50`` and ``1,234.50`` are both 1234.50).  A
single ``,`` followed by exactly three digits groups thousands (``1,234`` is 1234,
the US reading); any other single ``,`` is a decimal comma (``12,5`` is 12.5).  Several
``.`` group thousands (``1.234.567``); apostrophes and spaces group thousands too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from workpapers.limits import MAX_AMOUNT_DIGITS

__all__ = ["PLAIN_AMOUNT", "PLAIN_AMOUNTS", "digit_count", "float_texts", "normalize_amount", "number_text"]

# An amount in normal form with at most MAX_AMOUNT_DIGITS characters of digits and
# point: short enough to store exactly.  Longer ones take the slow path, which
# counts their digits (see digit_count).
_FITS = f"(?=[0-9.]{{1,{MAX_AMOUNT_DIGITS}}}(?:\\x00|\\Z))"
#: Matches one amount already in normal form (and short enough to store).
PLAIN_AMOUNT = re.compile(f"-?{_FITS}(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?")
#: Matches NUL-terminated runs of amounts already in normal form (the fast path;
#: the caller checks their lengths against MAX_AMOUNT_DIGITS, faster than a lookahead).
PLAIN_AMOUNTS = re.compile(r"(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\x00)*+")
_DIGITS = "0123456789"

_CURRENCY_SYMBOLS = "$€£¥"
_GROUPING = "'\u00a0\u202f\u2009 "
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_EXPONENT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]{1,2}", re.ASCII)


def _is_code(text: str) -> bool:
    """Whether ``text`` could be an ISO 4217 currency code (three capital letters)."""
    return text.isascii() and text.isalpha() and text.isupper()


def _strip_decorations(text: str) -> tuple[str, bool]:
    """Remove signs, parentheses and currency marks; return (number text, negative)."""
    value = text.strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    changed = True
    while changed and value:
        changed = False
        if value[0] in _CURRENCY_SYMBOLS or value[-1] in _CURRENCY_SYMBOLS:
            value = value.strip(_CURRENCY_SYMBOLS).strip()
            changed = True
        if len(value) > 3 and _is_code(value[:3]):
            value, changed = value[3:].lstrip(), True
        if len(value) > 3 and _is_code(value[-3:]):
            value, changed = value[:-3].rstrip(), True
        if value and value[0] in "+-" and not negative:
            negative, value, changed = value[0] == "-", value[1:].lstrip(), True
        elif value[-1:] == "-" and not negative:
            negative, value, changed = True, value[:-1].rstrip(), True
    return value, negative


def _ungroup(value: str) -> str | None:
    """Drop thousands separators and make ``.`` the decimal point, or None if garbled."""
    for mark in _GROUPING:
        value = value.replace(mark, "")
    commas, dots = value.count(","), value.count(".")
    if commas and dots:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        if value.count(decimal_mark) > 1:
            return None
        value = value.replace(group_mark, "").replace(decimal_mark, ".")
    elif commas == 1 and len(value) - value.index(",") - 1 != 3:
        value = value.replace(",", ".")
    elif commas:
        value = value.replace(",", "")
    elif dots > 1:
        value = value.replace(".", "")
    return value


def normalize_amount(text: str) -> str:
    """Return ``text`` as a plain decimal string; raise ``ValueError`` if it is no number."""
    value, negative = _strip_decorations(text)
    plain = _ungroup(value)
    if plain is None or not plain:
        raise ValueError(text)
    if _NUMBER.fullmatch(plain) is None and _EXPONENT.fullmatch(plain) is None:
        raise ValueError(text)
    try:
        number = Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the patterns above only pass numbers
        raise ValueError(text) from None
    return format(-number if negative else number, "f")


def digit_count(text: str) -> int:
    """How many digits ``text`` holds (an amount may hold MAX_AMOUNT_DIGITS)."""
    return sum(map(text.count, _DIGITS))


def float_texts(values: Sequence[float]) -> list[str] | None:
    """:func:`number_text` of many floats at C speed, or None when some need the slow
    path (exponents, more than 15 characters, negative zero, not a number).

    A float's shortest text of at most 15 characters is its number text, but for a
    whole number's ``.0``, which is dropped.
    """
    texts = list(map(repr, values))
    if not texts or max(map(len, texts)) > 15:
        return None
    joined = "\x00" + "\x00".join(texts) + "\x00"
    if "e" in joined or "n" in joined or "\x00-0.0\x00" in joined:
        return None
    if ".0\x00" in joined:
        joined = joined.replace(".0\x00", "\x00")
    return joined[1:-1].split("\x00")


def number_text(value: float | int) -> str:
    """A spreadsheet number as a plain decimal string (whole floats without ``.0``)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    # The shortest text that reads back as the same float: when it has at most 15
    # characters it has at most 15 significant digits, so it is also what rounding
    # to 15 digits below prints, only faster.
    shortest = repr(value)
    if len(shortest) <= 15 and "e" not in shortest:
        return shortest
    # Excel keeps 15 significant digits; more would show binary noise (0.30000000000000004).
    text = format(value, ".15g")
    if "e" in text:
        return format(Decimal(text), "f")
    return text
