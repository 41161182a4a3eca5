"""The tolerant parsers turn every observed shape of the gateway's JSON into clean values, and
nothing hostile (absurd numbers, off-site URLs) into anything at all."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

from affsite.aliexpress.models import (
    MAX_IMAGES,
    Money,
    Product,
    ProductPage,
    match_links,
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
    bare = Product.from_api(
        raw_product(1, product_small_image_urls=["https://ae01.alicdn.com/kf/a.jpg"])
    )
    single = Product.from_api(
        raw_product(1, product_small_image_urls={"string": "https://ae01.alicdn.com/kf/b.jpg"})
    )
    assert "https://ae01.alicdn.com/kf/a.jpg" in bare.images
    assert "https://ae01.alicdn.com/kf/b.jpg" in single.images


def test_image_from_small_images_when_main_is_missing() -> None:
    raw = raw_product(
        1,
        product_main_image_url="",
        product_small_image_urls={"string": ["https://ae01.alicdn.com/kf/s.jpg"]},
    )
    assert Product.from_api(raw).image == "https://ae01.alicdn.com/kf/s.jpg"


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


def test_a_cached_product_keeps_every_field() -> None:
    """A product with every field set comes back whole from its cache entry: no field is
    forgotten by ``from_dict`` (a box would lose its shop, video or delivery time)."""
    product = Product.from_api(
        raw_product(
            1005004757833857,
            product_video_url="https://video.aliexpress-media.com/play/1.mp4",
            hot_product_commission_rate="9.5%",
            first_level_category_name="Consumer Electronics",
            second_level_category_id="63705",
            shop_id="912345678",
            shop_name="Example Audio Store",
            ship_to_days="7-15",
        )
    )
    unset = [name for name, value in product.to_dict().items() if value is None]
    assert not unset, f"the sample should set every field: {unset}"
    assert Product.from_dict(json.loads(json.dumps(product.to_dict()))) == product


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


def test_images_are_bounded_in_number() -> None:
    many = [f"https://ae01.alicdn.com/kf/{n}.jpg" for n in range(500)]
    product = Product.from_api(raw_product(1, product_small_image_urls={"string": many}))
    assert len(product.images) == MAX_IMAGES


def test_link_generate_items_are_matched_by_source_value_and_filtered() -> None:
    a = "https://www.aliexpress.com/item/1.html"
    b = "https://www.aliexpress.com/item/2.html"
    result = {
        "promotion_links": {
            "promotion_link": [
                {"source_value": b, "promotion_link": "https://s.click.aliexpress.com/e/_B"},
                {"source_value": a, "promotion_link": "https://evil.example/phish"},
                "junk",
            ]
        }
    }
    assert match_links([a, b], result) == {a: None, b: "https://s.click.aliexpress.com/e/_B"}


# -- issue 8, row 1: every number from the gateway within sane bounds -------------------------

# The values the audit's hostile gateway sent, then their relatives.
AUDIT_NUMBERS = ["1e26", "1e1000000", "1E+80000000%"]
ABSURD_NUMBERS = [
    *AUDIT_NUMBERS,
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "-1",
    "-0.01",
    "1e-1000000",
    "99999999999999999999999999",
    "0x10",
    "1_000",
    "12,34",
    "1" * 5000,
    float("nan"),
    float("inf"),
    1e300,
    -5,
    10**5000,
]


def _shown(value: Any) -> str:
    """A short test id for a hostile value (repr of a 5,000-digit int raises)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"int of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _formats_quickly(product: Product) -> str:
    """Everything pages, the JSON API and the cache do with a product's numbers."""
    started = time.perf_counter()
    text = json.dumps(product.to_dict())
    for money in (product.price, product.original_price):
        if money is not None:
            f"{money.amount:,.2f} {money}"
            money.amount.quantize(Decimal("0.01"))
    for rate in (product.discount_percent, product.rating_percent, product.commission_rate):
        if rate is not None:
            f"{rate:f}"
            rate.quantize(Decimal("0.1"))
    assert time.perf_counter() - started < 0.5
    assert len(text) < 5_000
    return text


@pytest.mark.parametrize("value", ABSURD_NUMBERS, ids=_shown)
def test_absurd_prices_are_missing_not_errors(value: Any) -> None:
    raw = raw_product(1)
    for name in ("target_sale_price", "target_original_price", "sale_price", "original_price"):
        raw[name] = value
    product = Product.from_api(raw)
    assert product.price is None and product.original_price is None
    _formats_quickly(product)


def test_the_audit_price_falls_back_to_the_plain_pair_when_it_is_sane() -> None:
    product = Product.from_api(raw_product(1, target_sale_price="1e26"))
    assert product.price == Money(Decimal("12.34"), "USD")
    assert product.original_price == Money(Decimal("24.68"), "USD")


@pytest.mark.parametrize("value", [*ABSURD_NUMBERS, "100.1%", "250", "1000%"], ids=_shown)
@pytest.mark.parametrize(
    ("field", "attribute"),
    [
        ("evaluate_rate", "rating_percent"),
        ("commission_rate", "commission_rate"),
        ("hot_product_commission_rate", "hot_commission_rate"),
        ("discount", "discount_percent"),
    ],
)
def test_absurd_percentages_are_missing(value: Any, field: str, attribute: str) -> None:
    raw = raw_product(1, **{field: value})
    if field == "discount":  # otherwise it is worked out from the prices
        del raw["target_original_price"], raw["original_price"]
    product = Product.from_api(raw)
    assert getattr(product, attribute) is None
    _formats_quickly(product)


@pytest.mark.parametrize("value", [*ABSURD_NUMBERS, "12.5", 10**10, "1e9"], ids=_shown)
def test_absurd_volumes_are_missing(value: Any) -> None:
    product = Product.from_api(raw_product(1, lastest_volume=value))
    assert product.orders is None
    _formats_quickly(product)


@pytest.mark.parametrize("value", ["1" * 21, 10**25, "-1", "1e5", "１２３"], ids=_shown)
def test_absurd_ids_are_missing(value: Any) -> None:
    product = Product.from_api(
        raw_product(1, shop_id=value, second_level_category_id=value, first_level_category_id=None)
    )
    assert product.shop_id is None and product.category_id is None
    with pytest.raises(ValueError):
        Product.from_api(raw_product(value))


@pytest.mark.parametrize("value", ["EURO", "€", "E", "US D", "X" * 100_000], ids=_shown)
def test_a_currency_is_three_letters_or_nothing(value: str) -> None:
    raw = raw_product(1, target_sale_price_currency=value, target_original_price_currency=value)
    assert Product.from_api(raw).price == Money(Decimal("12.34"), "USD")


def test_the_audit_product_is_small_and_fast_end_to_end() -> None:
    """The audit's three values in one product: none survives, nothing is slow or big."""
    raw = raw_product(
        1005004757833857,
        target_sale_price="1e26",
        sale_price="1e26",
        lastest_volume="1e1000000",
        evaluate_rate="1E+80000000%",
    )
    started = time.perf_counter()
    (product,) = parse_products({"product": [raw]})
    assert time.perf_counter() - started < 0.5
    assert (product.price, product.orders, product.rating_percent) == (None, None, None)
    assert Product.from_dict(json.loads(_formats_quickly(product))) == product


def test_sane_extremes_survive_and_format() -> None:
    raw = raw_product(
        1,
        target_sale_price="9,999,999,999.99",
        target_sale_price_currency="VND",
        target_original_price="",
        discount="100%",
        evaluate_rate="0.0%",
        lastest_volume="1,000,000,000",
    )
    product = Product.from_api(raw)
    assert product.price == Money(Decimal("9999999999.99"), "VND")
    assert (product.discount_percent, product.rating_percent) == (Decimal(100), Decimal("0.0"))
    assert product.orders == 1_000_000_000
    _formats_quickly(product)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("price", {"amount": "1e26", "currency": "USD"}),
        ("price", {"amount": "NaN", "currency": "USD"}),
        ("price", {"amount": "12.00", "currency": "X" * 1000}),
        ("price", "12.00 USD"),
        ("orders", 10**100),
        ("orders", "1e1000000"),
        ("rating_percent", "1E+80000000"),
        ("discount_percent", "-5"),
    ],
)
def test_cached_entries_are_checked_again(key: str, value: Any) -> None:
    """A cache entry written before these bounds existed (or edited on disk) cannot bring an
    absurd number back."""
    data = Product.from_api(raw_product(1)).to_dict()
    data[key] = value
    assert getattr(Product.from_dict(data), key) is None


# -- issue 8, row 2: only https URLs on AliExpress's own hosts ------------------------------

OFF_SITE = [
    "https://evil.example/phish",
    "//evil.example/x",
    "/admin/logout",
    "admin/logout",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://www.aliexpress.com/item/1.html",
    "https://evil.com\\@a.aliexpress.com/",
    "https://a.aliexpress.com@evil.com/",
    "https://a.aliexpress.com:443@evil.com/",
    "https://127.0.0.1/item/1.html",
    "https://[::ffff:127.0.0.1]/",
    "https://2130706433/",
    "https://aliexpress.com.evil.com/",
    "https://evilaliexpress.com/",
    "https://a.aliexpress.com./x",
    "https://xn--aliexpres-xyz.com/",
    "https://www.aliexpress.com/\nx",
    "https://www.aliexpress.com/ x",
    "https://www.aliexpress.com:8443/x",
    "https:www.aliexpress.com/x",
    "https:/\\evil.example/",
    "ftp://www.aliexpress.com/x",
]


@pytest.mark.parametrize("url", OFF_SITE)
@pytest.mark.parametrize("field", ["promotion_link", "product_detail_url", "shop_url"])
def test_links_off_aliexpress_are_dropped(url: str, field: str) -> None:
    product = Product.from_api(raw_product(1, **{field: url}))
    data = json.dumps(product.to_dict())
    assert "evil" not in data and "admin" not in data and "127.0.0.1" not in data
    assert {
        "promotion_link": product.promotion_link,
        "product_detail_url": product.detail_url,
        "shop_url": product.shop_url,
    }[field] is None


@pytest.mark.parametrize("url", [*OFF_SITE, "/sandbox-media/1-0.svg"])
def test_images_off_aliexpress_image_hosts_are_dropped(url: str) -> None:
    raw = raw_product(
        1,
        product_main_image_url=url,
        product_small_image_urls={"string": [url, "https://ae01.alicdn.com/kf/ok.jpg"]},
        product_video_url=url,
    )
    product = Product.from_api(raw)
    assert product.images == ("https://ae01.alicdn.com/kf/ok.jpg",)
    assert product.image == "https://ae01.alicdn.com/kf/ok.jpg"
    assert product.video_url is None


@pytest.mark.parametrize(
    "url",
    [
        "https://s.click.aliexpress.com/e/_DkTq9Ab",
        "https://www.aliexpress.com/item/1005004757833857.html?spm=a2g0o&x=1",
        "https://aliexpress.ru/item/1.html",
        "https://www.aliexpress.us/item/1.html",
        "https://m.aliexpress.com/store/1",
    ],
)
def test_aliexpress_links_are_kept(url: str) -> None:
    product = Product.from_api(raw_product(1, promotion_link=url, product_detail_url=url))
    assert product.promotion_link == url and product.detail_url == url


def test_the_sandbox_media_address_is_allowed_only_when_given() -> None:
    raw = raw_product(
        1,
        product_main_image_url="/sandbox-media/1-0.svg",
        product_small_image_urls={"string": ["/sandbox-media/1-0.svg", "/sandbox-media/1-1.svg"]},
    )
    assert Product.from_api(raw).images == ()
    demo = Product.from_api(raw, media_base_url="/sandbox-media/")
    assert demo.images == ("/sandbox-media/1-0.svg", "/sandbox-media/1-1.svg")
    assert Product.from_dict(demo.to_dict(), media_base_url="/sandbox-media/") == demo
    assert Product.from_dict(demo.to_dict()).images == ()
    other = Product.from_api(
        raw_product(1, product_main_image_url="/admin/logout", product_small_image_urls=None),
        media_base_url="/sandbox-media/",
    )
    assert other.images == ()


@pytest.mark.parametrize("url", OFF_SITE)
def test_cached_urls_are_checked_again(url: str) -> None:
    data = Product.from_api(raw_product(1)).to_dict()
    data.update(promotion_link=url, detail_url=url, shop_url=url, image=url, images=[url])
    product = Product.from_dict(data)
    assert (product.promotion_link, product.detail_url, product.shop_url) == (None,) * 3
    assert product.image is None and product.images == ()
