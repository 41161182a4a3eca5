"""The client against a scripted gateway (httpx.MockTransport): wire format, retries, hooks,
batching, searches and links. How answers are read is in test_envelope.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    GatewayUnavailable,
)
from affsite.aliexpress.protocol import (
    CATEGORY_GET,
    HOT_PRODUCT_QUERY,
    LINK_GENERATE,
    PRODUCT_DETAIL,
    PRODUCT_QUERY,
)
from affsite.aliexpress.queries import (
    HotProductQuery,
    LinkRequest,
    PlatformProductType,
    ProductQuery,
    ProductSort,
)
from affsite.errors import ProductIdError, SettingsError

from .conftest import MakeClient, SleepLog
from .fakes import (
    SECRET,
    FakeGateway,
    MaxJitter,
    details_result,
    envelope,
    error_body,
    raw_product,
    signature_is_valid,
)

CATEGORIES = {"categories": {"category": [{"category_id": 1, "category_name": "Home"}]}}
RATE_LIMITED = error_body(
    "ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 1 seconds"
)


def details_answer(*ids: int | str) -> dict[str, Any]:
    return envelope(PRODUCT_DETAIL, details_result(*(raw_product(i) for i in ids)))


# -- what goes on the wire ----------------------------------------------------------------


def test_post_form_body_carries_everything_and_the_url_nothing(make_client: MakeClient) -> None:
    gateway = FakeGateway(details_answer(1005004757833857))
    make_client(gateway).product_details(["1005004757833857"])
    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.url.query == b""
    assert "sign" not in str(request.url)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    form = gateway.forms[0]
    assert form["method"] == PRODUCT_DETAIL
    assert form["product_ids"] == "1005004757833857"
    assert form["app_key"] == "500000"
    assert form["format"] == "json" and form["v"] == "2.0" and form["sign_method"] == "sha256"
    assert form["timestamp"] == "1700000000000"  # epoch ms from the injected clock
    assert (form["country"], form["target_currency"], form["target_language"]) == (
        "US",
        "USD",
        "EN",
    )
    assert form["tracking_id"] == "default"
    assert signature_is_valid(form)


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
def test_signature_survives_transport_encoding(make_client: MakeClient, sign_method: str) -> None:
    """Values with '&', '?', '+', spaces and non-ASCII must be signed raw and decode intact."""
    gateway = FakeGateway(
        envelope(PRODUCT_QUERY, {"products": {"product": []}}),
    )
    client = make_client(gateway, sign_method=sign_method)
    client.search(ProductQuery(keywords="café + mug & 咖啡杯?x=1"))
    form = gateway.forms[0]
    assert form["keywords"] == "café + mug & 咖啡杯?x=1"
    assert form["sign_method"] == sign_method
    assert signature_is_valid(form)


def test_empty_parameters_are_never_sent(make_client: MakeClient) -> None:
    gateway = FakeGateway(envelope(PRODUCT_QUERY, {}))
    client = make_client(gateway, tracking_id=None, currency=None, language=None, country=None)
    client.search(ProductQuery(keywords="", category_ids=[], sort=None))
    form = gateway.forms[0]
    assert all(value != "" for value in form.values())
    assert set(form) == {
        "app_key",
        "method",
        "timestamp",
        "sign_method",
        "format",
        "v",
        "sign",
        "page_no",
        "page_size",
    }


def test_per_call_overrides_win_over_constructor_defaults(make_client: MakeClient) -> None:
    gateway = FakeGateway(details_answer(1))
    make_client(gateway).product_details(
        ["1"], country="DE", currency="EUR", language="DE", tracking_id="blog"
    )
    form = gateway.forms[0]
    assert (
        form["country"],
        form["target_currency"],
        form["target_language"],
        form["tracking_id"],
    ) == (
        "DE",
        "EUR",
        "DE",
        "blog",
    )


def test_repr_never_shows_the_secret(make_client: MakeClient) -> None:
    client = make_client(FakeGateway(details_answer(1)))
    assert SECRET not in repr(client)
    assert "500000" in repr(client)


def test_constructor_refuses_unusable_settings() -> None:
    with pytest.raises(SettingsError) as caught:
        AliExpressClient(
            app_key="",
            app_secret="",
            sign_method="sha1",
            batch_size=51,
            api_url="ftp://x",
            media_base_url="//evil.example/",
        )
    assert set(caught.value.errors) == {
        "app_key",
        "app_secret",
        "sign_method",
        "batch_size",
        "api_url",
        "media_base_url",
    }


@pytest.mark.parametrize(
    "api_url", ["https://api-sg.aliexpress.com/sync; script-src *", "https://u:p@x.test/sync"]
)
def test_constructor_refuses_a_gateway_address_with_more_than_an_origin_and_path(
    api_url: str,
) -> None:
    with pytest.raises(SettingsError) as caught:
        AliExpressClient(app_key="1", app_secret="s", api_url=api_url)
    assert set(caught.value.errors) == {"api_url"}


# -- envelopes and parsing variants -------------------------------------------------------


@pytest.mark.parametrize(
    "products",
    [
        {"product": [raw_product(1), raw_product("2")]},
        [raw_product("1"), raw_product(2)],
    ],
)
def test_wrapped_or_bare_lists_and_mixed_id_types(make_client: MakeClient, products: Any) -> None:
    answer = envelope(PRODUCT_DETAIL, {"products": products})
    assert list(make_client(FakeGateway(answer)).product_details(["1", "2"])) == ["1", "2"]


def test_single_object_instead_of_a_list(make_client: MakeClient) -> None:
    answer = envelope(PRODUCT_DETAIL, {"products": {"product": raw_product(1)}})
    assert list(make_client(FakeGateway(answer)).product_details(["1"])) == ["1"]


def test_missing_fields_and_empty_strings_still_give_a_product(make_client: MakeClient) -> None:
    answer = envelope(
        PRODUCT_DETAIL,
        details_result({"product_id": 3, "product_title": "", "target_sale_price": ""}),
    )
    product = make_client(FakeGateway(answer)).product_details(["3"])["3"]
    assert product.title is None and product.price is None


def test_ids_absent_from_the_answer_are_absent_from_the_result(make_client: MakeClient) -> None:
    answer = details_answer(1, 3, 99)  # 2 not promotable; 99 never asked for
    found = make_client(FakeGateway(answer)).product_details(["1", "2", "3"])
    assert list(found) == ["1", "3"]


def test_bad_ids_are_refused_before_any_call(make_client: MakeClient) -> None:
    gateway = FakeGateway(details_answer(1))
    with pytest.raises(ProductIdError):
        make_client(gateway).product_details(["1", "12,34"])
    assert gateway.requests == []


# -- transport failures -------------------------------------------------------------------


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    ],
)
def test_transport_failures_are_gateway_unavailable(
    make_client: MakeClient, exception: Exception
) -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        make_client(FakeGateway(exception), max_retries=0).categories()
    assert isinstance(caught.value.__cause__, httpx.TransportError)


def test_http_404_means_a_wrong_url_and_is_not_retried(make_client: MakeClient) -> None:
    gateway = FakeGateway(httpx.Response(404, text="Not Found"))
    with pytest.raises(GatewayUnavailable) as caught:
        make_client(gateway).categories()
    assert caught.value.retryable is False
    assert len(gateway.requests) == 1


def test_redirects_are_not_followed(make_client: MakeClient) -> None:
    gateway = FakeGateway(httpx.Response(302, headers={"Location": "https://elsewhere.test/"}))
    with pytest.raises(GatewayUnavailable):
        make_client(gateway).categories()
    assert len(gateway.requests) == 1


# -- retries ------------------------------------------------------------------------------


def test_retry_resigns_with_a_fresh_timestamp(make_client: MakeClient, sleeps: SleepLog) -> None:
    gateway = FakeGateway(httpx.Response(502), envelope(CATEGORY_GET, CATEGORIES))
    categories = make_client(gateway, rng=MaxJitter()).categories()
    assert [c.name for c in categories] == ["Home"]
    first, second = gateway.forms
    assert int(second["timestamp"]) > int(first["timestamp"])
    assert second["sign"] != first["sign"]
    assert signature_is_valid(first) and signature_is_valid(second)
    assert sleeps.waits == [0.5]


def test_retries_are_bounded_with_full_jitter(make_client: MakeClient, sleeps: SleepLog) -> None:
    gateway = FakeGateway(httpx.Response(500))
    with pytest.raises(GatewayUnavailable):
        make_client(gateway, max_retries=3, rng=MaxJitter()).categories()
    assert len(gateway.requests) == 4
    assert sleeps.waits == [0.5, 1.0, 2.0]  # ceilings of uniform(0, min(cap, base * 2**n))


def test_jitter_stays_within_its_ceiling(make_client: MakeClient, sleeps: SleepLog) -> None:
    gateway = FakeGateway(httpx.ConnectError("refused"))
    with pytest.raises(GatewayUnavailable):
        make_client(gateway, max_retries=4, backoff_cap=1.5).categories()
    ceilings = [0.5, 1.0, 1.5, 1.5]
    assert len(sleeps.waits) == 4
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(sleeps.waits, ceilings, strict=True))


def test_no_retries_when_max_retries_is_zero(make_client: MakeClient) -> None:
    gateway = FakeGateway(httpx.Response(500))
    with pytest.raises(GatewayUnavailable):
        make_client(gateway, max_retries=0).categories()
    assert len(gateway.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        error_body("InvalidAppKey", "The specified App Key is invalid"),
        error_body("IncompleteSignature", "The request signature does not conform"),
        envelope(CATEGORY_GET, None, code=401, msg="This publisher is not registered"),
        error_body("SomethingNew", "?"),
    ],
)
def test_credential_and_business_errors_are_never_retried(
    make_client: MakeClient, sleeps: SleepLog, answer: dict[str, Any]
) -> None:
    gateway = FakeGateway(answer)
    with pytest.raises(ApiError):
        make_client(gateway, max_retries=5).categories()
    assert len(gateway.requests) == 1
    assert sleeps.waits == []


def test_rate_limit_waits_out_the_ban_then_succeeds(
    make_client: MakeClient, sleeps: SleepLog
) -> None:
    banned = error_body(
        "ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 3 seconds"
    )
    gateway = FakeGateway(banned, envelope(CATEGORY_GET, CATEGORIES))
    assert make_client(gateway).categories()
    assert len(sleeps.waits) == 1 and sleeps.waits[0] >= 3
    first, second = gateway.forms
    assert int(second["timestamp"]) - int(first["timestamp"]) >= 3000


def test_a_ban_longer_than_the_deadline_is_raised_at_once(
    make_client: MakeClient, sleeps: SleepLog
) -> None:
    banned = error_body("ApiCallLimit", "this ban will last 3600 seconds")
    gateway = FakeGateway(banned)
    with pytest.raises(ApiCallLimit) as caught:
        make_client(gateway, max_retries=5).categories()
    assert caught.value.ban_seconds == 3600
    assert len(gateway.requests) == 1 and sleeps.waits == []


def test_the_total_deadline_bounds_retries(make_client: MakeClient, sleeps: SleepLog) -> None:
    gateway = FakeGateway(httpx.Response(500))
    with pytest.raises(GatewayUnavailable):
        make_client(gateway, max_retries=50, rng=MaxJitter(), deadline=5.0).categories()
    assert sum(sleeps.waits) < 5.0
    assert len(gateway.requests) < 50


def test_http_429_is_retried(make_client: MakeClient) -> None:
    gateway = FakeGateway(httpx.Response(429), envelope(CATEGORY_GET, CATEGORIES))
    assert make_client(gateway).categories()
    assert len(gateway.requests) == 2


# -- hooks --------------------------------------------------------------------------------


def test_hooks_bracket_every_attempt(make_client: MakeClient) -> None:
    events: list[tuple[str, ...]] = []
    gateway = FakeGateway(RATE_LIMITED, httpx.Response(500), envelope(CATEGORY_GET, CATEGORIES))
    client = make_client(
        gateway,
        before_attempt=lambda method: events.append(("before", method)),
        after_attempt=lambda method, error: events.append(
            ("after", method, type(error).__name__ if error else "ok")
        ),
    )
    client.categories()
    assert events == [
        ("before", CATEGORY_GET),
        ("after", CATEGORY_GET, "ApiCallLimit"),
        ("before", CATEGORY_GET),
        ("after", CATEGORY_GET, "GatewayUnavailable"),
        ("before", CATEGORY_GET),
        ("after", CATEGORY_GET, "ok"),
    ]
    assert len(gateway.requests) == 3


def test_before_attempt_can_stop_a_call_before_any_traffic(make_client: MakeClient) -> None:
    gateway = FakeGateway(envelope(CATEGORY_GET, CATEGORIES))
    after: list[object] = []

    def quota_spent(method: str) -> None:
        raise ApiCallLimit(3600.0, "daily quota used up")

    client = make_client(
        gateway, before_attempt=quota_spent, after_attempt=lambda m, e: after.append(e)
    )
    with pytest.raises(ApiCallLimit, match="daily quota"):
        client.categories()
    assert gateway.requests == [] and after == []


def test_before_attempt_can_stop_a_retry(make_client: MakeClient) -> None:
    calls = {"n": 0}

    def one_token_only(method: str) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise GatewayUnavailable("circuit open", retryable=False)

    gateway = FakeGateway(httpx.Response(500))
    with pytest.raises(GatewayUnavailable, match="circuit open"):
        make_client(gateway, before_attempt=one_token_only).categories()
    assert len(gateway.requests) == 1


# -- batching -----------------------------------------------------------------------------


def test_45_ids_at_batch_20_make_3_calls_matched_by_id(make_client: MakeClient) -> None:
    ids = [str(1005000000000000 + n) for n in range(45)]

    def answer_reversed(request: httpx.Request, form: dict[str, str]) -> dict[str, Any]:
        asked = form["product_ids"].split(",")
        # Out of order, with numeric ids, one missing (not promotable).
        products = [raw_product(int(i), product_title=f"title {i}") for i in reversed(asked[1:])]
        return envelope(PRODUCT_DETAIL, details_result(*products))

    gateway = FakeGateway(answer_reversed)
    found = make_client(gateway, batch_size=20).product_details(ids)
    assert [len(f["product_ids"].split(",")) for f in gateway.forms] == [20, 20, 5]
    missing = {ids[0], ids[20], ids[40]}
    assert list(found) == [i for i in ids if i not in missing]
    assert all(product.title == f"title {pid}" for pid, product in found.items())


def test_duplicate_ids_are_asked_once(make_client: MakeClient) -> None:
    gateway = FakeGateway(details_answer(1, 2))
    found = make_client(gateway).product_details(["1", "2", "1"])
    assert gateway.forms[0]["product_ids"] == "1,2"
    assert list(found) == ["1", "2"]


# -- searches -----------------------------------------------------------------------------


def test_a_product_query_sends_every_filter(make_client: MakeClient) -> None:
    result = {
        "current_page_no": 2,
        "total_record_count": 240,
        "total_page_no": 5,
        "products": {"product": [raw_product(11), raw_product(12)]},
    }
    gateway = FakeGateway(envelope(PRODUCT_QUERY, result))
    query = ProductQuery(
        keywords="earbuds",
        category_ids=["44", 200003803],
        sort=ProductSort.SALE_PRICE_ASC,
        min_price=1000,
        max_price=3141,
        page_no=2,
        page_size=50,
        ship_to_country="DE",
        delivery_days=7,
        platform_product_type=PlatformProductType.TMALL,
        currency="EUR",
    )
    page = make_client(gateway).search(query)
    form = gateway.forms[0]
    assert form["keywords"] == "earbuds"
    assert form["category_ids"] == "44,200003803"
    assert form["sort"] == "SALE_PRICE_ASC"
    assert (form["min_sale_price"], form["max_sale_price"]) == ("1000", "3141")
    assert (form["page_no"], form["page_size"]) == ("2", "50")
    assert form["ship_to_country"] == "DE" and form["delivery_days"] == "7"
    assert form["platform_product_type"] == "TMALL" and form["target_currency"] == "EUR"
    assert [p.id for p in page] == ["11", "12"]
    assert (page.page_no, page.total_records, page.total_pages) == (2, 240, 5)
    assert page.products[0].price is not None and page.products[0].price.amount == Decimal("11.40")


def test_a_hot_product_query_uses_its_own_method(make_client: MakeClient) -> None:
    gateway = FakeGateway(envelope(HOT_PRODUCT_QUERY, None, code=405, msg="The result is empty"))
    query = HotProductQuery(keywords="lamp", sort=ProductSort.DISCOUNT_DESC)
    page = make_client(gateway).search(query)
    assert gateway.forms[0]["method"] == HOT_PRODUCT_QUERY
    assert gateway.forms[0]["sort"] == "DISCOUNT_DESC"
    assert list(page) == []


# -- links ----------------------------------------------------------------------------------


def link_answer(*pairs: tuple[str, str | None]) -> dict[str, Any]:
    links = []
    for source, link in pairs:
        item: dict[str, str] = {"source_value": source}
        if link:
            item["promotion_link"] = link
        links.append(item)
    return envelope(
        LINK_GENERATE,
        {
            "total_result_count": len(links),
            "tracking_id": "default",
            "promotion_links": {"promotion_link": links},
        },
    )


def test_links_matched_by_source_value_not_position(make_client: MakeClient) -> None:
    a = "https://www.aliexpress.com/item/1005004757833857.html"
    b = "https://www.aliexpress.com/item/33006951782.html"
    c = "https://www.aliexpress.com/item/4000000000001.html"
    gateway = FakeGateway(
        link_answer(
            (b, "https://s.click.aliexpress.com/e/_B"),
            (c, None),
            (a, "https://s.click.aliexpress.com/e/_A"),
        )
    )
    links = make_client(gateway).generate_links(LinkRequest(urls=[a, b, c]))
    assert links == {
        a: "https://s.click.aliexpress.com/e/_A",
        b: "https://s.click.aliexpress.com/e/_B",
        c: None,
    }
    form = gateway.forms[0]
    assert form["source_values"] == f"{a},{b},{c}"
    assert form["promotion_link_type"] == "0" and form["tracking_id"] == "default"


def test_a_normalised_echo_still_matches(make_client: MakeClient) -> None:
    asked = "https://www.aliexpress.com/item/1005004757833857.html?spm=a2g0o"
    echoed = "https://aliexpress.com/item/1005004757833857.html"
    gateway = FakeGateway(link_answer((echoed, "https://s.click.aliexpress.com/e/_X")))
    assert make_client(gateway).generate_links(LinkRequest(urls=[asked])) == {
        asked: "https://s.click.aliexpress.com/e/_X"
    }


def test_hot_links_and_chunks_of_50(make_client: MakeClient) -> None:
    urls = [f"https://www.aliexpress.com/item/{1005000000000000 + n}.html" for n in range(120)]

    def echo(request: httpx.Request, form: dict[str, str]) -> dict[str, Any]:
        return link_answer(
            *(
                (u, u.replace("www.aliexpress.com/item", "s.click.aliexpress.com/e"))
                for u in form["source_values"].split(",")
            )
        )

    gateway = FakeGateway(echo)
    links = make_client(gateway).generate_links(LinkRequest(urls=urls, hot=True))
    assert [len(f["source_values"].split(",")) for f in gateway.forms] == [50, 50, 20]
    assert all(f["promotion_link_type"] == "2" for f in gateway.forms)
    assert list(links) == urls and all(links.values())


def test_links_need_a_tracking_id(make_client: MakeClient) -> None:
    gateway = FakeGateway(link_answer())
    with pytest.raises(SettingsError) as caught:
        make_client(gateway, tracking_id=None).generate_links(
            LinkRequest(urls=["https://www.aliexpress.com/item/1.html"])
        )
    assert "tracking_id" in caught.value.errors
    assert gateway.requests == []


def test_links_off_aliexpress_count_as_not_converted(make_client: MakeClient) -> None:
    a = "https://www.aliexpress.com/item/1005004757833857.html"
    b = "https://www.aliexpress.com/item/33006951782.html"
    gateway = FakeGateway(
        link_answer((a, "https://evil.example/phish"), (b, "//s.click.aliexpress.com/e/_B"))
    )
    links = make_client(gateway).generate_links(LinkRequest(urls=[a, b]))
    assert links == {a: None, b: "https://s.click.aliexpress.com/e/_B"}


# -- generic call -------------------------------------------------------------------------


def test_generic_call_returns_the_result_object(make_client: MakeClient) -> None:
    gateway = FakeGateway(
        envelope("aliexpress.affiliate.featuredpromo.get", {"promos": {"promo": []}})
    )
    result = make_client(gateway).call("aliexpress.affiliate.featuredpromo.get", {"fields": None})
    assert result == {"promos": {"promo": []}}
    assert "fields" not in gateway.forms[0]


def test_client_is_a_context_manager(make_client: MakeClient) -> None:
    client = make_client(FakeGateway(envelope(CATEGORY_GET, CATEGORIES)))
    with client as same:
        assert same is client
    with pytest.raises(RuntimeError):
        client.categories()
