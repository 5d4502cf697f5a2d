"""Amounts as clients write them, normalised to plain decimal strings."""

from __future__ import annotations

import re

import pytest

from workpapers._amounts import PLAIN_AMOUNTS, digit_count, float_texts, normalize_amount, number_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("(12.00)", "-12.00"),
        ("-12", "-12"),
        ("+5", "5"),
        ("12.00-", "-12.00"),
        ("-$12.00", "-12.00"),
        ("$-12.00", "-12.00"),
        ("USD 1,234.00", "1234.00"),
        ("1,234.00 EUR", "1234.00"),
        ("1.234,50", "1234.50"),
        ("1,234", "1234"),
        ("12,345,678", "12345678"),
        ("1.234.567", "1234567"),
        ("12,5", "12.5"),
        ("1 234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1\u00a0234,50 €", "1234.50"),
        ("1.5E+07", "15000000"),
        ("2e-3", "0.002"),
        ("0012", "12"),
        (".5", "0.5"),
        ("5.", "5"),
        ("£ 9", "9"),
    ],
)
def test_normalize_amount(text: str, expected: str) -> None:
    assert normalize_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        "abc",
        "n/a",
        "nan",
        "Infinity",
        "--5",
        "(-5)",
        "1,2,3.4.5",
        "1.2.3,4,5",
        "٣",
        "1e999",
        "12 apples",
    ],
)
def test_not_amounts(text: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(text)}$"):
        normalize_amount(text)


def test_number_text() -> None:
    assert number_text(1234.0) == "1234"
    assert number_text(-3.0) == "-3"
    assert number_text(12.5) == "12.5"
    assert number_text(0.1 + 0.2) == "0.3"
    assert number_text(1e-05) == "0.00001"
    assert number_text(1e20) == "100000000000000000000"
    assert number_text(1.5e16) == "15000000000000000"
    assert number_text(12345678901234567890.5) == "12345678901234600000"
    assert number_text(7) == "7"


def test_plain_amounts_pattern() -> None:
    assert PLAIN_AMOUNTS.fullmatch("12.50\x00-3\x000\x000.25\x00") is not None
    for bad in ("012\x00", "1.\x00", ".5\x00", "1e5\x00", "\x00", "12"):
        assert PLAIN_AMOUNTS.fullmatch(bad) is None, bad


def test_float_texts_match_number_text_or_decline() -> None:
    values = [1234.56, 45000.0, -12.5, 0.3, 0.00012, 123456789012.5, 0.0]
    assert float_texts(values) == [number_text(v) for v in values]
    assert float_texts(values) == ["1234.56", "45000", "-12.5", "0.3", "0.00012", "123456789012.5", "0"]
    declined = ([0.1 + 0.2], [1e-05], [1e16], [-0.0], [float("nan")], [float("inf")], [2.0**53 + 2], [1 / 3], [])
    for values in declined:
        assert float_texts(values) is None, values


def test_digit_count() -> None:
    assert digit_count("-1234.50") == 6
    assert digit_count("1" * 5000) == 5000


@pytest.mark.parametrize("text", ["$", "€ ", " $ ", "(€)", "$-"])
def test_a_currency_sign_alone_is_no_number(text: str) -> None:
    with pytest.raises(ValueError, match="^"):
        normalize_amount(text)
