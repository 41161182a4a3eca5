"""Fixtures for the browser tests: the real app behind a real HTTP server, system Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from affsite import create_app
from affsite.web.auth import admin_password

from .helpers import (
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_REPORTER,
    HostSite,
    Problems,
    StartSite,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page


@pytest.fixture
def start_site(tmp_path: Path, serve_wsgi: Callable[[Any], str]) -> StartSite:
    """Start the real app on a free loopback port; answers its base URL.

    ``settings`` (optional) is written to a fresh instance folder's settings.json first; with
    no App Key and Secret in it the app runs in demo mode against the in-process sandbox.
    The admin password is ``ADMIN_PASSWORD``, hashed cheaply.
    """

    def start(settings: dict[str, Any] | None = None) -> str:
        instance = tmp_path / f"instance-{sum(1 for _ in tmp_path.glob('instance-*'))}"
        instance.mkdir(mode=0o700)
        if settings is not None:
            (instance / "settings.json").write_text(json.dumps(settings))
        app = create_app(
            {"INSTANCE_PATH": str(instance), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}
        )
        admin_password(app).set(ADMIN_PASSWORD)
        url: str = serve_wsgi(app)
        return url

    return start


@pytest.fixture
def host_site(serve_wsgi: Callable[[Any], str]) -> HostSite:
    """Another website (another origin: its own loopback port) serving fixed HTML pages.

    ``host_site(body)`` serves one blog post around ``body`` and answers its URL;
    ``host_site({"/path": html, ...})`` serves whole pages and answers the site's base URL.
    """

    def start(pages: str | dict[str, str]) -> str:
        if isinstance(pages, str):
            post = f"<!doctype html><html><body><h1>A blog post</h1>{pages}</body></html>"
            served = {"/post": post}
        else:
            served = dict(pages)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            path = environ.get("PATH_INFO", "")
            html = served.get(path)
            if path == "/favicon.ico":
                start_response("204 No Content", [])
                return []
            if html is None:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found"]
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [html.encode()]

        base = serve_wsgi(app)
        return f"{base}/post" if isinstance(pages, str) else base

    return start


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless system Chromium for every browser test in this process."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def page(browser: Browser, problems: Problems) -> Iterator[Page]:
    """A fresh browser context (no cookies) 1280 px wide, recording every problem it sees:
    console errors (CSP violations included), uncaught exceptions, failed or 4xx/5xx requests,
    and dialogs (which it dismisses)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.page_errors.append(str(exc)))
    page.on(
        "requestfailed",
        # ERR_ABORTED is the browser dropping a page's pending requests (the favicon) when
        # the test moves on to the next page; a broken resource shows as another failure or
        # as an HTTP error status below.
        lambda req: (
            None
            if req.failure == "net::ERR_ABORTED"
            else problems.failed_requests.append(f"{req.url}: {req.failure}")
        ),
    )
    page.on(
        "response",
        lambda resp: (
            problems.failed_requests.append(f"{resp.url}: HTTP {resp.status}")
            if resp.status >= 400
            else None
        ),
    )

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def axe_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh context for the accessibility checks: it lets the test inject axe-core into
    pages whose CSP allows no inline script (``bypass_csp``); nothing else is changed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()
