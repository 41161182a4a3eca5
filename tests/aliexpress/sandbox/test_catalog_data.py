"""The material the sandbox catalog grows from is varied enough to stand for AliExpress."""

from __future__ import annotations

from decimal import Decimal

from affsite.aliexpress.sandbox.catalog_data import CATEGORY_SPECS


def test_there_are_at_least_ten_categories_with_unique_ids() -> None:
    ids = [spec.id for spec in CATEGORY_SPECS]
    assert len(ids) >= 10
    sub_ids = [sub.id for spec in CATEGORY_SPECS for sub in spec.subcategories]
    assert len(set(ids + sub_ids)) == len(ids) + len(sub_ids)


def test_every_kind_has_a_title_features_and_a_sane_price_range() -> None:
    for spec in CATEGORY_SPECS:
        for sub in spec.subcategories:
            assert sub.kinds, sub.name
            for kind in sub.kinds:
                assert kind.core and kind.short and all(kind.features)
                assert Decimal("0") < Decimal(kind.min_usd) <= Decimal(kind.max_usd)
