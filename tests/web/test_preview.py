"""``/admin/preview``: pasted content expanded inside a sandboxed frame, its problems listed."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, csrf_token, log_in, password_store

EARBUDS = "1005004757833857"
BAD_ID = '[aliexpress id="12"]'
SCRIPT = "<script>parent.document.title='owned'</script>"


def frames(page: str) -> list[str]:
    return re.findall(r"<iframe\b[^>]*>", page)


def srcdoc(page: str) -> str:
    [frame] = frames(page)
    match = re.search(r'srcdoc="([^"]*)"', frame)
    assert match, frame
    return html.unescape(match.group(1))


def preview(admin: FlaskClient, text: str) -> str:
    response = admin.post("/admin/preview", data={"text": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_form_is_linked_from_the_admin_navigation(admin: FlaskClient) -> None:
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/preview"' in dashboard
    page = admin.get("/admin/preview").get_data(as_text=True)
    assert '<textarea id="preview-text" name="text"' in page
    assert frames(page) == []  # nothing to show before something is pasted


def test_the_content_is_expanded_in_a_sandbox_that_runs_nothing(admin: FlaskClient) -> None:
    page = preview(admin, f"<h2>Picks</h2>{SCRIPT}\n[aliexpress {EARBUDS}]")
    [frame] = frames(page)
    sandbox = re.search(r'\bsandbox="([^"]*)"', frame)
    assert sandbox is not None and sandbox.group(1) == ""  # no allow-scripts, no allow-same-origin
    document = srcdoc(page)
    assert f'data-product-id="{EARBUDS}"' in document
    assert "<h2>Picks</h2>" in document and SCRIPT in document  # the admin's own HTML, as is
    assert 'rel="stylesheet" href="/static/css/box.css?v=' in document
    # Outside the frame's attribute the pasted script exists only as escaped text.
    outside = page.replace(frame, "")
    assert "<script>parent" not in outside
    assert "&lt;script&gt;parent" in outside  # in the textarea, to edit


def test_problems_are_listed_as_text_beside_the_preview(admin: FlaskClient) -> None:
    page = preview(admin, f'x\n{BAD_ID}\n[aliexpress {EARBUDS} template="<b>"]')
    problems = page[page.index('id="preview-problems"') : page.index('id="preview-result"')]
    assert "2 shortcodes could not be drawn" in problems
    assert (
        "Line 2: <code>[aliexpress id=&#34;12&#34;]</code>: id: 12 is not a product id" in problems
    )
    assert "Line 3:" in problems
    assert "<b>" not in problems and "&lt;b&gt;" in problems
    assert "<!-- affsite:" in srcdoc(page)  # in the page source visitors would get


def test_a_clean_text_says_so(admin: FlaskClient) -> None:
    page = preview(admin, f"[aliexpress {EARBUDS}]")
    assert "No problems: every shortcode was drawn." in page


def test_the_page_allows_https_pictures_but_still_no_foreign_scripts_or_framing(
    admin: FlaskClient,
) -> None:
    response = admin.post("/admin/preview", data={"text": f"[aliexpress {EARBUDS}]"})
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';")
    assert "img-src 'self' https: data:" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert "script-src" not in policy  # scripts: this site only (default-src)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_other_admin_pages_keep_the_admin_policy(admin: FlaskClient) -> None:
    policy = admin.get("/admin/settings").headers["Content-Security-Policy"]
    assert "img-src" not in policy


def test_anonymous_visitors_are_sent_to_the_login(client: FlaskClient, app: Flask) -> None:
    for response in (
        client.get("/admin/preview"),
        client.post("/admin/preview", data={"text": f"[aliexpress {EARBUDS}]"}),
    ):
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/admin/login")


def test_posting_needs_a_csrf_token(make_app: MakeApp) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    password_store(app).set(ADMIN_PASSWORD)
    admin = app.test_client()
    assert log_in(admin).status_code == 303
    text = f"[aliexpress {EARBUDS}]"
    assert admin.post("/admin/preview", data={"text": text}).status_code == 400
    token = csrf_token(admin, "/admin/preview")
    response = admin.post("/admin/preview", data={"text": text, "csrf_token": token})
    assert response.status_code == 200 and len(frames(response.get_data(as_text=True))) == 1
