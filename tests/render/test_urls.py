"""Only AliExpress's own https links and image hosts (and the sandbox in demo mode) may reach
``href``/``src`` (issue 8 row 2, the same rules as ``affsite.aliexpress.links``); CSP sources
are origins rebuilt from parsed parts (row 10)."""

from __future__ import annotations

import pytest

from affsite.render.urls import (
    IMAGE_SOURCES,
    SANDBOX_MEDIA_PATH,
    image_url,
    link_url,
    origin,
    product_page_url,
)

GOOD_LINKS = [
    "https://s.click.aliexpress.com/e/_DDVNpw0U",
    "https://www.aliexpress.com/item/1005004757833857.html?sku=1&x=%20",
    "https://aliexpress.us/item/3256804.html",
    "https://pt.aliexpress.com/item/1.html",
    "https://www.aliexpress.ru/item/1.html",
]
BAD_LINKS = [
    "https://evil.example/phish",  # the audit's promotion_link
    "//evil.example/x",  # the audit's detail link
    "/admin/logout",  # the audit's image
    "http://www.aliexpress.com/item/1.html",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://aliexpress.com.evil.example/",
    "https://evilaliexpress.com/",
    "https://s.click.aliexpress.com.evil.example/e/_x",
    "https://a.aliexpress.com@evil.example/",
    "https://evil.com\\@a.aliexpress.com/",
    "https://www.aliexpress.com:8443/item/1.html",
    "https://www.aliexpress.com/ item",
    "https://www.аliexpress.com/",  # Cyrillic a
    "",
    None,
    42,
]


@pytest.mark.parametrize("url", GOOD_LINKS)
def test_links_on_aliexpress_hosts_are_kept(url: str) -> None:
    assert link_url(url) == url


@pytest.mark.parametrize("url", BAD_LINKS)
def test_any_other_link_is_dropped(url: object) -> None:
    assert link_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://ae01.alicdn.com/kf/Sa1b2.jpg",
        "https://ae-pic-a1.aliexpress-media.com/kf/S1.jpg_640x640.jpg",
    ],
)
def test_images_on_aliexpress_image_hosts_are_kept(url: str) -> None:
    assert image_url(url) == url
    assert image_url(url, SANDBOX_MEDIA_PATH) == url
    assert image_url(url, "http://127.0.0.1:8765") == url


@pytest.mark.parametrize(
    "url",
    [
        "/admin/logout",
        "http://ae01.alicdn.com/kf/a.jpg",
        "https://ae01.alicdn.com.evil.example/a.jpg",
        "javascript:alert(1)",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "/sandbox-media/1-0.svg",  # not in demo mode
    ],
)
def test_any_other_image_is_dropped(url: str) -> None:
    assert image_url(url) is None


def test_the_in_process_sandbox_pictures_only_in_demo_mode() -> None:
    assert image_url("/sandbox-media/1005-0.svg", SANDBOX_MEDIA_PATH) == "/sandbox-media/1005-0.svg"
    for url in ("/sandbox-media/../secret_key", "/sandbox-media/", "/sandbox-media//x", "/x.svg"):
        assert image_url(url, SANDBOX_MEDIA_PATH) is None, url


def test_the_sandbox_server_pictures_only_from_its_own_origin() -> None:
    sandbox = "http://127.0.0.1:8765"
    assert image_url(f"{sandbox}/media/1-0.svg", sandbox) == f"{sandbox}/media/1-0.svg"
    assert image_url("http://127.0.0.1:8766/media/1-0.svg", sandbox) is None
    assert image_url(f"{sandbox}0/media/1-0.svg", sandbox) is None
    assert image_url(f"{sandbox}.evil.example/x.svg", sandbox) is None
    assert image_url(f"{sandbox}//evil.example/x.svg", sandbox) is None
    assert image_url(f"{sandbox}/media/x.svg?onload=1", sandbox) is None
    assert image_url(f"{sandbox}/media/1-0.svg") is None


def test_the_embed_csp_admits_every_image_host() -> None:
    for host in ("ae01.alicdn.com", "ae-pic-a1.aliexpress-media.com", "www.aliexpress.com"):
        domain = host.split(".", 1)[1]
        assert f"https://*.{domain}" in IMAGE_SOURCES.split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://127.0.0.1:8765/sync", "http://127.0.0.1:8765"),
        ("https://API-SG.aliexpress.com/sync", "https://api-sg.aliexpress.com"),
        ("https://blog.example.com", "https://blog.example.com"),
        ("https://shop.example.org:8443", "https://shop.example.org:8443"),
        ("https://shop.example.org:443/", "https://shop.example.org"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        # The audit: a Gateway URL with spaces and ';' injected CSP directives.
        ("http://127.0.0.1:8765; script-src 'unsafe-inline'", None),
        ("http://127.0.0.1:8765;script-src", None),
        ("https://x.example/'unsafe-inline'", "https://x.example"),
        ("https://a@b.example", None),
        ("https://b.example:99999", None),
        ("https://b.example:x", None),
        ("ftp://b.example", None),
        ("javascript://b.example", None),
        ("*", None),
        ("'self'", None),
        ("https://*.example.com", None),
        ("https://exa_mple.com", None),
        ("https://exämple.com", None),
        ("", None),
        (None, None),
    ],
)
def test_origins_are_rebuilt_from_parsed_parts(text: str | None, expected: str | None) -> None:
    assert origin(text) == expected


def test_the_product_page_of_an_id() -> None:
    assert product_page_url("33006951782") == "https://www.aliexpress.com/item/33006951782.html"
    assert product_page_url("<x>") is None
    assert product_page_url("1" * 21) is None
