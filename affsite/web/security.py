"""Browser-facing protections: CSRF on every form, admin response headers, safe redirects.

Redirects never carry a host taken from the request. Werkzeug writes absolute ``Location``
headers for the redirects its router makes (``/embed//iframe/1`` to ``/embed/iframe/1``,
``/admin`` to ``/admin/``) from the ``Host`` header, which a visitor chooses; a cache in
front would then send every visitor to that host. Every redirect to this site's own host is
therefore made relative (browsers resolve it against the address they asked), and a
redirect that says nothing about caching gets ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from markupsafe import escape

ADMIN_PREFIX = "/admin"

# Every /admin response: never cached, never framed, forms only post back to us. The
# Referrer-Policy keeps a same-origin Referer, which CSRF checking over HTTPS requires.
ADMIN_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """CSRF protection for every POST/PUT/PATCH/DELETE, the admin headers, and sessions
    only where an admin works."""
    app.session_interface = AdminOnlySessions()
    csrf.init_app(app)
    # Flask-WTF's own hook looks up exemptions before the method on every request; this one
    # returns for safe methods first (GETs are most requests) and checks the rest alike.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_csrf_protect)
    app.after_request(_admin_headers)
    app.after_request(_redirect_headers)


class AdminOnlySessions(SecureCookieSessionInterface):
    """The signed-cookie session, opened only under /admin.

    Public pages, the JSON API and embeds are the same for everyone and are meant to be kept
    by caches and CDNs: they must never send ``Set-Cookie`` or ``Vary: Cookie``, even to a
    signed-in admin (whose session would otherwise be refreshed on every response). There
    they get the read-only null session: nothing can be stored in it by mistake.
    """

    def open_session(self, app: Flask, request: Request) -> Any:
        if not is_admin_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)


def _csrf_protect() -> None:
    if (
        request.method in current_app.config["WTF_CSRF_METHODS"]
        and current_app.config["WTF_CSRF_ENABLED"]
    ):
        csrf.protect(apply_exemptions=True)


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _admin_headers(response: Response) -> Response:
    # Applied app-wide by path, so error pages and unknown /admin URLs get them too.
    if is_admin_path(request.path):
        for name, value in ADMIN_HEADERS.items():
            if name == "Content-Security-Policy" and name in response.headers:
                continue  # a page that needs its own policy (the preview's pictures) set it
            response.headers[name] = value
        response.headers.pop("Expires", None)
    return response


def _redirect_headers(response: Response) -> Response:
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location")
        if location is not None:
            relative = relative_location(location, request.host)
            response.headers["Location"] = relative
            if relative != location and response.mimetype == "text/html":
                # Werkzeug's redirect page links the absolute address too, Host included.
                body = response.get_data(as_text=True)
                for old, new in ((escape(location), escape(relative)), (location, relative)):
                    body = body.replace(old, new)
                response.set_data(body)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def relative_location(location: str, host: str) -> str:
    """``location`` without scheme and host when it points at ``host`` (this request's own),
    never starting with ``//`` (which a browser would read as another host).

    >>> relative_location("http://evil.example/embed/iframe/1?x=1", "evil.example")
    '/embed/iframe/1?x=1'
    >>> relative_location("https://s.click.aliexpress.com/e/_x", "shop.example")
    'https://s.click.aliexpress.com/e/_x'
    >>> relative_location("//evil.example/x", "shop.example"), relative_location("/\\\\x", "h")
    ('/evil.example/x', '/x')
    """
    parts = urlsplit(location)
    if parts.scheme:
        if parts.netloc.lower() != host.lower() or parts.scheme.lower() not in ("http", "https"):
            return location  # another site, chosen by the code that redirects
        location = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    if location.startswith(("//", "/\\")):
        location = "/" + location.lstrip("/\\")
    return location


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refuses anything a browser could read as another host: ``//evil.com``, ``/\\evil.com``
    (browsers treat ``\\`` as ``/``), ``https://evil.com``, ``javascript:…``, and any
    whitespace or control character (browsers drop tabs and newlines inside URLs, so
    ``/\\t/evil.com`` would become ``//evil.com``).

    >>> safe_next("/admin/settings?x=1", "/admin/")
    '/admin/settings?x=1'
    >>> safe_next("//evil.com", "/admin/")
    '/admin/'
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
