"""Field parsers for the gateway's JSON: each takes one raw value and returns a clean value or
None, never an exception.

The gateway's JSON drifts: ids come as numbers or strings, lists as ``{"product": [...]}``,
bare lists or a single object, any field may be missing or ``""``, rates carry a ``%``. It is
also untrusted: a number is accepted only as plain decimal digits (no exponent, no NaN or
Infinity, no sign) and within the range its field can have, because a value such as
``"1e1000000"`` turns into a million-digit integer or string the moment anything formats it.
Out of range means missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

ID_MAX_DIGITS: Final = 20
# Raw numbers longer than this are never a value any field can have.
_MAX_NUMBER_TEXT: Final = 32
# Plain digits, optionally grouped in thousands ("1,289"), with at most 6 decimals.
_PLAIN_NUMBER = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,6})?")
# Ints beyond this are not values of any field; checked before str() (4300-digit limit).
_MAX_INT_MAGNITUDE: Final = 10**30

MAX_AMOUNT: Final = Decimal(10) ** 10
"""Prices are below this in every currency (about 400,000 USD even in Vietnamese dong)."""
MAX_PERCENT: Final = Decimal(100)
"""Discounts, ratings and commission rates are percentages."""
MAX_COUNT: Final = 10**9
"""Orders, page numbers and record totals."""


def unwrap_list(value: Any, key: str) -> list[Any]:
    """The items of a TOP-style list: ``{key: [...]}``, ``{key: item}``, a bare list or one item.

    >>> unwrap_list({"product": [{"a": 1}]}, "product")
    [{'a': 1}]
    >>> unwrap_list({"a": 1}, "product")
    [{'a': 1}]
    >>> unwrap_list(None, "product"), unwrap_list("", "product")
    ([], [])
    """
    if value is None or value == "":
        return []
    if isinstance(value, Mapping) and key in value:
        value = value[key]
        if value is None or value == "":
            return []
    if isinstance(value, list):
        return list(value)
    return [value]


def text(value: Any) -> str | None:
    """A non-empty, stripped string, or None (integers become their decimal text).

    >>> text("  mug "), text(""), text(1289), text(10**40), text(True)
    ('mug', None, '1289', None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < _MAX_INT_MAGNITUDE else None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def global_id(value: Any) -> str | None:
    """A product/category/shop id as a string of digits, whether sent as number or string.

    >>> global_id(1005004757833857), global_id(" 33006951782 "), global_id("12a"), global_id(1.5)
    ('1005004757833857', '33006951782', None, None)
    """
    candidate = text(value)
    if candidate is None or len(candidate) > ID_MAX_DIGITS:
        return None
    return candidate if candidate.isascii() and candidate.isdigit() else None


def bounded_decimal(value: Any, maximum: Decimal, *, percent: bool = False) -> Decimal | None:
    """A Decimal in ``[0, maximum]`` from ``"12.34"``, ``12.34``, ``3`` (``"7.0%"`` when
    ``percent``); anything else (exponents, NaN, signs, too many digits, too big) is None.

    >>> bounded_decimal("12.30", MAX_AMOUNT), bounded_decimal("1,289.5", MAX_AMOUNT)
    (Decimal('12.30'), Decimal('1289.5'))
    >>> bounded_decimal("7.0%", MAX_PERCENT, percent=True), bounded_decimal(3, MAX_AMOUNT)
    (Decimal('7.0'), Decimal('3'))
    >>> [bounded_decimal(v, MAX_AMOUNT) for v in ("1e26", "NaN", "-1", "", 1e300, "12,34")]
    [None, None, None, None, None, None]
    >>> bounded_decimal("1E+80000000%", MAX_PERCENT, percent=True), bounded_decimal("101", 100)
    (None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)  # the shortest text that round-trips; "1e+26" fails below
    raw = text(value)
    if raw is None or len(raw) > _MAX_NUMBER_TEXT:
        return None
    if percent:
        raw = raw.removesuffix("%").rstrip()
    if not _PLAIN_NUMBER.fullmatch(raw):
        return None
    number = Decimal(raw.replace(",", ""))
    return number if number <= maximum else None


def amount(value: Any) -> Decimal | None:
    """A price: at most ``MAX_AMOUNT``.

    >>> amount("11.40"), amount("1e26"), amount("99999999999")
    (Decimal('11.40'), None, None)
    """
    return bounded_decimal(value, MAX_AMOUNT)


def percent(value: Any) -> Decimal | None:
    """A percentage in [0, 100], with or without its ``%``.

    >>> percent("94.6%"), percent("50"), percent("100.1%"), percent("1E+80000000%")
    (Decimal('94.6'), Decimal('50'), None, None)
    """
    return bounded_decimal(value, MAX_PERCENT, percent=True)


def count(value: Any) -> int | None:
    """A whole number in [0, ``MAX_COUNT``] from ``1289``, ``"1289"``, ``"1,289"`` or ``"1289.0"``.

    >>> count("1289"), count("1,289"), count(1289.0), count("12.5"), count("1e1000000")
    (1289, 1289, 1289, None, None)
    """
    number = bounded_decimal(value, Decimal(MAX_COUNT))
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def currency_code(value: Any) -> str | None:
    """A three-letter currency code, upper-cased.

    >>> currency_code("eur"), currency_code("EURO"), currency_code("€")
    ('EUR', None, None)
    """
    code = text(value)
    if code is None or len(code) != 3 or not (code.isascii() and code.isalpha()):
        return None
    return code.upper()
