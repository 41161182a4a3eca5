"""Helpers for the browser tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.settings import DEFAULTS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    # No host name resolves but the loopback ones: whatever a page, a redirect or a bug
    # asks for, nothing leaves the machine (routes in the tests answer for AliExpress).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Set to 1 to redraw the README's pictures in docs/; otherwise tests draw them in a temporary
# folder, so a test run leaves the checkout as it was.
UPDATE_PICTURES = "UPDATE_README_PICTURES"


def readme_picture(name: str, tmp_path: Path) -> Path:
    """Where a test draws the README's picture ``name`` (see ``UPDATE_PICTURES``)."""
    return DOCS / name if os.environ.get(UPDATE_PICTURES) == "1" else tmp_path / name


ADMIN_PASSWORD = "browser-test-password"
# The same deterministic catalog the demo sandbox serves.
CATALOG = Sandbox().catalog

# start_site(settings=None) -> the base URL of a freshly started app (see conftest.py).
StartSite = Callable[..., str]
# host_site(body or {path: html}) -> another origin serving those pages (see conftest.py).
HostSite = Callable[[str | dict[str, str]], str]

# Every browser test module sets ``pytestmark = BROWSER_MARKS``.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="system Chromium not found at /usr/bin/chromium"
    ),
]

# Chromium reports a blocked load or script as a ``securitypolicyviolation`` event; this turns
# each one into a console error, so one listener sees every kind of problem. Playwright injects
# init scripts outside the page's CSP, so the listener itself is never blocked.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@dataclass
class Problems:
    """What went wrong in the page as the browser saw it: anything here fails a test."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)  # network failures and 4xx/5xx
    dialogs: list[str] = field(default_factory=list)  # alert()/confirm()/prompt() opened

    def all(self) -> list[str]:
        return [*self.console_errors, *self.page_errors, *self.failed_requests, *self.dialogs]


def sign_in(page: Page, site: str, then: str = "/admin/settings") -> None:
    """Open ``then`` (an admin page), get sent to the login page, sign in, land on ``then``."""
    from playwright.sync_api import expect

    page.goto(f"{site}{then}")
    expect(page).to_have_url(f"{site}/admin/login?next={then}")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}{then}")


def is_aliexpress_https(url: str | None) -> bool:
    """True for an ``https://`` address on aliexpress.com or one of its subdomains."""
    if not url:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (
        host == "aliexpress.com" or host.endswith(".aliexpress.com")
    )


def title_of(product_id: str) -> str:
    product = CATALOG.get(product_id)
    assert product is not None, f"{product_id} is not in the sandbox catalog"
    return product.title


def assert_image_loaded(box: Locator, product_id: str) -> None:
    """The box's image comes from the app's own sandbox media and really decoded."""
    from playwright.sync_api import expect

    image = box.locator("img")
    expect(image).to_have_attribute("src", re.compile(rf"^/sandbox-media/{product_id}-\d\.svg$"))
    image.scroll_into_view_if_needed()  # the images are loading="lazy"
    expect(image).to_have_js_property("complete", True)
    width = image.evaluate("img => img.naturalWidth")
    assert width > 0, f"image of {product_id} did not load ({image.get_attribute('src')})"


def assert_boxes(page: Page, product_ids: tuple[str, ...]) -> None:
    """The home page shows exactly these products, in this order, each as a complete box:
    its title, an image that loaded, a sponsored https link to AliExpress, the disclosure."""
    from playwright.sync_api import expect

    boxes = page.locator("#examples article.product-box")
    expect(boxes.locator(".product-title")).to_have_text([title_of(i) for i in product_ids])
    for n, product_id in enumerate(product_ids):
        box = boxes.nth(n)
        assert_image_loaded(box, product_id)
        link = box.get_by_role("link", name="View on AliExpress")
        expect(link).to_have_attribute("rel", "sponsored nofollow noopener")
        href = link.get_attribute("href")
        assert is_aliexpress_https(href), f"box {product_id} links to {href!r}"
        disclosure = box.locator(".product-disclosure")
        expect(disclosure).to_be_visible()
        expect(disclosure).to_have_text(DEFAULTS.disclosure)
