"""oEmbed: a product address (or one of our embed pages) pasted into WordPress shows a box."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from affsite.aliexpress import Money, Product
from affsite.cache import Store
from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Status, get_catalog
from affsite.clock import FakeClock
from affsite.product_ids import ShortLinkFollower
from affsite.settings import settings_store

from .conftest import InstallCatalog, MakeApp

EARBUDS = "1005004757833857"
MUG = "33006951782"
SITE = "http://localhost"  # the test client's host (no PUBLIC_URL configured)
PUBLIC_ADDRESS = "47.246.0.10"


def oembed(client: FlaskClient, url: str, **params: str | int) -> TestResponse:
    query = "".join(f"&{name}={value}" for name, value in params.items())
    return client.get(f"/oembed?url={quote(url, safe='')}{query}")


class Elements(HTMLParser):
    """Every start tag of a fragment, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class Answers:
    """A catalog answering every id with ``product`` (under that id); records the purpose."""

    def __init__(self, product: Product | None) -> None:
        self.product = product
        self.purposes: list[Purpose] = []

    def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
        self.purposes.append(Purpose(purpose))
        if self.product is None:
            return [ProductAnswer(id=pid, status=Status.NEGATIVE) for pid in ids]
        return [
            ProductAnswer(id=pid, status=Status.HIT, product=self.product, fetched_at=1.7e9)
            for pid in ids
        ]


# --- product addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.aliexpress.com/item/{EARBUDS}.html",
        f"https://www.aliexpress.com/item/{EARBUDS}.html?spm=a2g0o.home&gatewayAdapt=glo2usa",
        f"https://m.aliexpress.com/item/{EARBUDS}.html",
        f"https://aliexpress.ru/item/{EARBUDS}.html",
        f"https://www.aliexpress.us/item/{int(EARBUDS) + 2**51}.html",  # a regional id
        f"https://www.aliexpress.com/i/{EARBUDS}.html",
        f"https://www.aliexpress.com/store/product/some-slug/123_{EARBUDS}.html",
        f"https://star.aliexpress.com/share/share.htm?redirectUrl="
        f"{quote(f'https://www.aliexpress.com/item/{EARBUDS}.html', safe='')}",
        f"aliexpress://product/detail?productId={EARBUDS}",
        f"www.aliexpress.com/item/{EARBUDS}.html",
    ],
)
def test_a_product_address_of_any_form_is_a_rich_answer(client: FlaskClient, url: str) -> None:
    response = oembed(client, url)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["provider_name"] == "localhost" and body["provider_url"] == f"{SITE}/"
    assert body["title"].startswith("Wireless Earbuds")
    assert (body["width"], body["height"]) == (400, 520)
    tags = Elements(body["html"]).tags
    assert [tag for tag, _ in tags] == ["blockquote", "a", "iframe"]
    link, frame = tags[1][1], tags[2][1]
    assert link["href"] == f"{SITE}/go/{EARBUDS}"
    assert link["rel"] == "sponsored nofollow noopener"
    assert frame["src"] == f"{SITE}/embed/box?ids={EARBUDS}"
    assert (frame["width"], frame["height"]) == ("400", "520")
    assert frame["title"] and frame["title"].endswith("(AliExpress product)")
    assert "allow-scripts" in (frame["sandbox"] or "") and frame["scrolling"] == "no"
    # The disclosure sits next to the fallback link.
    assert "As an AliExpress affiliate" in "".join(Elements(body["html"]).text)


def test_products_are_asked_for_as_anyone_may_ask(make_app: MakeApp) -> None:
    app = make_app()
    catalog = Answers(Product(id=EARBUDS, title="Drone"))
    app.extensions[CATALOG_KEY] = catalog
    assert (
        oembed(app.test_client(), f"https://www.aliexpress.com/item/{EARBUDS}.html").status_code
        == 200
    )
    assert catalog.purposes == [Purpose.PUBLIC]


def test_the_answer_warms_the_cache_for_the_frame(app: Flask) -> None:
    assert oembed(app.test_client(), EARBUDS).headers["X-Cache"] == "MISS"
    with app.app_context():
        assert get_catalog().product(EARBUDS, purpose=Purpose.PUBLIC).status == Status.HIT


def test_maxwidth_and_maxheight_are_honoured(make_app: MakeApp) -> None:
    app = make_app()
    image = "https://ae01.alicdn.com/kf/S1234.jpg"
    app.extensions[CATALOG_KEY] = Answers(Product(id=EARBUDS, title="Drone", image=image))
    client = app.test_client()
    item = f"https://www.aliexpress.com/item/{EARBUDS}.html"

    full = oembed(client, item).get_json()
    assert (full["width"], full["height"]) == (400, 520)
    assert full["thumbnail_url"] == image
    assert (full["thumbnail_width"], full["thumbnail_height"]) == (800, 800)

    small = oembed(client, item, maxwidth=300, maxheight=200).get_json()
    assert (small["width"], small["height"]) == (300, 200)
    assert (small["thumbnail_width"], small["thumbnail_height"]) == (200, 200)
    frame = Elements(small["html"]).tags[-1][1]
    assert (frame["width"], frame["height"]) == ("300", "200")

    wide = oembed(client, item, maxwidth=2000, maxheight=5000).get_json()
    assert (wide["width"], wide["height"]) == (400, 520)  # never more than the box wants

    for bad in ("0", "-5", "abc", "1e3", "99999"):
        response = oembed(client, item, maxwidth=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"] == "bad maxwidth"
    assert oembed(client, item, maxheight="x").get_json()["error"] == "bad maxheight"


@pytest.mark.parametrize("image", ["https://evil.example/a.jpg", "javascript:alert(1)", None])
def test_thumbnails_only_from_aliexpress_image_hosts(make_app: MakeApp, image: str | None) -> None:
    app = make_app()
    app.extensions[CATALOG_KEY] = Answers(Product(id=EARBUDS, title="Drone", image=image))
    body = oembed(app.test_client(), EARBUDS).get_json()
    assert "thumbnail_url" not in body and "thumbnail_width" not in body


@pytest.mark.parametrize("fmt", ["xml", "XML", "html"])
def test_formats_other_than_json_are_not_implemented(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"/oembed?url={EARBUDS}&format={fmt}")
    assert response.status_code == 501
    assert response.get_json()["fix"] == "Use format=json."
    assert oembed(client, EARBUDS, format="JSON").status_code == 200


def test_no_url_is_a_bad_request(client: FlaskClient) -> None:
    response = client.get("/oembed")
    assert response.status_code == 400 and response.get_json()["error"] == "no url given"


def test_an_unavailable_product_links_straight_to_its_page(make_app: MakeApp) -> None:
    app = make_app()
    app.extensions[CATALOG_KEY] = Answers(None)
    body = oembed(app.test_client(), EARBUDS).get_json()
    link = Elements(body["html"]).tags[1][1]
    assert link["href"] == f"https://www.aliexpress.com/item/{EARBUDS}.html"
    assert body["title"] == f"AliExpress product {EARBUDS}"


# --- hostile data -----------------------------------------------------------------------------


HOSTILE_TITLE = "\"><script>alert(1)</script><img src=x onerror=alert(2)> 'Men's' `x`"


def test_hostile_titles_are_escaped_in_the_html_and_inert_in_the_title(
    make_app: MakeApp,
) -> None:
    app = make_app()
    product = Product(id=EARBUDS, title=HOSTILE_TITLE, price=Money(Decimal("1.50"), "USD"))
    app.extensions[CATALOG_KEY] = Answers(product)
    body = oembed(app.test_client(), EARBUDS).get_json()
    html = body["html"]

    assert "<script" not in html and "<img" not in html and "onerror=alert(2)>" not in html
    assert "&lt;script&gt;" in html and "&#34;&gt;" in html
    # Only the three elements WordPress keeps, and nothing else parsed out of the title.
    tags = Elements(html).tags
    assert [tag for tag, _ in tags] == ["blockquote", "a", "iframe"]
    assert set(tags[1][1]) == {"href", "rel", "target"}
    assert set(tags[2][1]) == {
        "src",
        "width",
        "height",
        "title",
        "frameborder",
        "marginwidth",
        "marginheight",
        "scrolling",
        "sandbox",
        "loading",
        "referrerpolicy",
    }
    # The title: plain text a careless consumer cannot turn into markup or break out of an
    # attribute with.
    title = body["title"]
    assert not set("<>\"'`") & set(title)
    assert title == "”›‹script›alert(1)‹/script›‹img src=x onerror=alert(2)› ’Men’s’ ʻxʻ"


def test_the_disclosure_is_escaped_too(app: Flask) -> None:
    with app.app_context():
        settings_store().save({"disclosure": "<b>Ad</b> & co"})
    html = oembed(app.test_client(), EARBUDS).get_json()["html"]
    assert "(&lt;b&gt;Ad&lt;/b&gt; &amp; co)</blockquote>" in html


# --- our own embed pages --------------------------------------------------------------------------


def test_our_embed_pages_are_answered_as_they_are(client: FlaskClient) -> None:
    grid = oembed(client, f"{SITE}/embed/grid?ids={EARBUDS},{MUG}&theme=dark").get_json()
    frame = Elements(grid["html"]).tags[-1][1]
    assert frame["src"] == f"{SITE}/embed/grid?ids={EARBUDS},{MUG}&theme=dark"
    assert grid["title"] == "2 AliExpress products"
    assert (grid["width"], grid["height"]) == (960, 480)
    hrefs = [attrs["href"] for tag, attrs in Elements(grid["html"]).tags if tag == "a"]
    assert hrefs == [f"{SITE}/go/{EARBUDS}", f"{SITE}/go/{MUG}"]

    single = oembed(client, f"{SITE}/embed/iframe/{EARBUDS}").get_json()
    assert Elements(single["html"]).tags[-1][1]["src"] == f"{SITE}/embed/box?ids={EARBUDS}"

    # The discovery link's own form (the page address percent-encoded once more) reads too.
    field = oembed(client, f"{SITE}/embed/field?ids={MUG}&field=title").get_json()
    assert Elements(field["html"]).tags[-1][1]["src"] == f"{SITE}/embed/field?ids={MUG}&field=title"


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/admin/",
        f"{SITE}/",
        f"{SITE}/embed/nope?ids={EARBUDS}",
        f"{SITE}/embed/../admin?ids={EARBUDS}",
        f"{SITE}/embed/grid?ids=not-a-product",
        f"{SITE}/embed/grid",
        f"{SITE}/embed/iframe/{EARBUDS},{MUG}",
    ],
)
def test_other_pages_of_ours_are_not_found(client: FlaskClient, url: str) -> None:
    response = oembed(client, url)
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "fix"}


def test_with_a_public_url_only_that_host_is_ours(make_app: MakeApp) -> None:
    client = make_app(PUBLIC_URL="https://boxes.example/shop").test_client()
    ours = oembed(client, f"https://boxes.example/shop/embed/list?ids={MUG}")
    assert ours.status_code == 200
    body = ours.get_json()
    assert Elements(body["html"]).tags[-1][1]["src"] == (
        f"https://boxes.example/shop/embed/list?ids={MUG}"
    )
    assert body["provider_url"] == "https://boxes.example/shop/"
    assert "Host" not in ours.headers.get("Vary", "")  # the address comes from the config
    assert oembed(client, f"{SITE}/embed/list?ids={MUG}").status_code == 404
    assert oembed(client, f"https://boxes.example/embed/list?ids={MUG}").status_code == 404


# --- foreign addresses: never fetched ---------------------------------------------------------


@pytest.fixture
def network(install_catalog: InstallCatalog) -> list[str]:
    """Every request the short-link follower sends (host + path); the network is a mock that
    leads ``/e/_good`` to the earbuds and everything else to our own admin page."""
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.headers['host']}{request.url.path}")
        if request.url.path.startswith("/e/_good"):
            location = f"https://www.aliexpress.com/item/{EARBUDS}.html"
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"})

    def follower(cache: Store) -> ShortLinkFollower:
        return ShortLinkFollower(
            transport=httpx.MockTransport(handle),
            resolve_host=lambda host, port: [PUBLIC_ADDRESS],
            cache=cache,
        )

    install_catalog(short_links=follower)
    return sent


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/item/1005004757833857.html",
        "http://127.0.0.1/embed/box?ids=1005004757833857",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "file:///etc/passwd",
        "gopher://localhost:25/",
        "https://a.aliexpress.com@evil.com/_abc",
        "https://evil.com\\@a.aliexpress.com/_abc",
        "https://aliexpress.com.evil.com/item/1005004757833857.html",
        "https://www.aliexpress.com/store/1234",
        "https://www.aliexpress.com/",
        "javascript:alert(1)",
    ],
)
def test_foreign_addresses_are_not_found_and_never_fetched(
    client: FlaskClient, network: list[str], url: str
) -> None:
    response = oembed(client, url)
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "fix"}
    assert network == []


def test_short_links_go_through_the_safe_follower_at_a_bounded_pace(
    client: FlaskClient, network: list[str], clock: FakeClock
) -> None:
    good = oembed(client, "https://s.click.aliexpress.com/e/_good")
    assert good.status_code == 200
    frame = Elements(good.get_json()["html"]).tags[-1][1]
    assert frame["src"] == f"{SITE}/embed/box?ids={EARBUDS}"
    assert network == ["s.click.aliexpress.com/e/_good"]

    # Anyone can send made-up short links: the next one within the interval waits its turn.
    busy = oembed(client, "https://s.click.aliexpress.com/e/_other")
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] and busy.headers["Cache-Control"] == "no-store"
    assert len(network) == 1

    clock.advance(2.1)
    evil = oembed(client, "https://s.click.aliexpress.com/e/_evil")
    assert evil.status_code == 404  # it led inward: refused, never followed there
    assert evil.get_json()["error"].startswith("the short link does not lead to a product")
    assert all(not sent.startswith("127.0.0.1") for sent in network)


# --- headers --------------------------------------------------------------------------------------


def test_headers_let_any_consumer_use_it_and_caches_keep_it(client: FlaskClient) -> None:
    response = oembed(client, EARBUDS)
    headers = response.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Host" in headers["Vary"]  # the html names the host the request was sent to
    assert headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(
        f"/oembed?url={EARBUDS}", headers={"If-None-Match": oembed(client, EARBUDS).headers["ETag"]}
    )
    assert again.status_code == 304

    missing = oembed(client, "https://evil.example/")
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    assert "Host" in missing.headers["Vary"]


def test_no_cookie_even_for_a_signed_in_admin(admin: FlaskClient) -> None:
    for response in (oembed(admin, EARBUDS), oembed(admin, "https://evil.example/")):
        assert "Set-Cookie" not in response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()
