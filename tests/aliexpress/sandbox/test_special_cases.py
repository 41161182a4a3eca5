"""The hand-written listings: unique ids, the documented demo products, every awkward case."""

from __future__ import annotations

from affsite.aliexpress.sandbox.catalog import DEMO_PRODUCT_IDS
from affsite.aliexpress.sandbox.catalog_data import CATEGORY_SPECS
from affsite.aliexpress.sandbox.special_cases import SPECIAL_CASES


def test_ids_are_unique_and_of_real_lengths() -> None:
    ids = [case.id for case in SPECIAL_CASES]
    assert len(ids) == len(set(ids))
    assert all(9 <= len(str(i)) <= 16 for i in ids)


def test_the_documented_demo_products_are_there_and_promotable() -> None:
    by_id = {str(case.id): case for case in SPECIAL_CASES}
    assert all(by_id[pid].promotable for pid in DEMO_PRODUCT_IDS)


def test_every_case_names_a_known_category_and_a_sane_price() -> None:
    categories = {spec.id for spec in CATEGORY_SPECS}
    for case in SPECIAL_CASES:
        assert case.category_id in categories, case.id
        assert float(case.price_usd) > 0
        assert case.original_usd is None or float(case.original_usd) > float(case.price_usd)


def test_the_awkward_cases_are_all_present() -> None:
    tags = set().union(*(case.tags for case in SPECIAL_CASES))
    assert {"hostile", "non_latin", "rtl", "demo"} <= tags
    assert any(not case.promotable for case in SPECIAL_CASES)
    assert any(case.blank or case.absent for case in SPECIAL_CASES)
