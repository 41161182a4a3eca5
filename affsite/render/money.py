"""Prices as visitors read them: ``Decimal`` amounts formatted for the site's language.

AliExpress answers with an amount and its currency code; Babel knows how each locale writes
them (``$12.34``, ``12,34 €``, ``₽1 234,00``). Amounts stay ``Decimal`` to the end.

``format_money`` is total: whatever the gateway sent, it returns text or None (show no price)
and never raises, so one product's numbers can never break a page.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

# No product costs a trillion of anything; beyond this an amount is a gateway error, and
# Babel's quantizing would raise on it (28 significant digits) or print a wall of digits.
MAX_AMOUNT = Decimal(10) ** 12
# Smaller than a millionth of a cent is not a price either.
_MIN_ADJUSTED_EXPONENT = -8
# Longer than any ISO 4217 code; longer text is not a currency and would only fill the memo.
_MAX_CURRENCY_LENGTH = 8

# AliExpress language codes that are not Babel locale names.
_LOCALE_OF_LANGUAGE = {
    "EN": "en_US",
    "PT": "pt_BR",
    "ES": "es_ES",
    "MX": "es_MX",
    "CL": "es_CL",
    "IW": "he",
    "HE": "he",
    "IN": "id",
    "ID": "id",
    "JA": "ja",
    "KO": "ko",
}


def locale_for(language: str) -> str:
    """The Babel locale for an AliExpress ``target_language`` code (English when unknown).

    >>> locale_for("DE"), locale_for("PT"), locale_for("IW"), locale_for("??")
    ('de', 'pt_BR', 'he', 'en_US')
    """
    code = str(language).strip().upper()
    name = _LOCALE_OF_LANGUAGE.get(code, code.lower())
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_US"
    return name


def format_money(amount: object, currency: object, language: str = "EN") -> str | None:
    """``amount`` in ``currency`` as written in ``language``; plain ``12.34 XYZ`` for a
    currency code Babel does not know; None (show no price) for an amount that is not a
    sane price: not a finite ``Decimal``, negative, ``MAX_AMOUNT`` or more, or a vanishing
    fraction.

    >>> format_money(Decimal("12.34"), "USD")
    '$12.34'
    >>> format_money(Decimal("1234.5"), "EUR", "DE")
    '1.234,50\\xa0€'
    >>> format_money(Decimal("1e26"), "USD") is None, format_money(Decimal("NaN"), "USD") is None
    (True, True)
    """
    if not isinstance(amount, Decimal) or not isinstance(currency, str):
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return None
    if amount and amount.adjusted() < _MIN_ADJUSTED_EXPONENT:
        return None  # 1e-1000000: not a price, and its digits would be a wall of zeros
    code = currency.strip().upper()
    if not code or len(code) > _MAX_CURRENCY_LENGTH:
        return None
    return _format(amount, code, str(language))


# Pages show the same few prices again and again; Babel's formatting is the costly part of
# drawing a box, so each (amount, currency, language) is formatted once per process. Only
# checked, bounded amounts reach this memo (a signalling NaN could not even be hashed).
@functools.lru_cache(maxsize=1024)
def _format(amount: Decimal, currency: str, language: str) -> str:
    try:
        return format_currency(amount, currency, locale=locale_for(language))
    except (ValueError, KeyError, ArithmeticError, TypeError):
        return f"{amount:f} {currency}"
