"""Which URLs from the gateway may reach an href, a src or the JSON API (issue 8, row 2)."""

from __future__ import annotations

from typing import Any

import pytest

from affsite.aliexpress.links import MAX_URL_LENGTH, image_url, link_url, media_base_problem

# Each pair is a way to make a URL look like AliExpress's to one parser and not to another.
TRICKS = [
    "https://evil.com\\@a.aliexpress.com/",  # urllib says aliexpress, browsers go to evil.com
    "https://evil.com\\.aliexpress.com/",
    "https://a.aliexpress.com@evil.com/",
    "https://a.aliexpress.com:443@evil.com/",
    "https://user:pass@www.aliexpress.com/",
    "https://evil.com#@a.aliexpress.com/",
    "https://evil.com?@a.aliexpress.com/",
    "https://evil.com%2F@a.aliexpress.com/",
    "https://evil%2ecom.aliexpress.com/",
    "https://www.aliexpress.com%00.evil.com/",
    "https://www.aliexpress.com\t.evil.com/",
    "https://www.aliexpress.com\u3002evil.com/",
    "https://www.аliexpress.com/",  # Cyrillic a
    "https://[::1]/",
    "https://0x7f.1/",
    "https://127.1/",
    "https://aliexpress.com.evil.com/",
    "https://www.aliexpress.co/",
    " javascript:alert(1)",
    "\x00https://www.aliexpress.com/",
    "https://www.aliexpress.com/\x7f",
    'https://www.aliexpress.com/"onmouseover="alert(1)',
    "https://www.aliexpress.com/<script>",
]


@pytest.mark.parametrize("url", TRICKS)
def test_parser_tricks_are_refused_by_both_checks(url: str) -> None:
    assert link_url(url) is None
    assert image_url(url) is None
    assert image_url(url, media_base_url="/sandbox-media/") is None


@pytest.mark.parametrize("value", [None, 5, b"https://www.aliexpress.com/", ["x"]])
def test_only_strings_are_urls(value: Any) -> None:
    assert link_url(value) is None and image_url(value) is None


def test_the_url_that_comes_out_is_rebuilt_from_its_parts() -> None:
    assert link_url("HTTPS://WWW.ALIEXPRESS.COM:443/item/1.html?a=1#top") == (
        "https://www.aliexpress.com/item/1.html?a=1#top"
    )


def test_image_hosts_are_not_link_hosts() -> None:
    assert image_url("https://ae01.alicdn.com/kf/a.jpg") == "https://ae01.alicdn.com/kf/a.jpg"
    assert link_url("https://ae01.alicdn.com/kf/a.jpg") is None
    assert image_url("https://www.aliexpress.com/a.jpg") == "https://www.aliexpress.com/a.jpg"


def test_overlong_urls_are_refused() -> None:
    url = "https://www.aliexpress.com/" + "a" * MAX_URL_LENGTH
    assert link_url(url) is None


def test_a_served_sandbox_media_folder_can_be_allowed() -> None:
    base = "http://127.0.0.1:8765/media/"
    assert image_url(base + "1-0.svg", media_base_url=base) == base + "1-0.svg"
    assert image_url("http://127.0.0.1:8765/other/1-0.svg", media_base_url=base) is None
    assert image_url(base + "1-0.svg") is None


@pytest.mark.parametrize(
    "base",
    ["", "sandbox-media/", "/sandbox-media", "//evil.example/", "javascript:/", "http://u@h/m/"],
)
def test_media_addresses_must_be_folders_on_a_site_or_http_origin(base: str) -> None:
    assert media_base_problem(base) is not None
