"""GET /api/v1/snippet: products drawn as an HTML fragment to paste into any page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress import Money, Product
from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Status
from affsite.render import BoxTemplate
from affsite.render.choices import Theme
from affsite.web.box_query import MAX_IDS

from .conftest import MakeApp

EARBUDS = "1005004757833857"
SECOND = "33006951782"
SNIPPET = "/api/v1/snippet"


class Recorder:
    """A catalog that answers every id with a fresh copy of ``product`` and records how it
    was asked."""

    def __init__(self, product: Product) -> None:
        self.product_data = product
        self.asked: list[tuple[tuple[str, ...], Purpose]] = []

    def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
        self.asked.append((tuple(ids), Purpose(purpose)))
        return [
            ProductAnswer(id=pid, product=self.product_data, status=Status.HIT, fetched_at=1.7e9)
            for pid in ids
        ]

    def products_with_ticket(
        self, ids: Sequence[str], *, purpose: Purpose
    ) -> tuple[list[ProductAnswer], None]:
        return self.products(ids, purpose=purpose), None  # no ticket: never handed over early


def drone(**fields: object) -> Product:
    values: dict[str, object] = {
        "id": EARBUDS,
        "title": "Drone",
        "price": Money(Decimal("12.34"), "USD"),
        "promotion_link": "https://s.click.aliexpress.com/e/_drone",
    }
    values.update(fields)
    return Product(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("theme", list(Theme))
@pytest.mark.parametrize("template", list(BoxTemplate))
def test_every_template_and_theme_is_a_fragment(
    client: FlaskClient, template: BoxTemplate, theme: Theme
) -> None:
    response = client.get(f"{SNIPPET}?ids={EARBUDS},{SECOND}&template={template}&theme={theme}")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert re.search(rf'class="affsite affsite-{template} affsite-theme-{theme}\b', fragment)
    assert "<html" not in fragment and "<body" not in fragment
    assert f'data-product-id="{EARBUDS}"' in fragment
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', fragment)
    assert stylesheet and stylesheet.group(1).startswith("http://localhost/static/css/box.css?v=")


def test_the_headers_let_any_site_fetch_it_and_caches_keep_it(admin: FlaskClient) -> None:
    # Signed in as the admin, to show that the session is never touched here either.
    response = admin.get(f"{SNIPPET}?ids={EARBUDS}")
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"].startswith("public, max-age=300")
    assert headers["X-Cache"] == "MISS"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"])
    assert headers["Last-Modified"].endswith(" GMT")
    assert "Set-Cookie" not in headers
    assert "Cookie" not in headers.get("Vary", "")
    assert "X-Frame-Options" not in headers  # a fragment, not a page: nothing to frame


def test_an_unchanged_fragment_is_a_304(client: FlaskClient) -> None:
    first = client.get(f"{SNIPPET}?ids={EARBUDS}")
    again = client.get(f"{SNIPPET}?ids={EARBUDS}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert again.headers["Cache-Control"].startswith("public, max-age=300")
    assert (
        client.get(f"{SNIPPET}?ids={EARBUDS}&theme=dark").headers["ETag"] != first.headers["ETag"]
    )


def test_calls_to_action_go_through_this_sites_go_links(make_app: MakeApp) -> None:
    app = make_app()
    app.extensions[CATALOG_KEY] = Recorder(drone())
    response = app.test_client().get(f"{SNIPPET}?ids={EARBUDS}")
    fragment = response.get_data(as_text=True)
    assert f'href="http://localhost/go/{EARBUDS}"' in fragment
    assert "s.click.aliexpress.com" not in fragment
    assert response.headers["Vary"] == "Host"  # the address came from the request


def test_a_configured_address_is_used_and_the_host_is_not_varied_on(make_app: MakeApp) -> None:
    app = make_app(PUBLIC_URL="https://shop.example/boxes")
    app.extensions[CATALOG_KEY] = Recorder(drone())
    response = app.test_client().get(f"{SNIPPET}?ids={EARBUDS}", headers={"Host": "evil.example"})
    fragment = response.get_data(as_text=True)
    assert f'href="https://shop.example/boxes/go/{EARBUDS}"' in fragment
    assert 'href="https://shop.example/boxes/static/css/box.css?v=' in fragment
    assert "evil.example" not in fragment
    assert "Vary" not in response.headers


def test_demo_pictures_name_this_site_so_a_pasted_fragment_shows_them(
    make_app: MakeApp,
) -> None:
    app = make_app(PUBLIC_URL="https://shop.example/boxes")
    fragment = app.test_client().get(f"{SNIPPET}?ids={EARBUDS}").get_data(as_text=True)
    sources = re.findall(r'src="([^"]+)"', fragment)
    assert sources
    assert all(src.startswith("https://shop.example/boxes/sandbox-media/") for src in sources)


def test_the_settings_default_template_and_theme_apply(admin: FlaskClient, app: Flask) -> None:
    admin.post("/admin/settings", data={"box_template": "compact", "box_theme": "dark"})
    fragment = app.test_client().get(f"{SNIPPET}?ids={EARBUDS}").get_data(as_text=True)
    assert 'class="affsite affsite-compact affsite-theme-dark' in fragment


@pytest.mark.parametrize(
    ("query", "error", "fix"),
    [
        ("", "no product ids given", "Add ?ids="),
        ("?ids=,, ,", "no product ids given", "Add ?ids="),
        (f"?ids={EARBUDS}&template=../../etc/passwd", "unknown template", "Use one of: box, grid"),
        (f"?ids={EARBUDS}&template=<b>", "unknown template", "Use one of: box, grid"),
        (f"?ids={EARBUDS}&theme=neon", "unknown theme", "Use one of: light, dark, auto."),
        (
            f"?ids={EARBUDS}&field=stock",
            "unknown field",
            "Use one of: price, title, discount, rating, orders.",
        ),
        (f"?ids={EARBUDS},<script>", "item 2 of ids is not an AliExpress product", "product ids"),
        ("?ids=javascript:alert(1)", "item 1 of ids is not an AliExpress product", "URLs"),
        ("?ids=" + ",".join([EARBUDS] * (MAX_IDS + 1)), "too many product ids (51)", "at most 50"),
    ],
)
def test_bad_requests_say_what_to_use(
    client: FlaskClient, query: str, error: str, fix: str
) -> None:
    response = client.get(SNIPPET + query)
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["error"] == error
    assert fix in body["fix"]
    assert "<" not in response.get_data(as_text=True)  # nothing sent is repeated


def test_at_most_fifty_products_and_product_urls_count_as_ids(make_app: MakeApp) -> None:
    app = make_app()
    catalog = Recorder(drone())
    app.extensions[CATALOG_KEY] = catalog
    client = app.test_client()
    url = f"https://www.aliexpress.com/item/{SECOND}.html?spm=a2g0o.home"
    regional = str(int(EARBUDS) + 2**51)  # the aliexpress.us form of the same product
    assert client.get(SNIPPET, query_string={"ids": f"{url},{regional}"}).status_code == 200
    many = ",".join(str(10**15 + n) for n in range(MAX_IDS))
    assert client.get(f"{SNIPPET}?ids={many}").status_code == 200
    assert catalog.asked[0] == ((SECOND, EARBUDS), Purpose.PUBLIC)  # the public share pays
    assert len(catalog.asked[1][0]) == MAX_IDS and catalog.asked[1][1] is Purpose.PUBLIC


def test_hostile_product_data_stays_inert(make_app: MakeApp) -> None:
    app = make_app()
    hostile = drone(
        title='"><script>alert(1)</script><img src=x onerror=alert(2)>',
        detail_url="javascript:alert(3)",
        image="javascript:alert(4)",
        promotion_link="https://evil.example/phish",
    )
    app.extensions[CATALOG_KEY] = Recorder(hostile)
    client = app.test_client()
    for template in BoxTemplate:
        fragment = client.get(f"{SNIPPET}?ids={EARBUDS}&template={template}").get_data(as_text=True)
        assert "<script>alert(1)" not in fragment, template
        assert "<img src=x" not in fragment, template
        assert "javascript:" not in fragment and "evil.example" not in fragment, template
        urls = re.findall(r'(?:href|src)="([^"]*)"', fragment)
        allowed = (
            "http://localhost/go/",
            "http://localhost/static/",
            "https://www.aliexpress.com/",
        )
        assert all(url.startswith(allowed) for url in urls), (template, urls)
