"""Every page of the app and every box template, light and dark, passes axe-core.

axe-core (the npm package; scripts/test.sh installs it) runs inside the real page in system
Chromium with its default rules: WCAG 2 A and AA (contrast included) and its best practices
(one ``main``, all content inside landmarks, headings in order). A violation fails the test
with axe's own description of each offending element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .axe import assert_accessible
from .helpers import ADMIN_PASSWORD, BROWSER_MARKS, CATALOG, StartSite

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = BROWSER_MARKS

SCHEMES = ("light", "dark")  # the browser's prefers-color-scheme
# One product with a discount, one without, one hostile title, one right-to-left title, one
# that cannot be promoted: every part a box can show.
EARBUDS = "1005004757833857"
MUG = "33006951782"
HOSTILE = CATALOG.hostile_ids()[0]
RTL = CATALOG.rtl_ids()[0]
UNAVAILABLE = CATALOG.not_promotable_ids()[0]
IDS = (EARBUDS, MUG, HOSTILE, RTL, UNAVAILABLE)
TEMPLATES = ("box", "grid", "list", "table", "compact", "button", "link", "field")

# The pages of the app a visitor or an owner can reach, by name: path, and whether it needs a
# signed-in admin.
APP_PAGES: dict[str, tuple[str, bool]] = {
    "home": ("/", False),
    "login": ("/admin/login", False),
    "dashboard": ("/admin/", True),
    "settings": ("/admin/settings", True),
    "not-found": ("/no/such/page", False),
    "admin-not-found": ("/admin/no-such-page", True),
    "embed-iframe": (f"/embed/iframe/{EARBUDS}", False),
    "embed-iframe-unavailable": (f"/embed/iframe/{UNAVAILABLE}", False),
    "embed-not-a-product": ("/embed/iframe/not-a-product", False),
}


def sign_in(page: Page, site: str) -> None:
    page.goto(f"{site}/admin/login")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/admin/")


def open_page(page: Page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    # Lazy images below the fold decode too, so axe sees every box as a visitor would.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => window.scrollTo(0, 0)")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", list(APP_PAGES))
def test_app_page_has_no_axe_violations(
    start_site: StartSite, axe_context: BrowserContext, name: str, scheme: str
) -> None:
    path, admin = APP_PAGES[name]
    site = start_site({"featured_products": [EARBUDS, MUG, HOSTILE, RTL]})
    page = axe_context.new_page()
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    if admin:
        sign_in(page, site)
    open_page(page, f"{site}{path}")
    assert_accessible(page, f"{path} ({scheme})")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_settings_page_showing_errors_has_no_axe_violations(
    start_site: StartSite, axe_context: BrowserContext, scheme: str
) -> None:
    """The settings form after a rejected save: error messages, invalid fields, the problem
    banner."""
    site = start_site({})
    page = axe_context.new_page()
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    sign_in(page, site)
    page.goto(f"{site}/admin/settings")
    page.fill("#f-daily_quota", "-5")
    page.locator("form button[type=submit]", has_text="Save").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[aria-invalid=true]").count() > 0
    assert_accessible(page, f"the settings page with errors ({scheme})")


# (theme, browser scheme): the fixed themes once each, the automatic one under both schemes.
THEME_CASES = [("light", "light"), ("dark", "light"), ("auto", "light"), ("auto", "dark")]


@pytest.mark.parametrize(("theme", "scheme"), THEME_CASES, ids=[f"{t}-{s}" for t, s in THEME_CASES])
@pytest.mark.parametrize("template", TEMPLATES)
def test_box_template_has_no_axe_violations(
    start_site: StartSite, axe_context: BrowserContext, template: str, theme: str, scheme: str
) -> None:
    """Each template drawn on its embed page (``/embed/<template>``) in each theme, under a
    light and a dark browser, with products that show every part of a box."""
    site = start_site({})
    page = axe_context.new_page()
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    ids = ",".join(IDS)
    open_page(page, f"{site}/embed/{template}?ids={ids}&theme={theme}")
    assert page.locator(".affsite, .product-box").count() > 0, "no box on the embed page"
    assert_accessible(page, f"/embed/{template} theme={theme} ({scheme})")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("template", ["box", "table", "compact"])
def test_right_to_left_boxes_have_no_axe_violations(
    start_site: StartSite, axe_context: BrowserContext, template: str, theme: str
) -> None:
    """A site in Arabic: the boxes are laid out right to left, and stay accessible."""
    site = start_site({"language": "AR"})
    page = axe_context.new_page()
    ids = ",".join((RTL, EARBUDS, UNAVAILABLE))
    open_page(page, f"{site}/embed/{template}?ids={ids}&theme={theme}")
    assert page.locator(".affsite[dir=rtl]").count() == 1
    assert_accessible(page, f"/embed/{template} theme={theme}, right to left")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_dashboard_with_clicks_has_no_axe_violations(
    start_site: StartSite, axe_context: BrowserContext, scheme: str
) -> None:
    """The dashboard once a box was seen and clicked: the clicks table is filled."""
    site = start_site({})
    page = axe_context.new_page()
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    open_page(page, f"{site}/embed/iframe/{EARBUDS}")
    click = page.request.get(f"{site}/go/{EARBUDS}", max_redirects=0)
    assert click.status == 302
    sign_in(page, site)
    open_page(page, f"{site}/admin/")
    assert page.locator("#clicks-table").count() == 1
    assert_accessible(page, f"the dashboard with clicks ({scheme})")
