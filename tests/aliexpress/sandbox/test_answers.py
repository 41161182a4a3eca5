"""Each affiliate method answers with the real envelope, field names and JSON types."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from affsite.aliexpress.sandbox import CURRENCIES, DEMO_TRACKING_ID, Sandbox

from .conftest import Call
from .helpers import error_of, result_of

DETAIL = "aliexpress.affiliate.productdetail.get"
QUERY = "aliexpress.affiliate.product.query"
HOT = "aliexpress.affiliate.hotproduct.query"
LINKS = "aliexpress.affiliate.link.generate"
CATEGORIES = "aliexpress.affiliate.category.get"
DEMO_IDS = "1005004757833857,33006951782"
SHORT_LINK = re.compile(r"^https://s\.click\.aliexpress\.com/e/_[0-9A-Za-z]{6,}$")
PRICE = re.compile(r"^[0-9]+(\.[0-9]{2})?$")
RATE = re.compile(r"^[0-9]+\.[0-9]%$")


def products_of(resp_result: dict[str, Any]) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = resp_result["result"]["products"]["product"]
    return products


def detail(call: Call, ids: str, **params: str) -> dict[str, Any]:
    return result_of(call(DETAIL, product_ids=ids, **params).json(), DETAIL)


def test_productdetail_answers_with_real_field_names_and_types(call: Call) -> None:
    resp = detail(call, DEMO_IDS, tracking_id=DEMO_TRACKING_ID, target_currency="EUR", country="DE")
    assert (resp["resp_code"], resp["resp_msg"]) == (200, "Call succeeds")
    assert resp["result"]["current_record_count"] == 2
    by_id = {p["product_id"]: p for p in products_of(resp)}
    assert set(by_id) == {1005004757833857, 33006951782}  # JSON numbers, not strings
    earbuds = by_id[1005004757833857]
    assert earbuds["product_detail_url"] == "https://www.aliexpress.com/item/1005004757833857.html"
    assert SHORT_LINK.match(earbuds["promotion_link"])
    assert re.fullmatch(r"https://www\.aliexpress\.com/store/[0-9]+", earbuds["shop_url"])
    assert earbuds["shop_url"].endswith(str(earbuds["shop_id"]))
    assert isinstance(earbuds["lastest_volume"], int)
    assert isinstance(earbuds["first_level_category_id"], int)
    assert earbuds["first_level_category_name"] == "Consumer Electronics"
    for name in ("sale_price", "original_price", "target_sale_price", "target_original_price"):
        assert PRICE.match(earbuds[name]), name
    assert earbuds["sale_price_currency"] == "USD"
    assert earbuds["target_sale_price_currency"] == "EUR"
    assert earbuds["target_original_price_currency"] == "EUR"
    for name in ("commission_rate", "evaluate_rate", "hot_product_commission_rate"):
        assert RATE.match(earbuds[name]), name
    assert re.fullmatch(r"[0-9]+%", earbuds["discount"])
    images = earbuds["product_small_image_urls"]["string"]
    assert images[0] == earbuds["product_main_image_url"]
    assert all(url.startswith("/sandbox-media/") and url.endswith(".svg") for url in images)
    assert earbuds["ship_to_days"] == "ship to DE in 7 days"


def test_productdetail_omits_not_promotable_and_unknown_ids(sandbox: Sandbox, call: Call) -> None:
    blocked = sandbox.catalog.not_promotable_ids()[:2]
    unknown = "1005000000000000"
    resp = detail(call, ",".join([*blocked, "33006951782", unknown]))
    assert [p["product_id"] for p in products_of(resp)] == [33006951782]
    assert resp["result"]["current_record_count"] == 1


def test_productdetail_with_nothing_promotable_is_405_empty(sandbox: Sandbox, call: Call) -> None:
    resp = detail(call, ",".join(sandbox.catalog.not_promotable_ids()[:3]))
    assert resp == {"resp_code": 405, "resp_msg": "The result is empty"}


def test_productdetail_answer_order_is_not_the_order_asked(sandbox: Sandbox, call: Call) -> None:
    asked = sandbox.catalog.promotable_ids()[:20]
    answered = [str(p["product_id"]) for p in products_of(detail(call, ",".join(asked)))]
    assert sorted(answered) == sorted(asked)
    assert answered != asked


def test_productdetail_accepts_50_ids_and_refuses_51(sandbox: Sandbox, call: Call) -> None:
    ids = sandbox.catalog.promotable_ids()
    assert len(products_of(detail(call, ",".join(ids[:50])))) == 50
    error = error_of(call(DETAIL, product_ids=",".join(ids[:51])))
    assert error["code"] == "InvalidParameter"
    assert "product_ids" in error["msg"]


@pytest.mark.parametrize(
    "params",
    [
        {"product_ids": ""},
        {"product_ids": "12ab"},
        {"product_ids": "1", "target_currency": "XYZ"},
        {"product_ids": "1", "target_language": "KLINGON"},
        {"product_ids": "1", "country": "Germany"},
    ],
)
def test_invalid_productdetail_parameters_are_refused(call: Call, params: dict[str, str]) -> None:
    assert error_of(call(DETAIL, **params))["code"] in ("InvalidParameter", "MissingParameter")


def test_wrong_tracking_id_gives_products_without_links(call: Call) -> None:
    good = products_of(detail(call, DEMO_IDS, tracking_id=DEMO_TRACKING_ID))
    wrong = products_of(detail(call, DEMO_IDS, tracking_id="made_up_id"))
    assert all("promotion_link" in p for p in good)
    assert len(wrong) == 2 and not any("promotion_link" in p for p in wrong)


def test_promotion_links_are_deterministic_per_tracking_id(call: Call) -> None:
    def link(tracking_id: str) -> str:
        (mug,) = products_of(detail(call, "33006951782", tracking_id=tracking_id))
        value: str = mug["promotion_link"]
        return value

    assert link(DEMO_TRACKING_ID) == link(DEMO_TRACKING_ID)
    assert link(DEMO_TRACKING_ID) != link("default")  # both registered by default


@pytest.mark.parametrize("currency", CURRENCIES)
def test_prices_are_converted_with_the_currency_decimals(call: Call, currency: str) -> None:
    (mug,) = products_of(detail(call, "33006951782", target_currency=currency))
    assert mug["target_sale_price_currency"] == currency
    assert mug["sale_price"] == "8.99" and mug["sale_price_currency"] == "USD"
    zero_decimals = currency in ("JPY", "KRW", "IDR", "VND", "CLP")
    pattern = r"[0-9]+" if zero_decimals else r"[0-9]+\.[0-9]{2}"
    assert re.fullmatch(pattern, mug["target_sale_price"])
    assert re.fullmatch(pattern, mug["target_original_price"])
    if currency == "USD":
        assert mug["target_sale_price"] == mug["sale_price"]
    # The original price stays above the sale price in every currency.
    assert Decimal(mug["target_original_price"]) > Decimal(mug["target_sale_price"])


def test_eur_and_jpy_amounts_use_fixed_rates(call: Call) -> None:
    (eur,) = products_of(detail(call, "33006951782", target_currency="EUR"))
    (jpy,) = products_of(detail(call, "33006951782", target_currency="jpy"))
    assert eur["target_sale_price"] == "8.27"  # 8.99 USD x 0.92, half-up
    assert jpy["target_sale_price"] == "1360"  # 8.99 USD x 151.30
    assert jpy["target_sale_price_currency"] == "JPY"


def test_target_language_translates_titles_where_known(call: Call) -> None:
    (ru,) = products_of(detail(call, "1005004757833857", target_language="RU"))
    (en,) = products_of(detail(call, "1005004757833857"))
    assert ru["product_title"].startswith("Беспроводные")
    assert en["product_title"].startswith("Wireless Earbuds")


def test_missing_and_blank_fields_are_answered_as_such(sandbox: Sandbox, call: Call) -> None:
    (bare,) = products_of(detail(call, "1005004410975516"))
    assert "original_price" not in bare and "product_small_image_urls" not in bare
    assert bare["evaluate_rate"] == "" and bare["product_main_image_url"] == ""
    assert "1005004410975516" in sandbox.catalog.missing_field_ids()


def test_fields_parameter_narrows_the_answer(call: Call) -> None:
    (mug,) = products_of(detail(call, "33006951782", fields="commission_rate,sale_price"))
    assert set(mug) == {"product_id", "commission_rate", "sale_price"}


def query(call: Call, method: str = QUERY, **params: str) -> dict[str, Any]:
    return result_of(call(method, **params).json(), method)


def test_product_query_paginates(call: Call) -> None:
    first = query(call, keywords="bluetooth", page_size="5")
    result = first["result"]
    total = result["total_record_count"]
    assert total > 5
    assert result["current_page_no"] == 1 and result["current_record_count"] == 5
    assert result["total_page_no"] == -(-total // 5)
    last = query(call, keywords="bluetooth", page_size="5", page_no=str(result["total_page_no"]))
    assert last["result"]["current_record_count"] == total - 5 * (result["total_page_no"] - 1)
    beyond = query(call, keywords="bluetooth", page_size="5", page_no="999")
    assert beyond["resp_code"] == 405


def test_product_query_filters_by_keywords_category_and_price(call: Call) -> None:
    for product in products_of(query(call, keywords="Phone Case", page_size="50")):
        assert "phone case" in product["product_title"].lower()
    for product in products_of(query(call, category_ids="1511", page_size="50")):
        assert product["first_level_category_id"] == 1511
    cheap = products_of(
        query(call, min_sale_price="500", max_sale_price="1000", target_currency="USD",
              page_size="50")
    )  # fmt: skip
    assert cheap
    assert all(Decimal("5") <= Decimal(p["target_sale_price"]) <= Decimal("10") for p in cheap)


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("SALE_PRICE_ASC", "sale_price", False),
        ("SALE_PRICE_DESC", "sale_price", True),
        ("LAST_VOLUME_DESC", "lastest_volume", True),
    ],
)
def test_product_query_sorts(call: Call, sort: str, key: str, descending: bool) -> None:
    products = products_of(query(call, sort=sort, page_size="50"))
    # Products answered without the field still take their place in the order.
    values = [Decimal(str(p[key])) for p in products if p.get(key) not in (None, "")]
    assert values == sorted(values, reverse=descending)


def test_product_query_honours_delivery_platform_and_country(call: Call) -> None:
    fast = products_of(query(call, delivery_days="3", ship_to_country="FR", page_size="50"))
    assert fast and all(p["ship_to_days"] == "ship to FR in 3 days" for p in fast)
    tmall = products_of(query(call, platform_product_type="TMALL", page_size="50"))
    assert tmall and all(p["platform_product_type"] == "TMALL" for p in tmall)


@pytest.mark.parametrize(
    "params",
    [{"page_size": "0"}, {"page_size": "51"}, {"page_no": "0"}, {"sort": "PRICE"},
     {"sort": "DISCOUNT_ASC"}, {"min_sale_price": "1.5"}, {"delivery_days": "4"},
     {"platform_product_type": "EBAY"}, {"target_currency": "EURO"}],
)  # fmt: skip
def test_invalid_query_parameters_are_refused(call: Call, params: dict[str, str]) -> None:
    assert error_of(call(QUERY, **params))["code"] == "InvalidParameter"


def test_hotproduct_query_returns_only_hot_products(sandbox: Sandbox, call: Call) -> None:
    resp = query(call, HOT, sort="DISCOUNT_DESC", tracking_id=DEMO_TRACKING_ID)
    hot = set(sandbox.catalog.hot_ids())
    products = products_of(resp)
    assert products and all(str(p["product_id"]) in hot for p in products)
    assert all("hot_product_commission_rate" in p for p in products)
    assert resp["result"]["total_record_count"] == len(hot)


def test_product_query_without_matches_is_405(call: Call) -> None:
    assert query(call, keywords="zzzz-no-such-product")["resp_code"] == 405


def test_link_generate_answers_in_another_order_matched_by_source_value(call: Call) -> None:
    sources = [
        "https://www.aliexpress.com/item/1005004757833857.html",
        "https://www.aliexpress.com/item/33006951782.html",
        "https://example.com/not-aliexpress",
        "https://www.aliexpress.com/store/912345678",
        "https://de.aliexpress.com/item/1005006188820412.html",
    ]
    resp = result_of(
        call(LINKS, "md5", promotion_link_type="0", source_values=",".join(sources),
             tracking_id=DEMO_TRACKING_ID).json(), LINKS
    )  # fmt: skip
    result = resp["result"]
    items = result["promotion_links"]["promotion_link"]
    assert [i["source_value"] for i in items] != sources
    by_source = {i["source_value"]: i for i in items}
    assert set(by_source) == set(sources)
    assert by_source["https://example.com/not-aliexpress"] == {
        "source_value": "https://example.com/not-aliexpress"
    }
    linked = [s for s in sources if "promotion_link" in by_source[s]]
    assert len(linked) == 4 and result["total_result_count"] == 4
    assert all(SHORT_LINK.match(by_source[s]["promotion_link"]) for s in linked)
    assert result["tracking_id"] == DEMO_TRACKING_ID


def test_link_generate_hot_links_differ_and_match_detail_links(call: Call) -> None:
    url = "https://www.aliexpress.com/item/33006951782.html?spm=a2g0o&x=1"

    def link(link_type: str) -> str:
        resp = result_of(
            call(LINKS, promotion_link_type=link_type, source_values=url,
                 tracking_id=DEMO_TRACKING_ID).json(), LINKS
        )  # fmt: skip
        value: str = resp["result"]["promotion_links"]["promotion_link"][0]["promotion_link"]
        return value

    (mug,) = products_of(detail(call, "33006951782", tracking_id=DEMO_TRACKING_ID))
    assert link("0") == mug["promotion_link"]
    assert link("2") != link("0")


def test_link_generate_with_unregistered_tracking_id_converts_nothing(call: Call) -> None:
    resp = result_of(
        call(LINKS, promotion_link_type="0",
             source_values="https://www.aliexpress.com/item/33006951782.html",
             tracking_id="someone_else").json(), LINKS
    )  # fmt: skip
    assert resp["result"]["total_result_count"] == 0
    assert resp["result"]["promotion_links"]["promotion_link"] == [
        {"source_value": "https://www.aliexpress.com/item/33006951782.html"}
    ]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"promotion_link_type": "0", "source_values": "https://a.aliexpress.com/x"},
         "MissingParameter"),
        ({"promotion_link_type": "1", "source_values": "x", "tracking_id": "default"},
         "InvalidParameter"),
        ({"promotion_link_type": "0", "tracking_id": "default"}, "MissingParameter"),
        ({"promotion_link_type": "0", "tracking_id": "default",
          "source_values": ",".join(f"https://www.aliexpress.com/item/{n}.html"
                                    for n in range(1000000000, 1000000051))},
         "InvalidParameter"),
    ],
)  # fmt: skip
def test_link_generate_parameter_errors(call: Call, params: dict[str, str], code: str) -> None:
    assert error_of(call(LINKS, **params))["code"] == code


def test_category_get_lists_parents_and_children(call: Call) -> None:
    result = result_of(call(CATEGORIES).json(), CATEGORIES)["result"]
    categories = result["categories"]["category"]
    assert result["total_result_count"] == len(categories)
    top = {c["category_id"]: c["category_name"] for c in categories if "parent_category_id" in c}
    parents = [c for c in categories if "parent_category_id" not in c]
    assert len(parents) >= 10 and top
    assert {"category_id": 44, "category_name": "Consumer Electronics"} in parents
    parent_ids = {c["category_id"] for c in parents}
    assert all(c["parent_category_id"] in parent_ids for c in categories if c not in parents)
