"""A real browser shows the iframe embed inside another website's page, as a blog would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .helpers import (
    BROWSER_MARKS,
    HostSite,
    Problems,
    StartSite,
    title_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_MARKS

EARBUDS = "1005004757833857"


def embed_code(page: Page, site: str) -> str:
    """The iframe code the home page offers, as a site owner copies it."""
    page.goto(f"{site}/", wait_until="networkidle")
    code = page.locator("#embed figure", has_text="Iframe").locator("code").inner_text()
    assert code.startswith(f'<iframe src="{site}/embed/iframe/{EARBUDS}"')
    return code


def forget(problems: Problems) -> None:
    for found in (problems.console_errors, problems.page_errors, problems.failed_requests):
        found.clear()


def test_the_copied_iframe_code_shows_a_working_box_on_another_site(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    from playwright.sync_api import expect

    site = start_site({})
    blog = host_site(embed_code(page, site))
    page.goto("about:blank")
    forget(problems)  # leaving the home page may abort its last requests (the favicon)

    page.goto(blog)
    frame = page.frame_locator("iframe")
    box = frame.locator("article.product-box")
    expect(box.locator(".product-title")).to_have_text(title_of(EARBUDS))
    expect(box.locator(".product-price-now")).to_have_text("$12.34")
    expect(box.locator(".product-disclosure")).to_contain_text("As an AliExpress affiliate")
    image = box.locator("img.product-image")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    link = box.locator("a.product-cta")
    # Through our own /go/ (which counts the click and redirects to AliExpress; followed
    # in test_embeds_browser.py), on the frame's own host.
    assert link.get_attribute("href") == f"/go/{EARBUDS}"
    assert link.evaluate("a => a.href") == f"{site}/go/{EARBUDS}"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "sponsored nofollow noopener"
    # The box is styled by its own stylesheet inside the frame, not by the blog.
    background = link.evaluate("a => getComputedStyle(a).backgroundColor")
    assert background == "rgb(184, 60, 28)"
    assert problems.all() == []


def test_a_site_not_on_the_allowed_list_cannot_show_the_box(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    site = start_site({"allowed_embed_origins": ["https://blog.example.com"]})
    blog = host_site(embed_code(page, site))

    page.goto(blog)
    page.wait_for_load_state("load")
    frame = page.frame_locator("iframe")
    assert frame.locator("article.product-box").count() == 0
    assert any("frame-ancestors" in error for error in problems.console_errors)
