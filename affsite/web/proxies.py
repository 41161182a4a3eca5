"""What the app believes about where a request came from and which address it was sent to.

Request headers are written by whoever sends the request. The app believes the ones the
deployment says a proxy of its own sets, and no others (``app.config``, from ``AFFSITE_*``):

=========================== =========================================== ==================
setting                     trusts                                      default
=========================== =========================================== ==================
``PROXY_FIX=N``             ``X-Forwarded-For`` and ``-Proto`` from the 0 (no proxy)
                            N proxies in front (client address, https)
``PROXY_FIX_HOST=N``        ``X-Forwarded-Host`` and ``-Port``          0 (the ``Host``
                                                                        header)
``PROXY_FIX_PREFIX=N``      ``X-Forwarded-Prefix`` (the URL root)       0 (``PUBLIC_URL``'s
                                                                        path, else none)
``PUBLIC_URL=URL``          the address visitors use, e.g.              none
                            ``https://shop.example/boxes``
=========================== =========================================== ==================

A typical nginx in front sets ``X-Forwarded-For`` and ``-Proto``: ``AFFSITE_PROXY_FIX=1``.
Trust ``Host`` or ``Prefix`` only when the proxy overwrites what visitors send (nginx:
``proxy_set_header X-Forwarded-Host $host;``), or any visitor could choose them.

The URL root (``SCRIPT_NAME``) is never taken from the server: gunicorn fills it from a
``SCRIPT_NAME`` request header sent from an address it trusts, so one forged request could
make every link on a page point elsewhere. It is ``PUBLIC_URL``'s path (none by default), or
the trusted ``X-Forwarded-Prefix`` when it is a plain path. To serve the app under a prefix,
set ``PUBLIC_URL`` with that path and have the proxy strip it, or trust the proxy's
``X-Forwarded-Prefix``.

``public_url()`` is the address written into pages for other sites to use (the embed code):
``PUBLIC_URL`` when set (else Flask's ``SERVER_NAME`` as the host), else the scheme and host
this request was sent to (``Host``, or a
trusted ``X-Forwarded-Host``; Werkzeug has already refused a host with odd characters, and
``TRUSTED_HOSTS`` refuses unknown ones when set). Pages built from it are never kept or shared
between visitors (see ``affsite.web.public``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

# A URL root: plain path segments, no "." or "..", no empty segment (so never "//host").
_URL_ROOT = re.compile(r"(?:/(?!\.{1,2}(?:/|$))[A-Za-z0-9._~!$&'()*+,;=:@-]+)*")


def init_app(app: Flask) -> None:
    """Wrap the app in the proxy handling its configuration asks for (see the module doc)."""
    configured_root = urlsplit(app.config["PUBLIC_URL"] or "").path
    wsgi: Any = UrlRoot(
        app.wsgi_app, root=configured_root, trusted_prefixes=app.config["PROXY_FIX_PREFIX"]
    )
    hosts = app.config["PROXY_FIX_HOST"]
    if app.config["PROXY_FIX"] or hosts:
        wsgi = ProxyFix(
            wsgi,
            x_for=app.config["PROXY_FIX"],
            x_proto=app.config["PROXY_FIX"],
            x_host=hosts,
            x_port=hosts,
            x_prefix=0,
        )
    # Wrapping wsgi_app (not app) keeps app.test_client() and app.extensions intact.
    app.wsgi_app = wsgi  # type: ignore[method-assign]


def is_url_root(path: str) -> bool:
    """True for a path that may be the app's URL root.

    >>> [is_url_root(p) for p in ("", "/boxes", "/a/b-c", "//evil.example", "/a/../b", "/\\\\x")]
    [True, True, True, False, False, False]
    """
    return _URL_ROOT.fullmatch(path) is not None


class UrlRoot:
    """WSGI middleware: ``SCRIPT_NAME`` is ``root``, or the ``X-Forwarded-Prefix`` set by the
    ``trusted_prefixes``-th proxy from the right when it is a plain path; never what the
    server passed on.
    """

    def __init__(self, app: WSGIApplication, *, root: str, trusted_prefixes: int) -> None:
        if not is_url_root(root):
            raise ValueError(f"not a URL root: {root!r}")
        self.app = app
        self.root = root
        self.trusted_prefixes = trusted_prefixes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["SCRIPT_NAME"] = self._root(environ)
        return self.app(environ, start_response)

    def _root(self, environ: WSGIEnvironment) -> str:
        if not self.trusted_prefixes:
            return self.root
        values = [v.strip() for v in environ.get("HTTP_X_FORWARDED_PREFIX", "").split(",")]
        if len(values) < self.trusted_prefixes or not values[-self.trusted_prefixes]:
            return self.root  # the proxy said nothing: the configured root
        prefix = values[-self.trusted_prefixes].rstrip("/")
        return prefix if is_url_root(prefix) else self.root


def public_url() -> str:
    """The address of this site for pages that other sites copy from (no trailing slash):
    ``PUBLIC_URL``; else ``SERVER_NAME``, or the host of the current request, with its scheme
    and URL root.
    """
    configured: str | None = current_app.config["PUBLIC_URL"]
    if configured:
        return configured
    server_name: str | None = current_app.config.get("SERVER_NAME")
    if server_name:  # Flask's own setting for the host external URLs name
        return f"{request.scheme}://{server_name}{request.script_root}"
    if not request.host:  # Werkzeug found characters no host has: a path is all we can say
        return request.script_root
    return f"{request.scheme}://{request.host}{request.script_root}"


def host_is_configured() -> bool:
    """True when pages need not take the site's host from the request."""
    return bool(current_app.config["PUBLIC_URL"] or current_app.config.get("SERVER_NAME"))
