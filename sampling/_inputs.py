"""Reading and checking user inputs (rates, confidences, sizes, money).

Rates and confidences accept float, int, str or Decimal.  A float is read by its
shortest repr, ``Decimal(str(x))``, so 0.035 means exactly 0.035: the AICPA tables
depend on exact products such as 400 x 0.035 = 14 (float gives 14.000000000000002
and a wrong table cell).  Strings may end in ``%``.
"""

from __future__ import annotations

import math
from decimal import Decimal, DecimalException

from sampling.errors import InvalidParameterError

#: What the public functions accept for a rate, confidence or amount.
Number = float | int | str | Decimal

#: Confidence levels the library accepts (AU-C 530 practice uses 90% to 99%).
MIN_CONFIDENCE = Decimal("0.5")
MAX_CONFIDENCE = Decimal("0.999")

#: Decimal exponents a value may have: far beyond any rate or amount, far inside
#: the decimal context's limits, so no arithmetic on it overflows.
_MIN_EXPONENT = -1000
_MAX_EXPONENT = 1000

#: Characters of a user's value quoted back in a message.
_SHOWN_CHARS = 40


def shown(value: object) -> str:
    """A user's value as quoted in a message: repr, cut to a readable length.

    A whole number too long to read is described by its digit count (Python cannot
    even print one of more than 4,300 digits).
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        size = abs(value)
        digits = int((size.bit_length() - 1) * math.log10(2)) + 1  # exact or one short
        return f"a number of {digits + 1 if size >= 10**digits else digits} digits"
    text = repr(value)
    if len(text) > _SHOWN_CHARS + 2 and text[0] in "'\"" and text[-1] == text[0]:
        return text[: _SHOWN_CHARS + 1] + "..." + text[-1]
    return text if len(text) <= _SHOWN_CHARS + 2 else text[:_SHOWN_CHARS] + "..."


def to_decimal(value: object, what: str) -> Decimal:
    """Convert a user value to an exact Decimal or raise InvalidParameterError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidParameterError(
            f"The {what} must be a number (float, int, str or Decimal); got {shown(value)}."
        )
    if isinstance(value, (Decimal, int)):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            result = Decimal(text)
        except DecimalException:  # not a number, or an exponent beyond any context
            raise InvalidParameterError(
                f"The {what} must be a number such as 0.05 or 5%; got {shown(value)}."
            ) from None
        if percent and result.is_finite():
            sign, digits, exponent = result.as_tuple()
            result = Decimal((sign, digits, int(exponent) - 2))  # exact: no rounding to 28 digits
    else:
        result = Decimal(str(value))
    if not result.is_finite():
        raise InvalidParameterError(f"The {what} must be a finite number; got {shown(value)}.")
    if not (result.is_zero() or _MIN_EXPONENT <= result.adjusted() <= _MAX_EXPONENT):
        raise InvalidParameterError(
            f"The {what} must lie between 1e-1000 and 1e1000 in size; got {shown(value)}."
        )
    return result



def pct(value: Decimal) -> str:
    """Format a fraction as a percentage without float noise: 0.035 -> '3.5%'."""
    return f"{(value * 100).normalize():f}%"


def confidence_of(value: object) -> Decimal:
    """Read a confidence level and check it lies in 0.5..0.999."""
    confidence = to_decimal(value, "confidence level")
    if not MIN_CONFIDENCE <= confidence <= MAX_CONFIDENCE:
        raise InvalidParameterError(
            "The confidence level must be between 0.5 and 0.999 (for example 0.95 for 95%); "
            f"got {shown(value)}."
        )
    return confidence


def tolerable_rate_of(value: object) -> Decimal:
    """Read a tolerable deviation rate: strictly between 0 and 1."""
    rate = to_decimal(value, "tolerable deviation rate")
    if not Decimal(0) < rate < Decimal(1):
        raise InvalidParameterError(
            "The tolerable deviation rate must be greater than 0 and less than 1 "
            f"(for example 0.05 for 5%); got {shown(value)}."
        )
    return rate


def expected_rate_of(value: object, tolerable: Decimal) -> Decimal:
    """Read an expected deviation rate: at least 0 and below the tolerable rate."""
    rate = to_decimal(value, "expected deviation rate")
    if rate < 0 or rate >= 1:
        raise InvalidParameterError(
            "The expected deviation rate must be at least 0 and less than 1 "
            f"(for example 0.01 for 1%); got {shown(value)}."
        )
    if rate >= tolerable:
        raise InvalidParameterError(
            f"The expected deviation rate ({pct(rate)}) must be lower than the tolerable "
            f"rate ({pct(tolerable)}); lower the expectation or raise the tolerable rate."
        )
    return rate


def count_of(value: object, what: str, minimum: int = 0) -> int:
    """Read a whole number (not bool) at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"The {what} must be a whole number; got {shown(value)}.")
    if value < minimum:
        raise InvalidParameterError(f"The {what} must be at least {minimum}; got {shown(value)}.")
    return value


def population_size_of(value: object) -> int:
    """Read a population size N >= 1."""
    return count_of(value, "population size", minimum=1)


def money_of(value: object, what: str, *, positive: bool = False) -> Decimal:
    """Read an amount of money; non-negative, or strictly positive when asked."""
    amount = to_decimal(value, what)
    if positive and amount <= 0:
        raise InvalidParameterError(f"The {what} must be greater than 0; got {shown(value)}.")
    if amount < 0:
        raise InvalidParameterError(f"The {what} must not be negative; got {shown(value)}.")
    return amount
