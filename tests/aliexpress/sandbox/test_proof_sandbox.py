"""The sandbox's catalog promises, checked end to end through the real client (issue 3):
ids of every real length and prices in every supported currency survive the wire and the
parsers, not only the catalog's own data structures.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.protocol import PRODUCT_DETAIL
from affsite.aliexpress.sandbox import (
    CURRENCIES,
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    DEMO_TRACKING_ID,
    Sandbox,
)
from affsite.clock import FakeClock


@pytest.fixture
def client(sandbox: Sandbox, clock: FakeClock) -> Iterator[AliExpressClient]:
    with AliExpressClient(
        app_key=DEMO_APP_KEY,
        app_secret=DEMO_APP_SECRET,
        transport=sandbox.transport(),
        clock=clock,
        sleep=clock.sleep,
        tracking_id=DEMO_TRACKING_ID,
        batch_size=50,
        max_retries=0,
    ) as made:
        yield made


def test_ids_of_every_length_from_9_to_16_digits_come_back_as_the_same_strings(
    sandbox: Sandbox, client: AliExpressClient
) -> None:
    promotable = set(sandbox.catalog.promotable_ids())
    by_length = sandbox.catalog.ids_by_length()
    assert sorted(by_length) == list(range(9, 17))
    asked = [next(i for i in ids if i in promotable) for _, ids in sorted(by_length.items())]

    found = client.product_details(asked)

    assert list(found) == asked  # 16-digit ids beyond 2**53 included, digit for digit
    assert all(product.id == pid and product.title for pid, product in found.items())
    assert sandbox.call_count(PRODUCT_DETAIL) == 1


@pytest.mark.parametrize("currency", CURRENCIES)
def test_every_promotable_product_is_priced_in_every_supported_currency(
    sandbox: Sandbox, client: AliExpressClient, currency: str
) -> None:
    promotable = sandbox.catalog.promotable_ids()

    found = client.product_details(promotable, currency=currency)

    assert list(found) == promotable
    for product in found.values():
        assert product.price is not None, product.id
        assert product.price.currency == currency
        assert isinstance(product.price.amount, Decimal) and product.price.amount > 0
        if product.original_price is not None:
            assert product.original_price.currency == currency
            assert product.original_price.amount > product.price.amount
