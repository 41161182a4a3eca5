"""Which URLs from the gateway may reach an ``href``, a ``src`` or the JSON API.

Everything the gateway sends is untrusted, and a URL it sends becomes a button or an image on
the site owner's pages. Only ``https`` URLs on AliExpress's own hosts are kept:

* links (product pages, affiliate links, shops): ``aliexpress.com``, ``aliexpress.us``,
  ``aliexpress.ru`` and their subdomains (``s.click.aliexpress.com`` among them);
* images and videos: ``*.alicdn.com`` and ``*.aliexpress-media.com`` (and the link hosts);
* in demo mode only, images under the sandbox's media address, passed in explicitly as
  ``media_base_url`` by whoever configured the client for the sandbox.

Protocol-relative ``//host/path`` (the gateway sends those for images) is read as ``https``.
Anything else is dropped (None). Checks are made on characters first, so that this module and
a browser cannot read the same text as two different hosts: backslashes (browsers read them
as ``/``), ``@`` in the host part (user info), control characters, spaces, quotes and
non-ASCII text are refused outright; the URL that comes out is rebuilt from its parsed parts.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit

LINK_DOMAINS: Final = ("aliexpress.com", "aliexpress.us", "aliexpress.ru")
IMAGE_DOMAINS: Final = ("alicdn.com", "aliexpress-media.com")
MAX_URL_LENGTH: Final = 2048

# RFC 3986 characters plus "%": no space, quote, "<", ">", "\\", "^", "`", "{", "|", "}".
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_PORT = re.compile(rf"({_LABEL}(?:\.{_LABEL})*)(?::443)?")
_MEDIA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


def _https_on(value: Any, domains: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_LENGTH or not _URL_CHARS.fullmatch(url):
        return None
    if url.startswith("//"):
        url = "https:" + url
    if url[:8].lower() != "https://":
        return None
    parts = urlsplit(url)
    matched = _HOST_PORT.fullmatch(parts.netloc.lower())
    if matched is None:  # user info, a port other than 443, brackets, empty or odd host
        return None
    host = matched.group(1)
    if not any(host == domain or host.endswith("." + domain) for domain in domains):
        return None
    rebuilt = f"https://{host}{parts.path}"
    if parts.query:
        rebuilt += "?" + parts.query
    if parts.fragment:
        rebuilt += "#" + parts.fragment
    return rebuilt


def link_url(value: Any) -> str | None:
    """An ``https`` URL on AliExpress's own hosts, or None.

    >>> link_url("https://s.click.aliexpress.com/e/_DkTq9Ab")
    'https://s.click.aliexpress.com/e/_DkTq9Ab'
    >>> link_url("HTTPS://WWW.AliExpress.com/item/1.html"), link_url("//aliexpress.ru/item/1.html")
    ('https://www.aliexpress.com/item/1.html', 'https://aliexpress.ru/item/1.html')
    >>> [link_url(u) for u in ("https://evil.example/phish", "//evil.example/x", "/admin/logout",
    ...     "javascript:alert(1)", "http://www.aliexpress.com/", "https://aliexpress.com.evil.com/")]
    [None, None, None, None, None, None]
    >>> [link_url(u) for u in ("https://evil.com\\\\@a.aliexpress.com/",
    ...     "https://a.aliexpress.com@evil.com/", "https://x@a.aliexpress.com/",
    ...     "https://127.0.0.1/", "https://[::1]/", "https://a.aliexpress.com:8443/",
    ...     "https://a.aliexpress.com./", "https://a.aliexpress.com/\\tx")]
    [None, None, None, None, None, None, None, None]
    """
    return _https_on(value, LINK_DOMAINS)


def image_url(value: Any, *, media_base_url: str | None = None) -> str | None:
    """An ``https`` URL on AliExpress's image (or own) hosts, or a file right under
    ``media_base_url`` when one is given; otherwise None.

    >>> image_url("//ae01.alicdn.com/kf/a.jpg")
    'https://ae01.alicdn.com/kf/a.jpg'
    >>> image_url("https://ae-pic-a1.aliexpress-media.com/kf/S1.jpg")
    'https://ae-pic-a1.aliexpress-media.com/kf/S1.jpg'
    >>> [image_url(u) for u in ("/admin/logout", "https://evil.example/a.jpg",
    ...     "http://ae01.alicdn.com/kf/a.jpg", "/sandbox-media/1-0.svg")]
    [None, None, None, None]
    >>> image_url("/sandbox-media/1-0.svg", media_base_url="/sandbox-media/")
    '/sandbox-media/1-0.svg'
    >>> [image_url(u, media_base_url="/sandbox-media/") for u in ("/sandbox-media/../admin",
    ...     "/sandbox-media/a/b.svg", "/sandbox-media/x.svg?y", "/admin/logout")]
    [None, None, None, None]
    """
    if media_base_url and isinstance(value, str) and value.startswith(media_base_url):
        name = value[len(media_base_url) :]
        return value if _MEDIA_NAME.fullmatch(name) else None
    return _https_on(value, IMAGE_DOMAINS + LINK_DOMAINS)


def media_base_problem(base: str) -> str | None:
    """Why ``base`` cannot be a sandbox media address, or None when it can: a site-relative
    folder (``/sandbox-media/``) or an ``http(s)`` folder URL, ending in ``/``.

    >>> media_base_problem("/sandbox-media/"), media_base_problem("http://127.0.0.1:8765/media/")
    (None, None)
    >>> media_base_problem("//evil.example/")
    'must be a site-relative or http(s) folder ending in "/"'
    >>> media_base_problem("/media")
    'must be a site-relative or http(s) folder ending in "/"'
    """
    problem = 'must be a site-relative or http(s) folder ending in "/"'
    if not base.endswith("/") or not _URL_CHARS.fullmatch(base) or "@" in base:
        return problem
    if base.startswith("/") and not base.startswith("//"):
        return None
    parts = urlsplit(base)
    if parts.scheme in ("http", "https") and parts.hostname and not parts.query:
        return None
    return problem
