"""Product id rules: which digit strings are product ids, and the regional (aliexpress.us) shift.

A product id is 6 to 19 ASCII digits without a leading zero, at most 2^63 - 1. Ids of 2^51 or
more are regional (aliexpress.us) ids: the global id is ``raw - 2^51`` (url-forms.md 5.2).

>>> global_id(str(2**51 + 1005001513148147))
'1005001513148147'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from affsite.product_ids.verdicts import Form, Kind, Verdict, shorten

__all__ = [
    "ASCII_DIGITS",
    "REGIONAL_OFFSET",
    "QueryIds",
    "bare_id",
    "global_id",
    "id_in_address",
    "id_problem",
    "query_ids",
    "refuse",
]

REGIONAL_OFFSET = 2**51
"""aliexpress.us ids are the global id plus 2^51 (url-forms.md 5.2)."""

_MIN_DIGITS = 6
_MAX_DIGITS = 19
_INT64_MAX = 2**63 - 1
_MIN_GLOBAL_ID = 10 ** (_MIN_DIGITS - 1)

ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryIds:
    """The distinct global ids a query names, in order, and the first raw spelling of each."""

    ids: list[str]
    raw: list[str]


def id_problem(raw: str) -> str | None:
    """Why ``raw`` (ASCII digits) is not a product id, or None when it is one.

    >>> id_problem("0123456"), id_problem("1234567")
    ('product ids do not start with 0', None)
    """
    if not _MIN_DIGITS <= len(raw) <= _MAX_DIGITS:
        return f"it has {len(raw)} digits; product ids have {_MIN_DIGITS} to {_MAX_DIGITS}"
    if raw[0] == "0":
        return "product ids do not start with 0"
    value = int(raw)
    if value > _INT64_MAX:
        return "it is too large to be a product id"
    if value >= REGIONAL_OFFSET and value - REGIONAL_OFFSET < _MIN_GLOBAL_ID:
        return "it is a regional (aliexpress.us) id that stands for no product"
    return None


def global_id(raw: str) -> str:
    """The global id of a valid raw id (regional ids shifted down by :data:`REGIONAL_OFFSET`)."""
    value = int(raw)
    return str(value - REGIONAL_OFFSET) if value >= REGIONAL_OFFSET else raw


def refuse(reason: str, *, form: Form | None = None, kind: Kind = Kind.REFUSED) -> Verdict:
    """A verdict without a product, carrying ``reason``."""
    return Verdict(kind=kind, form=form, error=reason)


def bare_id(raw: str) -> Verdict:
    """The verdict on an input made of ASCII digits only."""
    problem = id_problem(raw)
    if problem is not None:
        return refuse(f"{shorten(raw)} is not a product id: {problem}", form=Form.BARE_ID)
    return Verdict(kind=Kind.PRODUCT, id=global_id(raw), raw_id=raw, form=Form.BARE_ID)


def id_in_address(raw: str, form: Form) -> Verdict:
    """The verdict on the digits a product path carries."""
    problem = id_problem(raw)
    if problem is not None:
        return refuse(
            f"the number {shorten(raw)} in this address is not a product id: {problem}",
            form=form,
            kind=Kind.NOT_PRODUCT,
        )
    return Verdict(kind=Kind.PRODUCT, id=global_id(raw), raw_id=raw, form=form)


def query_ids(query: str, *, keys: frozenset[str]) -> QueryIds | Verdict:
    """Product ids named by ``keys`` in a query string (``ID:SKU`` and ``ID,ID`` lists too).

    A value that is not a product id makes the whole query a refusal (a :class:`Verdict`).

    >>> query_ids("productIds=1005001513148147:1200001601&x=1", keys=frozenset({"productids"}))
    QueryIds(ids=['1005001513148147'], raw=['1005001513148147'])
    """
    found: dict[str, str] = {}  # global id -> first raw spelling, in order
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() not in keys:
            continue
        for entry in value.split(","):
            raw = entry.partition(":")[0].strip()
            if not raw:
                continue
            if not ASCII_DIGITS.fullmatch(raw) or id_problem(raw) is not None:
                return refuse(
                    f"the {key} value {shorten(raw)!r} in this address is not a product id",
                    form=Form.QUERY_PARAM,
                    kind=Kind.NOT_PRODUCT,
                )
            found.setdefault(global_id(raw), raw)
    return QueryIds(ids=list(found), raw=list(found.values()))
