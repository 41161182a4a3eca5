"""A real browser opens the home page in demo mode and sees working, compliant product boxes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .helpers import (
    BROWSER_MARKS,
    CATALOG,
    Problems,
    StartSite,
    assert_boxes,
    readme_picture,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_MARKS

SCREENSHOT = "screenshot-home.png"  # in docs/
# The products the home page shows until the site features its own (EXAMPLE_PRODUCT_IDS).
EXAMPLE_IDS = ("1005004757833857", "33006951782")


def test_demo_home_page_shows_working_product_boxes(
    start_site: StartSite, page: Page, problems: Problems, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    site = start_site({})  # no credentials: demo mode against the built-in sandbox
    response = page.goto(f"{site}/")
    assert response is not None and response.ok

    banner = page.get_by_role("note")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(
        re.compile(r"^\s*Demo mode: no AliExpress credentials are set;.*built-in sandbox")
    )
    assert_boxes(page, EXAMPLE_IDS)
    assert problems.all() == []

    # The README's picture: everything from the top of the page to the end of the boxes.
    page.evaluate("window.scrollTo(0, 0)")
    examples = page.locator("#examples").bounding_box()
    assert examples is not None
    picture = readme_picture(SCREENSHOT, tmp_path)
    picture.parent.mkdir(exist_ok=True)
    page.screenshot(
        path=str(picture),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": examples["y"] + examples["height"] + 24},
    )
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_hostile_product_data_stays_inert(
    start_site: StartSite, page: Page, problems: Problems
) -> None:
    """Titles carrying markup and script are shown as text; nothing runs, nothing is injected."""
    from playwright.sync_api import expect

    hostile = tuple(CATALOG.hostile_ids())
    assert len(hostile) >= 3
    site = start_site({"featured_products": list(hostile)})
    page.goto(f"{site}/")

    assert_boxes(page, hostile)
    expect(page.locator("#examples .product-title").first).to_contain_text(
        "<script>alert(1)</script>"
    )
    injected = page.locator(
        "#examples script, #examples svg, #examples iframe, "
        "#examples img:not([src^='/sandbox-media/']), #examples [onerror], "
        "#examples [onload], #examples [onmouseover]"
    )
    expect(injected).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^affsite · "))
    for title in page.locator("#examples .product-title").all():
        title.hover()  # one title carries an onmouseover= attribute, as text
    assert problems.all() == []
