"""Money formatting is total: any number the gateway sends is a price or no price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from affsite.render.money import MAX_AMOUNT, format_money, locale_for


def test_prices_are_written_for_the_language() -> None:
    assert format_money(Decimal("12.34"), "USD") == "$12.34"
    assert format_money(Decimal("1234.5"), "EUR", "DE") == "1.234,50\xa0€"
    assert format_money(Decimal("7"), "JPY", "JA") == "￥7"


def test_an_unknown_currency_is_written_plainly() -> None:
    assert format_money(Decimal("3.5"), "XYZ") == "XYZ3.50"


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("1e26"),  # the audit's target_sale_price: Babel raised InvalidOperation
        Decimal("1E+80000000"),
        MAX_AMOUNT,
        Decimal("-1"),
        Decimal("NaN"),
        Decimal("sNaN"),  # cannot even be hashed (the memo would raise)
        Decimal("Infinity"),
        Decimal("1e-1000000"),
        12.34,  # a float never reaches a price
        "12.34",
        None,
    ],
)
def test_an_amount_that_is_not_a_sane_price_is_no_price(amount: object) -> None:
    assert format_money(amount, "USD") is None


@pytest.mark.parametrize("currency", ["", "   ", "X" * 100, None, 7])
def test_a_currency_that_is_not_one_is_no_price(currency: object) -> None:
    assert format_money(Decimal("1"), currency) is None


def test_the_largest_sane_price_is_still_written() -> None:
    assert format_money(MAX_AMOUNT - 1, "USD") == "$999,999,999,999.00"


@pytest.mark.parametrize("language", ["??", "", "x" * 500, "../../etc", "EN\n"])
def test_an_odd_language_falls_back_to_english(language: str) -> None:
    assert format_money(Decimal("2"), "USD", language) == "$2.00"


def test_locales_of_aliexpress_language_codes() -> None:
    assert [locale_for(code) for code in ("EN", "PT", "IW", "IN", "FR", "zz")] == [
        "en_US",
        "pt_BR",
        "he",
        "id",
        "fr",
        "en_US",
    ]
