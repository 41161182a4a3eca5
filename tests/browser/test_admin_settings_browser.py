"""A real browser signs in, edits the settings, and sees them persisted (system Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .helpers import ADMIN_PASSWORD, BROWSER_MARKS, StartSite, readme_picture

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOT = "screenshot.png"  # in docs/
CANARY_SECRET = "CANARY-SECRET-7f3a9c"

pytestmark = BROWSER_MARKS


def test_sign_in_change_settings_and_see_them_persisted(
    start_site: StartSite, page: Page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = start_site({"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "old_id"})
    page.set_viewport_size({"width": 1280, "height": 1180})

    page.goto(f"{server}/admin/settings")
    expect(page).to_have_url(f"{server}/admin/login?next=/admin/settings")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/admin/settings")

    page.fill("#f-tracking_id", "new_tracking_42")
    page.select_option("#f-country", "DE")
    page.click("text=Save settings")
    expect(page.locator(".flash-success")).to_contain_text("Settings saved.")
    picture = readme_picture(SCREENSHOT, tmp_path)
    page.screenshot(path=str(picture), full_page=False)
    assert picture.read_bytes().startswith(b"\x89PNG")

    page.reload()
    expect(page.locator("#f-tracking_id")).to_have_value("new_tracking_42")
    expect(page.locator("#f-country")).to_have_value("DE")
    mask = page.locator("[data-testid=secret-mask]")
    expect(mask).to_have_text("••••••••" + CANARY_SECRET[-4:])
    expect(page.locator("#f-app_secret")).to_have_value("")
    assert CANARY_SECRET not in page.content()

    # A wrong password does not reveal the secret; the right one does, once.
    page.click("text=Reveal the stored secret")
    page.fill("#reveal-password", "not the password")
    page.click("button[form=reveal-form]")
    expect(page.locator(".flash-error")).to_contain_text("Wrong password")
    assert CANARY_SECRET not in page.content()
    page.click("text=Reveal the stored secret")
    page.fill("#reveal-password", ADMIN_PASSWORD)
    page.click("button[form=reveal-form]")
    expect(page.locator(".revealed-value")).to_have_text(CANARY_SECRET)
    page.goto(f"{server}/admin/settings")
    assert CANARY_SECRET not in page.content()
