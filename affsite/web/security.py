"""Browser-facing protections: CSRF on every form, admin response headers, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

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
    """CSRF protection for every POST/PUT/PATCH/DELETE, and the admin headers."""
    csrf.init_app(app)
    app.after_request(_admin_headers)


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _admin_headers(response: Response) -> Response:
    # Applied app-wide by path, so error pages and unknown /admin URLs get them too.
    if is_admin_path(request.path):
        for name, value in ADMIN_HEADERS.items():
            response.headers[name] = value
        response.headers.pop("Expires", None)
    return response


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
