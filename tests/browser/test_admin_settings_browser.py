"""A real browser signs in, edits the settings, and sees them persisted (system Chromium)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite import create_app
from affsite.web.auth import PASSWORD_KEY, AdminPassword

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
ADMIN_PASSWORD = "browser-test-password"
CANARY_SECRET = "CANARY-SECRET-7f3a9c"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="system Chromium not found at /usr/bin/chromium"
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real app behind a real HTTP server on a free loopback port."""
    from werkzeug.serving import make_server

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    (instance / "settings.json").write_text(
        json.dumps({"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "old_id"})
    )
    app = create_app({"INSTANCE_PATH": str(instance), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
    password: AdminPassword = app.extensions[PASSWORD_KEY]
    password.set(ADMIN_PASSWORD)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def test_sign_in_change_settings_and_see_them_persisted(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1180})
            page.set_default_timeout(15_000)

            page.goto(f"{server}/admin/settings")
            expect(page).to_have_url(f"{server}/admin/login?next=/admin/settings")
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/admin/settings")

            page.fill("#f-tracking_id", "new_tracking_42")
            page.select_option("#f-country", "DE")
            page.click("text=Save settings")
            expect(page.locator(".flash-success")).to_contain_text("Settings saved.")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)

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
        finally:
            browser.close()
