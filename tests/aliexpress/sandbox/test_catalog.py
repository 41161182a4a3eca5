"""The built-in catalog holds every case a client and its pages must cope with."""

from __future__ import annotations

import unicodedata

from affsite.aliexpress.sandbox import DEMO_PRODUCT_IDS, Sandbox
from affsite.aliexpress.sandbox.catalog import build_catalog


def test_catalog_is_large_varied_and_unique() -> None:
    catalog = build_catalog()
    ids = catalog.ids()
    assert len(ids) >= 200
    assert len(set(ids)) == len(ids)
    assert len({p.category.id for p in catalog.products}) >= 10
    assert set(catalog.ids_by_length()) == set(range(9, 17))
    assert all(pid.isdigit() and not pid.startswith("0") for pid in ids)


def test_catalog_is_identical_across_builds() -> None:
    first, second = build_catalog(), build_catalog()
    assert first.products == second.products
    assert first.categories == second.categories


def test_demo_products_are_promotable() -> None:
    catalog = Sandbox().catalog
    assert set(DEMO_PRODUCT_IDS) <= set(catalog.promotable_ids())
    assert "1005004757833857" in catalog.ids() and "33006951782" in catalog.ids()


def test_catalog_holds_the_awkward_cases() -> None:
    catalog = build_catalog()
    assert catalog.not_promotable_ids()
    assert set(catalog.not_promotable_ids()).isdisjoint(catalog.promotable_ids())
    titles = {pid: catalog.get(pid).title for pid in catalog.ids()}  # type: ignore[union-attr]
    hostile = [titles[pid] for pid in catalog.hostile_ids()]
    assert any("<script>alert(1)</script>" in t for t in hostile)
    assert any('"><img src=x onerror=alert(1)>' in t for t in hostile)
    scripts = {
        unicodedata.name(ch).split()[0]
        for pid in catalog.non_latin_ids()
        for ch in titles[pid]
        if ch.isalpha()
    }
    assert {"CJK", "CYRILLIC", "HIRAGANA", "KATAKANA", "ARABIC", "HEBREW"} <= scripts
    for pid in catalog.rtl_ids():
        assert any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in titles[pid])
    missing = [catalog.get(pid) for pid in catalog.missing_field_ids()]
    assert any(p and "original_price" in p.absent_fields for p in missing)
    assert any(p and "product_small_image_urls" in p.absent_fields for p in missing)
    assert any(p and "evaluate_rate" in p.blank_fields for p in missing)


def test_prices_are_positive_and_originals_not_below_sale() -> None:
    for product in build_catalog().products:
        assert product.price_usd > 0
        assert product.original_usd is None or product.original_usd >= product.price_usd
