"""Currencies, languages and fixed exchange rates of the sandbox gateway.

The rates are fixed on purpose: answers must be identical on every run. Amounts are ``Decimal``
quantised to the currency's minor unit (0 decimals for JPY, KRW, IDR, VND, CLP).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

# Units of each currency per US dollar. The set is the gateway's documented target_currency list.
RATES_PER_USD = MappingProxyType(
    {
        "USD": Decimal("1"),
        "EUR": Decimal("0.92"),
        "GBP": Decimal("0.79"),
        "CAD": Decimal("1.36"),
        "AUD": Decimal("1.52"),
        "UAH": Decimal("41.20"),
        "MXN": Decimal("18.20"),
        "TRY": Decimal("32.50"),
        "RUB": Decimal("92.50"),
        "BRL": Decimal("5.45"),
        "INR": Decimal("83.40"),
        "JPY": Decimal("151.30"),
        "IDR": Decimal("15850"),
        "SEK": Decimal("10.60"),
        "KRW": Decimal("1365"),
        "ILS": Decimal("3.70"),
        "THB": Decimal("36.20"),
        "CLP": Decimal("935"),
        "VND": Decimal("25300"),
    }
)

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "IDR", "VND", "CLP"})

CURRENCIES: tuple[str, ...] = tuple(RATES_PER_USD)

# target_language values the gateway documents (IW is the legacy code for Hebrew).
LANGUAGES: tuple[str, ...] = (
    "EN", "RU", "PT", "ES", "FR", "ID", "IT", "TH", "JA", "AR", "VI",
    "TR", "DE", "HE", "KO", "NL", "PL", "MX", "CL", "IW", "IN",
)  # fmt: skip


def decimals(currency: str) -> int:
    """Digits after the decimal point in prices of ``currency``."""
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def convert(amount_usd: Decimal, currency: str) -> Decimal:
    """``amount_usd`` in ``currency`` at the fixed rate, rounded half-up to the minor unit."""
    exponent = Decimal(1).scaleb(-decimals(currency))
    return (amount_usd * RATES_PER_USD[currency]).quantize(exponent, rounding=ROUND_HALF_UP)


def price_text(amount: Decimal) -> str:
    """The wire form of a price: a plain decimal string without exponent or symbol."""
    return format(amount, "f")
