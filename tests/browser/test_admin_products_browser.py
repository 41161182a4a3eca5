"""A real browser uses the settings page's Test connection and Add products by URL boxes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .helpers import BROWSER_MARKS, Problems, StartSite, assert_boxes, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_MARKS

STORE_PAGE = "https://www.aliexpress.com/store/912345678"
LOOK_ALIKE = "https://aliexpress.com.example.net/item/1005004757833857.html"
# Pasted as a user would: inside prose, from the mobile site and with tracking parameters, mixed
# with addresses that are not products. The two products (the mug, then a drone) differ from the
# home page's default examples (the earbuds, then the mug), so the home page visibly switches to
# them; the look-alike carries the earbuds' id, which must not appear. (No short links: no
# network here.)
PASTED = f"""Two finds for the article:
https://m.aliexpress.com/item/33006951782.html
Not this one, it is the shop: {STORE_PAGE}
https://www.aliexpress.com/item/1005006894410037.html?spm=a2g0o.home.0.0
and the same earbuds from a look-alike site {LOOK_ALIKE}
"""
FEATURED = ("33006951782", "1005006894410037")


def test_test_connection_reports_ok_in_demo_mode(
    start_site: StartSite, page: Page, problems: Problems
) -> None:
    from playwright.sync_api import expect

    site = start_site({})
    sign_in(page, site)
    page.locator("#connection").get_by_role("button", name="Test connection").click()

    expect(page).to_have_url(f"{site}/admin/settings#connection")
    expect(page.locator(".flash-success")).to_have_text(
        re.compile(r"^Connection OK: the built-in demo sandbox .* accepted the request\.$")
    )
    expect(page.locator(".flash-error")).to_have_count(0)
    assert problems.all() == []


def test_add_products_by_url_features_them_on_the_home_page(
    start_site: StartSite, page: Page, problems: Problems
) -> None:
    from playwright.sync_api import expect

    site = start_site({})
    sign_in(page, site)
    expect(page.locator("#f-featured_products")).to_have_value("")

    box = page.locator("#add-products")
    box.locator("#add-products-text").fill(PASTED)
    box.get_by_role("button", name="Add products").click()

    expect(page.locator(".flash-success")).to_have_text(
        "Added 2 products to the featured products."
    )
    expect(page.locator(".flash-error")).to_contain_text("2 inputs could not be used")
    # The addresses that are not products stay in the box, each with its reason.
    expect(box.locator("#add-products-text")).to_have_value(f"{STORE_PAGE}\n{LOOK_ALIKE}")
    expect(box.locator("#add-products-text")).to_have_attribute("aria-invalid", "true")
    expect(box.locator("#add-products-errors li")).to_have_text(
        [
            re.compile(rf"^{re.escape(STORE_PAGE)}: this is a store page, not a product$"),
            re.compile(rf"^{re.escape(LOOK_ALIKE)}: .*not an AliExpress site$"),
        ]
    )
    expect(page.locator("#f-featured_products")).to_have_value("\n".join(FEATURED))

    # Saved, not only shown: a fresh load of the settings page still lists them.
    page.goto(f"{site}/admin/settings")
    expect(page.locator("#f-featured_products")).to_have_value("\n".join(FEATURED))
    expect(page.locator("#add-products-text")).to_have_value("")
    expect(page.locator("#add-products-errors")).to_have_count(0)

    # The home page now shows those two products, in that order, instead of its examples.
    page.goto(f"{site}/")
    assert_boxes(page, FEATURED)
    assert problems.all() == []
