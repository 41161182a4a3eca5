"""Lists in public requests: the snippet API, embed pages and the script embed's batched
request take ``search=``/``hot=`` and their options instead of ids, one gateway call per list
and list expiration time, paid from the public share unless the site shows the list itself."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress.sandbox import Sandbox
from affsite.catalog import Catalog, Purpose, client_factory
from affsite.clock import FakeClock
from affsite.render import get_renderer
from affsite.settings import SettingsStore, settings_store
from affsite.shortcodes.site import expand_text

from .conftest import InstallCatalog
from .helpers import field_errors

QUERY = "aliexpress.affiliate.product.query"
HOT = "aliexpress.affiliate.hotproduct.query"
DETAIL = "aliexpress.affiliate.productdetail.get"
EARBUDS = "1005004757833857"


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock)


@pytest.fixture
def catalog(install_catalog: InstallCatalog, sandbox: Sandbox) -> Catalog:
    """The app's catalog, talking to a counting sandbox of the test's own."""
    return install_catalog(client_factory=client_factory(sandbox.transport()))


def shown_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'data-product-id="(\d+)"', html)))


def embeds(client: FlaskClient, *placeholders: str) -> list[dict[str, object]]:
    query = "&".join(f"b={quote(p, safe='')}" for p in placeholders)
    response = client.get(f"/api/v1/embeds?{query}")
    assert response.status_code == 200
    boxes: list[dict[str, object]] = response.get_json()["boxes"]
    return boxes


def test_a_snippet_of_a_search_costs_one_call_per_list_expiration_time(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox, clock: FakeClock
) -> None:
    url = "/api/v1/snippet?search=usb&limit=3&sort=last_volume_desc&template=list"
    first = client.get(url)
    assert first.status_code == 200
    assert len(shown_ids(first.get_data(as_text=True))) == 3
    assert 'class="affsite affsite-list' in first.get_data(as_text=True)
    assert first.headers["X-List-Cache"] == "MISS"
    assert first.headers["X-Cache"] == "HIT"  # the list's products came with it
    assert (sandbox.call_count(QUERY), sandbox.call_count(DETAIL)) == (1, 0)
    params = sandbox.calls_snapshot()[0].params
    assert (params["keywords"], params["page_size"], params["sort"]) == (
        "usb",
        "3",
        "LAST_VOLUME_DESC",
    )

    second = client.get(url)
    assert second.headers["X-List-Cache"] == "HIT"
    assert second.get_data() == first.get_data()
    tag = second.headers["ETag"]
    assert second.headers["Cache-Control"].startswith("public, max-age=300")
    unchanged = client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.headers["X-List-Cache"] == "HIT"
    assert sandbox.stats()["calls"] == 1

    clock.advance(catalog.settings().list_ttl + 1)
    stale = client.get(url)
    assert stale.headers["X-List-Cache"] == "STALE"
    assert stale.headers["Cache-Control"] == "public, max-age=60"
    assert sandbox.call_count(QUERY) == 2  # renewed behind the stale answer


def test_an_embed_page_of_a_hot_list_names_its_canonical_address(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    response = client.get("/embed/grid?hot=usb&limit=2&min_price=1&theme=dark")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(shown_ids(page)) == 2
    assert sandbox.call_count(HOT) == 1
    discovery = quote("/embed/grid?hot=usb&limit=2&min_price=1.00&theme=dark", safe="")
    assert discovery in page
    assert response.headers["X-List-Cache"] == "MISS"


def test_the_script_embed_asks_once_per_distinct_list(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    boxes = embeds(
        client,
        "search=usb cable&limit=2",
        f"ids={EARBUDS}",
        "search=usb+cable&limit=2&template=list",
        "hot=usb&limit=3",
        "search=zzqx nothing",
    )
    assert boxes[0]["src"] == "embed/box?search=usb%20cable&limit=2"
    assert boxes[2]["src"] == "embed/list?search=usb%20cable&limit=2"
    assert boxes[3]["src"] == "embed/box?hot=usb&limit=3"
    assert boxes[4] == {
        "error": "the list found no products",
        "fix": "Try other keywords, categories or prices.",
    }
    assert boxes[2]["height"] == 150 + 140  # two products in the list template
    assert (sandbox.call_count(QUERY), sandbox.call_count(HOT)) == (2, 1)
    assert sandbox.call_count(DETAIL) == 1  # the one id; the lists' products came with them

    # The frames that follow are cache hits: no further call.
    frame = client.get("/" + str(boxes[2]["src"]))
    assert frame.status_code == 200 and frame.headers["X-List-Cache"] == "HIT"
    assert sandbox.stats()["calls"] == 4


def test_a_list_only_public_requests_ask_for_is_paid_from_the_public_share(
    app: Flask, client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    with app.app_context():
        settings_store().save({"new_product_share": 0})
    refused = client.get("/api/v1/snippet?search=usb")
    assert refused.status_code == 200 and refused.get_data() == b""  # nothing for visitors
    assert refused.headers["X-List-Cache"] == "FALLBACK"
    assert refused.headers["Cache-Control"] == "public, max-age=30"
    assert embeds(client, "search=usb")[0]["error"] == (
        "the list could not be looked up (new_product_limit)"
    )
    assert sandbox.stats()["calls"] == 0

    # The site shows that list itself (a page of its own): it is paid from the quota, and
    # public requests share it at no cost.
    with app.app_context():
        expanded = expand_text(
            '[aliexpress search="usb"]', catalog, get_renderer(), purpose=Purpose.PAGE
        )
    assert expanded.problems == ()
    shared = client.get("/api/v1/snippet?search=usb")
    assert shared.headers["X-List-Cache"] == "HIT"
    assert len(shown_ids(shared.get_data(as_text=True))) == 10
    assert sandbox.call_count(QUERY) == 1
    assert catalog.stats().new_products_used == 0


def test_a_new_public_list_takes_one_call_from_the_public_share(
    client: FlaskClient, catalog: Catalog
) -> None:
    assert client.get("/api/v1/snippet?search=usb&limit=2").status_code == 200
    assert client.get("/api/v1/snippet?search=usb&limit=2").status_code == 200
    assert catalog.stats().new_products_used == 1


def test_a_list_when_the_quota_is_spent_is_nothing_and_briefly_kept(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    catalog.gate.quota.set_used(catalog.settings().daily_quota)
    response = client.get("/embed/grid?search=usb")
    assert response.status_code == 200
    assert shown_ids(response.get_data(as_text=True)) == []
    assert response.headers["X-List-Cache"] == "FALLBACK"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert sandbox.stats()["calls"] == 0


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("search=usb&limit=99", "limit is a number from 1 to 50"),
        ("search=usb&sort=%3Cscript%3E", "unknown sort"),
        ("search=usb&sort=discount_desc", "sort DISCOUNT_DESC is only for hot lists"),
        ("search=usb&min_price=9&max_price=2", "min_price is above max_price"),
        ("search=usb&category=4%2Cx", "category takes category ids"),
        ("search=&category=", 'search is empty: give it keywords, or add category="…"'),
        ("limit=4", "limit only goes with search or hot"),
        ("search=usb&hot=usb", "search and hot given together"),
        (f"ids={EARBUDS}&search=usb", "ids and a list given together"),
    ],
)
def test_bad_list_options_are_a_400_saying_what_to_fix(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox, query: str, error: str
) -> None:
    snippet = client.get(f"/api/v1/snippet?{query}")
    assert snippet.status_code == 400
    assert snippet.get_json()["error"].startswith(error)
    assert snippet.get_json()["fix"]
    assert "script" not in snippet.get_data(as_text=True)  # nothing sent is repeated
    page = client.get(f"/embed/grid?{query}")
    assert page.status_code == 400
    assert "<script>" not in page.get_data(as_text=True)
    assert "&lt;script" not in page.get_data(as_text=True)
    assert embeds(client, query)[0]["error"] == snippet.get_json()["error"]
    assert sandbox.stats()["calls"] == 0


def test_the_list_expiration_time_is_on_the_settings_page_with_the_cache_settings(
    admin: FlaskClient, instance: Path
) -> None:
    page = admin.get("/admin/settings").get_data(as_text=True)
    limits = page[page.index("Cache &amp; limits") :]
    assert limits.index('name="cache_ttl"') < limits.index('name="list_ttl"')
    assert 'value="21600"' in limits[limits.index('name="list_ttl"') - 300 :][:600]

    refused = admin.post("/admin/settings", data={"list_ttl": "10"})
    assert field_errors(refused.get_data(as_text=True))["list_ttl"] == (
        "List expiration time: 10 seconds is out of range; enter a whole number between 60 "
        "and 604800 (7 days)."
    )
    admin.post("/admin/settings", data={"list_ttl": "3600"})
    assert SettingsStore(instance).load().list_ttl == 3600


def test_an_oembed_answer_for_a_list_embed_page_shows_what_the_list_found(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    page = "http://localhost/embed/grid?search=usb%20cable&limit=2"
    answer = client.get(f"/oembed?url={quote(page, safe='')}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["title"] == "2 AliExpress products"
    assert 'src="http://localhost/embed/grid?search=usb%20cable&amp;limit=2"' in body["html"]
    assert len(re.findall(r'href="http://localhost/go/\d+"', body["html"])) == 2
    assert answer.headers["X-List-Cache"] == "MISS"
    assert (sandbox.call_count(QUERY), sandbox.call_count(DETAIL)) == (1, 0)

    empty = client.get(f"/oembed?url={quote('http://localhost/embed/grid?search=zzqx', safe='')}")
    assert empty.status_code == 404
    assert empty.get_json()["error"] == "the list found no products right now"
    assert empty.headers["Cache-Control"] == "public, max-age=30"
