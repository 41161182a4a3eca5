"""GET /embed/<template>?ids=…: products in any template as a page for an iframe, with the
wp-embed script, the oEmbed discovery link and the iframe embed's headers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from affsite import __version__
from affsite.render import BoxTemplate
from affsite.render.choices import Theme
from affsite.resources import static_folder

from .conftest import MakeApp

EARBUDS = "1005004757833857"
SECOND = "33006951782"


def scripts(page: str) -> list[str]:
    """Every <script> start tag on the page, except JSON-LD data blocks (never run)."""
    tags = re.findall(r"<script\b[^>]*>", page)
    return [tag for tag in tags if 'type="application/ld+json"' not in tag]


def discovery(page: str) -> str:
    found = re.findall(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page
    )
    assert len(found) == 1, found
    return str(found[0]).replace("&amp;", "&")


@pytest.mark.parametrize("template", list(BoxTemplate))
def test_every_template_is_a_page_with_one_main_and_one_h1(
    client: FlaskClient, template: BoxTemplate
) -> None:
    response = client.get(f"/embed/{template}?ids={EARBUDS},{SECOND}&theme=dark")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.startswith("<!doctype html>")
    assert page.count("<main") == 1 and page.count("</main>") == 1
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert f'data-product-id="{EARBUDS}"' in main and f'data-product-id="{SECOND}"' in main
    assert len(re.findall(r"<h1\b", page)) == 1  # a visually hidden one names the page
    assert f'class="affsite affsite-{template} affsite-theme-dark' in main
    assert scripts(page) == [f'<script src="/static/js/embed-frame.js?v={__version__}" defer>']


def test_one_product_in_a_box_has_its_title_as_the_h1(client: FlaskClient) -> None:
    page = client.get(f"/embed/box?ids={EARBUDS}").get_data(as_text=True)
    assert [tag.split()[1] for tag in re.findall(r"<h1\b[^>]*>", page)] == ['class="product-title"']


def test_calls_to_action_go_through_go_links_on_this_site(client: FlaskClient) -> None:
    page = client.get(f"/embed/grid?ids={EARBUDS},{SECOND}").get_data(as_text=True)
    assert f'href="/go/{EARBUDS}"' in page and f'href="/go/{SECOND}"' in page
    iframe = client.get(f"/embed/iframe/{EARBUDS}").get_data(as_text=True)
    assert f'href="/go/{EARBUDS}"' in iframe


def test_a_url_root_prefixes_every_address(make_app: MakeApp) -> None:
    client = make_app(PUBLIC_URL="https://shop.example/boxes").test_client()
    page = client.get(f"/embed/box?ids={EARBUDS}").get_data(as_text=True)
    assert f'href="/boxes/go/{EARBUDS}"' in page
    assert 'src="/boxes/static/js/embed-frame.js?v=' in page
    assert discovery(page).startswith("https://shop.example/boxes/oembed?url=")


def test_the_discovery_link_names_the_canonical_page(client: FlaskClient) -> None:
    url = f"https://www.aliexpress.com/item/{SECOND}.html?spm=x"
    page = client.get(
        "/embed/GRID", query_string={"ids": f" {EARBUDS},{url}", "theme": "Dark", "junk": "<x>"}
    ).get_data(as_text=True)
    found = urlsplit(discovery(page))
    assert (found.scheme, found.netloc, found.path) == ("http", "localhost", "/oembed")
    assert parse_qs(found.query) == {
        "url": [f"http://localhost/embed/grid?ids={EARBUDS},{SECOND}&theme=dark"],
        "format": ["json"],
    }
    iframe = client.get(f"/embed/iframe/{EARBUDS}").get_data(as_text=True)
    assert parse_qs(urlsplit(discovery(iframe)).query)["url"] == [
        f"http://localhost/embed/iframe/{EARBUDS}"
    ]


def test_a_forged_host_reaches_only_the_one_who_sent_it(client: FlaskClient) -> None:
    # Without PUBLIC_URL the discovery link's host is the request's: the answer says
    # Vary: Host, and the renderer keeps a page per address, so no one else is handed it.
    forged = client.get(f"/embed/box?ids={EARBUDS}", headers={"Host": "evil.example"})
    assert forged.headers["Vary"] == "Host"
    assert "evil.example" in discovery(forged.get_data(as_text=True))
    clean = client.get(f"/embed/box?ids={EARBUDS}").get_data(as_text=True)
    assert "evil.example" not in clean


def test_a_configured_address_is_never_replaced_by_the_host(make_app: MakeApp) -> None:
    client = make_app(PUBLIC_URL="https://shop.example").test_client()
    response = client.get(f"/embed/box?ids={EARBUDS}", headers={"Host": "evil.example"})
    assert "evil.example" not in response.get_data(as_text=True)
    assert "Vary" not in response.headers


@pytest.mark.parametrize(
    ("address", "status", "says"),
    [
        (f"/embed/carousel?ids={EARBUDS}", 404, "Use one of: box, grid, list, table"),
        (f"/embed/%3Cscript%3E?ids={EARBUDS}", 404, "Unknown template."),
        (f"/embed/grid?ids={EARBUDS}&theme=%3Cscript%3E", 400, "Use one of: light, dark, auto."),
        ("/embed/grid", 400, "No product ids given."),
        ("/embed/grid?ids=%3Cscript%3Ealert(1)%3C/script%3E", 400, "is not an AliExpress product"),
        ("/embed/grid?ids=" + ",".join([EARBUDS] * 51), 400, "Ask for at most 50 products"),
    ],
)
def test_an_address_that_cannot_be_drawn_is_a_page_saying_what_to_use(
    client: FlaskClient, address: str, status: int, says: str
) -> None:
    response = client.get(address)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert says in page
    assert "<script>" not in page and "alert(1)" not in page and "carousel" not in page
    assert page.count("<main") == 1 and len(re.findall(r"<h1\b", page)) == 1
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "embed-frame.js" in page  # reports its height too, so WordPress shows it


def test_an_unchanged_page_is_a_304(client: FlaskClient) -> None:
    address = f"/embed/list?ids={EARBUDS},{SECOND}&theme=auto"
    first = client.get(address)
    again = client.get(address, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    for name in ("ETag", "Cache-Control", "Content-Security-Policy", "Vary"):
        assert again.headers[name] == first.headers[name], name
    # Werkzeug leaves Last-Modified out of a 304 (RFC 9110 15.4.5 asks only for the ETag).
    assert again.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_themes_are_drawn_and_kept_apart(client: FlaskClient) -> None:
    tags = set()
    for theme in Theme:
        response = client.get(f"/embed/box?ids={EARBUDS}&theme={theme}")
        assert f"affsite-theme-{theme}" in response.get_data(as_text=True)
        tags.add(response.headers["ETag"])
    assert len(tags) == len(Theme)


def test_the_frame_script_is_served_from_this_site(client: FlaskClient) -> None:
    assert (static_folder() / "js" / "embed-frame.js").is_file()
    response = client.get("/static/js/embed-frame.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    source = response.get_data(as_text=True)
    response.close()
    assert 'send("height", value)' in source and 'send("link", link.href)' in source
    assert "postMessage({ secret: secret, message: message, value: value }" in source
