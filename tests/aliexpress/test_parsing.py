"""Field parsers: one raw JSON value in, a clean bounded value or None out, never an error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from affsite.aliexpress.parsing import (
    MAX_AMOUNT,
    MAX_COUNT,
    amount,
    bounded_decimal,
    count,
    currency_code,
    global_id,
    percent,
    text,
    unwrap_list,
)

HOSTILE: list[Any] = [
    None, True, "", "  ", "abc", "NaN", "-NaN", "sNaN", "Infinity", "-inf", "1e5", "1E+5",
    "+5", "-5", "0x1f", "1_000", "１２", "1.2.3", "12,34", ",5", "5.", ".5", "1.1234567",
    float("nan"), float("inf"), -1.0, 1e300, 10**40, -(10**40), [], {}, object(),
]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: type(v).__name__ + ":" + repr(v)[:20])
def test_nothing_hostile_becomes_a_number(value: Any) -> None:
    assert amount(value) is None
    assert percent(value) is None
    assert count(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.34", Decimal("12.34")),
        (" 12.30 ", Decimal("12.30")),
        (12, Decimal("12")),
        (12.5, Decimal("12.5")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("0", Decimal("0")),
        ("0.000001", Decimal("0.000001")),
    ],
)
def test_plain_amounts_are_read_exactly(value: Any, expected: Decimal) -> None:
    assert amount(value) == expected


def test_each_kind_of_number_has_its_ceiling() -> None:
    assert amount(str(MAX_AMOUNT)) == MAX_AMOUNT and amount(str(MAX_AMOUNT + 1)) is None
    assert percent("100%") == 100 and percent("100.01%") is None
    assert count(MAX_COUNT) == MAX_COUNT and count(MAX_COUNT + 1) is None


def test_a_percent_sign_is_only_read_where_a_percentage_is_expected() -> None:
    assert percent("7.0%") == Decimal("7.0") and percent("7.0 %") == Decimal("7.0")
    assert amount("7.0%") is None
    assert bounded_decimal("7%%", Decimal(100), percent=True) is None


def test_very_long_number_texts_are_refused_before_they_are_read() -> None:
    assert amount("1" * 33) is None
    assert count("0" * 5000 + "1") is None


@pytest.mark.parametrize(
    ("value", "expected"), [(1289, 1289), ("1289", 1289), ("1,289", 1289), (1289.0, 1289)]
)
def test_counts_in_their_observed_forms(value: Any, expected: int) -> None:
    assert count(value) == expected


def test_ids_are_digit_strings_of_at_most_20_digits() -> None:
    assert global_id(12345678901234567890) == "12345678901234567890"
    assert global_id("1" * 21) is None and global_id(10**30) is None
    assert global_id("-5") is None and global_id("5.0") is None


def test_text_strips_and_refuses_non_text() -> None:
    assert text(" a ") == "a" and text(7) == "7"
    assert text(1.5) is None and text(["a"]) is None and text(10**4500) is None


def test_currency_codes_are_three_ascii_letters() -> None:
    assert currency_code(" usd ") == "USD"
    assert [currency_code(v) for v in ("US", "USDT", "ÜSD", "U$D", 840)] == [None] * 5


def test_unwrap_list_accepts_every_observed_shape() -> None:
    assert unwrap_list({"string": ["a", "b"]}, "string") == ["a", "b"]
    assert unwrap_list({"string": "a"}, "string") == ["a"]
    assert unwrap_list(["a"], "string") == ["a"]
    assert unwrap_list({"string": None}, "string") == []
