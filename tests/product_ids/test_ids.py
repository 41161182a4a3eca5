"""Product id rules: digits, bounds, leading zeros, regional ids and ids named in a query."""

from __future__ import annotations

import pytest

from affsite.product_ids import REGIONAL_OFFSET, Form, Kind, Verdict
from affsite.product_ids.ids import (
    QueryIds,
    bare_id,
    global_id,
    id_in_address,
    id_problem,
    query_ids,
)

G = "1005001513148147"
US = str(int(G) + REGIONAL_OFFSET)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("123456", None),
        ("9223372036854775807", None),  # 2^63 - 1
        ("12345", "it has 5 digits; product ids have 6 to 19"),
        ("12345678901234567890", "it has 20 digits"),
        ("0123456", "do not start with 0"),
        ("9223372036854775808", "too large"),
        (str(REGIONAL_OFFSET + 99_999), "stands for no product"),
        (str(REGIONAL_OFFSET + 100_000), None),
    ],
)
def test_id_problem(raw: str, problem: str | None) -> None:
    found = id_problem(raw)

    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_regional_ids_shift_down_and_global_ids_stay() -> None:
    assert global_id(US) == G
    assert global_id(G) == G


def test_a_bare_id_verdict_keeps_the_raw_spelling() -> None:
    assert bare_id(US) == Verdict(kind=Kind.PRODUCT, id=G, raw_id=US, form=Form.BARE_ID)
    refused = bare_id("12345")
    assert refused.kind is Kind.REFUSED and refused.form is Form.BARE_ID


def test_a_bad_number_in_an_address_is_not_a_product_page() -> None:
    verdict = id_in_address("0123456", Form.ITEM)

    assert verdict.kind is Kind.NOT_PRODUCT and verdict.form is Form.ITEM
    assert verdict.error is not None and "in this address" in verdict.error


def test_query_ids_reads_lists_and_sku_suffixes_once_each_in_order() -> None:
    found = query_ids(
        f"productIds={G}:12000016012345678,32807670869&productId={US}&x={G}",
        keys=frozenset({"productids", "productid"}),
    )

    assert found == QueryIds(ids=[G, "32807670869"], raw=[G, "32807670869"])


def test_query_ids_refuses_a_value_that_is_not_an_id() -> None:
    refused = query_ids("productIds=abc", keys=frozenset({"productids"}))

    assert isinstance(refused, Verdict) and refused.kind is Kind.NOT_PRODUCT
    assert refused.error is not None and "'abc'" in refused.error
