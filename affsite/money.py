"""Prices as visitors read them: ``Decimal`` amounts formatted for the site's language.

AliExpress answers with an amount and its currency code; Babel knows how each locale writes
them (``$12.34``, ``12,34 €``, ``₽1 234,00``). Amounts stay ``Decimal`` to the end.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

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
    code = language.strip().upper()
    name = _LOCALE_OF_LANGUAGE.get(code, code.lower())
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return "en_US"
    return name


# Pages show the same few prices again and again; Babel's formatting is the costly part of
# drawing a box, so each (amount, currency, language) is formatted once per process.
@functools.lru_cache(maxsize=8192)
def format_money(amount: Decimal, currency: str, language: str = "EN") -> str:
    """``amount`` in ``currency`` as written in ``language``; plain ``12.34 XYZ`` for a
    currency code Babel does not know.

    >>> format_money(Decimal("12.34"), "USD")
    '$12.34'
    >>> format_money(Decimal("1234.5"), "EUR", "DE")
    '1.234,50\\xa0€'
    """
    try:
        return format_currency(amount, currency, locale=locale_for(language))
    except (ValueError, KeyError):
        return f"{amount} {currency}"
