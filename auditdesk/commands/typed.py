"""What a user types on the command line, read safely, and what is printed back, shown safely.

Ids, counts and sizes are read into whole numbers with one plain sentence on any
error (never a traceback, however long or odd the text). Text printed to a
terminal has its control characters shown as escapes, so data from a file (an
item key, a note, a description) cannot move the cursor, recolour or clear the
screen, or hide what follows it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from auditdesk.errors import NotFoundError, ValidationError

#: The largest integer SQLite stores: no id or count in a store is larger.
MAX_STORED = 2**63 - 1
#: Digits (or decimal exponent) a typed number may have; far beyond any real size.
_MAX_DIGITS = 1000
#: Characters of a typed value quoted back in a message.
_QUOTED_CHARS = 40

# C0 controls but newline and tab, DEL, C1 controls (0x9b is a one-byte CSI), and the
# invisible marks that reorder or break lines (Trojan Source, RTL override, U+2028).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\x1b": "\\x1b"}
#: A whole number in digits too long for Python to read at all.
_LONG_WHOLE = re.compile(r"[+-]?[0-9]{1001,}")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_safe(text: str) -> str:
    """Text for a terminal: control characters shown as escapes (``\\x1b``, ``\\r``, ``\\u202e``).

    Newlines and tabs stay: the human output is laid out with them. JSON output needs
    none of this (``json.dumps`` escapes control characters itself).
    """
    return _UNSAFE.sub(_escape, text)


def quoted(text: str) -> str:
    """A typed value as quoted in a message: cut to a readable length, controls escaped."""
    value = text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "..."
    return terminal_safe(value)


def whole_number(text: str, what: str, *, scientific: bool = False) -> int:
    """Read a whole number written in digits (``-5``, ``1200``, ``1_000_000``).

    With ``scientific``, an exactly whole decimal is read too (``1e6``, ``2.5e3``,
    ``1200.0``); ``1.5`` or ``1e-3`` is refused, never rounded. ``what`` starts the
    sentence: "The population size".
    """
    value = text.strip()
    if _LONG_WHOLE.fullmatch(value):
        raise ValidationError(
            f"{what} must be a whole number of at most {_MAX_DIGITS:,} digits; got '{quoted(value)}'."
        )
    if value.isascii() and len(value) <= _MAX_DIGITS:
        try:
            return int(value)
        except ValueError:
            pass
        if scientific:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = Decimal("NaN")
            if number.is_finite() and abs(number.adjusted()) <= _MAX_DIGITS and number == number.to_integral_value():
                return int(number)
    example = " such as 1200 or 1e6" if scientific else ""
    raise ValidationError(f"{what} must be a whole number{example}; got '{quoted(text)}'.")


def record_id(text: str, noun: str) -> int:
    """Read the id of a stored record (``noun``: "sample", "population").

    A number beyond what SQLite can store names no record: it gets the same sentence
    as any unknown id instead of an overflow deep in the database driver.
    """
    missing = NotFoundError(f"There is no {noun} {quoted(text.strip())} in this store.")
    if _LONG_WHOLE.fullmatch(text.strip()):
        raise missing
    number = whole_number(text, f"The {noun} id")
    if not -MAX_STORED - 1 <= number <= MAX_STORED:
        raise missing
    return number


def stored_number(text: str, what: str) -> int:
    """Read a whole number a store can hold (a count, a row number): within SQLite's 64 bits."""
    number = whole_number(text, what)
    if not -MAX_STORED - 1 <= number <= MAX_STORED:
        raise ValidationError(f"{what} must lie within \u00b1{MAX_STORED:,}; got '{quoted(text.strip())}'.")
    return number


def typed_int(text: str, what: str) -> int:
    """A command's whole-number argument: an id when ``what`` reads "The <noun> id", else a stored number."""
    if what.startswith("The ") and what.endswith(" id"):
        return record_id(text, what[len("The ") : -len(" id")])
    return stored_number(text, what)


def terminal_line(text: str) -> str:
    """A message for one line of a terminal: like ``terminal_safe``, with line breaks escaped too."""
    return terminal_safe(text).replace("\n", "\\n")
