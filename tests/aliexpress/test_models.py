"""The tolerant parsers turn every observed shape of the gateway's JSON into clean values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from affsite.aliexpress.models import (
    Money,
    Product,
    ProductPage,
    parse_categories,
    parse_products,
)

from .fakes import raw_product


def test_documented_example_product_parses_to_display_values() -> None:
    product = Product.from_api(raw_product(1005004757833857))
    assert product.id == "1005004757833857"
    assert product.price == Money(Decimal("11.40"), "EUR")
    assert product.original_price == Money(Decimal("22.80"), "EUR")
    assert product.discount_percent == Decimal("50")
    assert product.commission_rate == Decimal("7.0")
    assert product.rating_percent == Decimal("94.6")
    assert product.orders == 1289
    assert product.category == "Earphones & Headphones"
    assert product.promotion_link == "https://s.click.aliexpress.com/e/_1005004757833857"


@pytest.mark.parametrize("raw_id", [1005004757833857, "1005004757833857", " 1005004757833857 "])
def test_ids_as_number_or_string_become_the_same_string(raw_id: int | str) -> None:
    assert Product.from_api(raw_product(raw_id)).id == "1005004757833857"


@pytest.mark.parametrize("raw_id", [None, "", "abc", 12.5, True, "１２３"])
def test_entries_without_a_usable_id_are_rejected(raw_id: object) -> None:
    with pytest.raises(ValueError):
        Product.from_api({**raw_product(1), "product_id": raw_id})


@pytest.mark.parametrize(
    "container",
    [
        {"product": [raw_product(1), raw_product(2)]},
        [raw_product(1), raw_product(2)],
    ],
)
def test_product_lists_wrapped_or_bare(container: object) -> None:
    assert [p.id for p in parse_products(container)] == ["1", "2"]


def test_a_single_object_instead_of_a_list() -> None:
    assert [p.id for p in parse_products({"product": raw_product(7)})] == ["7"]
    assert [p.id for p in parse_products(raw_product(8))] == ["8"]


@pytest.mark.parametrize("container", [None, "", {"product": []}, {"product": None}, []])
def test_empty_containers_give_no_products(container: object) -> None:
    assert parse_products(container) == []


def test_broken_entries_are_skipped_not_fatal() -> None:
    products = parse_products({"product": ["junk", {"no": "id"}, raw_product(3)]})
    assert [p.id for p in products] == ["3"]


def test_missing_fields_and_empty_strings_become_none() -> None:
    product = Product.from_api(
        {
            "product_id": "42",
            "product_title": "",
            "product_video_url": "",
            "target_sale_price": "",
            "target_sale_price_currency": "",
            "evaluate_rate": "",
            "lastest_volume": "",
        }
    )
    assert product == Product(id="42")


def test_price_falls_back_to_the_sale_price_pair_when_no_target_price() -> None:
    raw = raw_product(1)
    for name in ("target_sale_price", "target_sale_price_currency"):
        del raw[name]
    product = Product.from_api(raw)
    assert product.price == Money(Decimal("12.34"), "USD")
    assert product.original_price == Money(Decimal("24.68"), "USD")


def test_a_price_without_its_currency_is_not_guessed() -> None:
    raw = raw_product(1, target_sale_price_currency="", sale_price_currency=None)
    assert Product.from_api(raw).price is None


def test_original_price_not_above_the_price_is_dropped() -> None:
    raw = raw_product(1, target_original_price="11.40", discount="")
    product = Product.from_api(raw)
    assert product.original_price is None
    assert product.discount_percent is None


def test_discount_is_computed_when_missing() -> None:
    raw = raw_product(1, discount=None, target_sale_price="75", target_original_price="100")
    assert Product.from_api(raw).discount_percent == Decimal("25")


def test_rates_and_counts_in_their_observed_forms() -> None:
    product = Product.from_api(
        raw_product(1, commission_rate="3.5%", evaluate_rate="100.0%", lastest_volume="77")
    )
    assert product.commission_rate == Decimal("3.5")
    assert product.rating_percent == Decimal("100.0")
    assert product.orders == 77


def test_nonsense_numbers_are_none_not_errors() -> None:
    product = Product.from_api(
        raw_product(1, target_sale_price="NaN", evaluate_rate="high", lastest_volume="-3")
    )
    assert product.price == Money(Decimal("12.34"), "USD")
    assert product.rating_percent is None
    assert product.orders is None


def test_images_protocol_relative_made_https_and_deduplicated() -> None:
    raw = raw_product(
        1,
        product_main_image_url="//ae01.alicdn.com/kf/main.jpg",
        product_small_image_urls={
            "string": ["//ae01.alicdn.com/kf/main.jpg", "https://ae01.alicdn.com/kf/b.jpg"]
        },
        product_detail_url="//www.aliexpress.com/item/1.html",
    )
    product = Product.from_api(raw)
    assert product.image == "https://ae01.alicdn.com/kf/main.jpg"
    assert product.images == (
        "https://ae01.alicdn.com/kf/main.jpg",
        "https://ae01.alicdn.com/kf/b.jpg",
    )
    assert product.detail_url == "https://www.aliexpress.com/item/1.html"


def test_images_as_bare_list_or_single_string() -> None:
    bare = Product.from_api(raw_product(1, product_small_image_urls=["https://x.test/a.jpg"]))
    single = Product.from_api(
        raw_product(1, product_small_image_urls={"string": "https://x.test/b.jpg"})
    )
    assert "https://x.test/a.jpg" in bare.images
    assert "https://x.test/b.jpg" in single.images


def test_image_from_small_images_when_main_is_missing() -> None:
    raw = raw_product(
        1, product_main_image_url="", product_small_image_urls={"string": ["https://x.test/s.jpg"]}
    )
    assert Product.from_api(raw).image == "https://x.test/s.jpg"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "https://evil.test/a b", "ftp://x/y"]
)
def test_unsafe_urls_are_dropped(url: str) -> None:
    product = Product.from_api(raw_product(1, product_detail_url=url, promotion_link=url))
    assert product.detail_url is None and product.promotion_link is None


def test_hostile_title_is_kept_verbatim_for_escaping_later() -> None:
    title = '<img src=x onerror=alert(1)> "קפה" 咖啡'
    assert Product.from_api(raw_product(1, product_title=title)).title == title


def test_to_dict_is_json_safe_and_round_trips() -> None:
    product = Product.from_api(raw_product(1005004757833857))
    data = json.loads(json.dumps(product.to_dict()))
    assert data["price"] == {"amount": "11.40", "currency": "EUR"}
    assert data["commission_rate"] == "7.0"
    assert Product.from_dict(data) == product


def test_sparse_product_round_trips() -> None:
    product = Product(id="9")
    assert Product.from_dict(json.loads(json.dumps(product.to_dict()))) == product


def test_from_dict_ignores_unknown_keys() -> None:
    assert Product.from_dict({"id": "5", "future_field": 1}) == Product(id="5")


def test_categories_top_level_have_no_parent() -> None:
    categories = parse_categories(
        {
            "categories": {
                "category": [
                    {"category_id": 44, "category_name": "Consumer Electronics"},
                    {
                        "category_id": "200003803",
                        "category_name": "Earphones",
                        "parent_category_id": 44,
                    },
                    {"category_id": "", "category_name": "broken"},
                ]
            }
        }
    )
    assert [(c.id, c.name, c.parent_id) for c in categories] == [
        ("44", "Consumer Electronics", None),
        ("200003803", "Earphones", "44"),
    ]


def test_product_page_totals_and_fallbacks() -> None:
    page = ProductPage.from_api(
        {
            "current_page_no": 2,
            "total_record_count": "120",
            "total_page_no": 3,
            "products": {"product": [raw_product(1)]},
        },
        page_no=2,
        page_size=50,
    )
    assert (len(page), page.page_no, page.total_records, page.total_pages) == (1, 2, 120, 3)
    empty = ProductPage.from_api({}, page_no=1, page_size=20)
    assert list(empty) == [] and empty.total_records is None
