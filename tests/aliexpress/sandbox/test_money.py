"""Fixed exchange rates: the same amounts on every run, in each currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from affsite.aliexpress.sandbox.money import CURRENCIES, convert, decimals, price_text
from affsite.settings import CURRENCIES as SETTINGS_CURRENCIES


def test_the_sandbox_prices_every_currency_the_settings_offer() -> None:
    assert set(SETTINGS_CURRENCIES) <= set(CURRENCIES)


@pytest.mark.parametrize("currency", CURRENCIES)
def test_converted_amounts_have_the_currency_decimals(currency: str) -> None:
    amount = convert(Decimal("12.34"), currency)
    assert amount > 0
    assert -amount.as_tuple().exponent == decimals(currency)  # type: ignore[operator]


def test_usd_is_unchanged_and_texts_never_use_exponents() -> None:
    assert convert(Decimal("12.34"), "USD") == Decimal("12.34")
    assert price_text(Decimal("1E+3")) == "1000"
    assert decimals("JPY") == 0 and decimals("EUR") == 2
