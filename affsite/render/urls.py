"""Which URLs from product data may reach an ``href`` or a ``src`` in a drawn box.

Product data is untrusted (a hostile or broken gateway can send any link). The models keep
only what ``affsite.aliexpress.links`` allows; drawing checks again with the same rules,
whatever the layers below did or whatever was cached before they did:

* links: ``https`` on AliExpress's own hosts (``aliexpress.com``, ``.us``, ``.ru`` and their
  subdomains, ``s.click.aliexpress.com`` affiliate links among them);
* images: ``https`` on AliExpress's image hosts (and its own hosts);
* in demo mode only, the sandbox's pictures: ``/sandbox-media/<name>`` on this site (the
  in-process sandbox), or files on the sandbox server's own origin (``affsite sandbox`` with
  the Gateway URL pointing at it).

Anything else (another host, ``http``, a path on this site, userinfo, a backslash, spaces,
``javascript:``) is dropped. ``origin()`` rebuilds an origin from its parsed parts for
headers such as the embed CSP.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from affsite.aliexpress import links

SANDBOX_MEDIA_PATH = "/sandbox-media/"
# Sources for a CSP img-src that admit every image ``image_url`` keeps outside demo mode.
IMAGE_SOURCES = " ".join(
    f"https://*.{domain}" for domain in (*links.IMAGE_DOMAINS, *links.LINK_DOMAINS)
)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)+")


def link_url(url: object) -> str | None:
    """``url`` when it may be a box's link (``https`` on AliExpress's hosts), else None.

    >>> link_url("https://s.click.aliexpress.com/e/_DDVNpw0U")
    'https://s.click.aliexpress.com/e/_DDVNpw0U'
    >>> [link_url(u) for u in ("https://evil.example/phish", "//evil.example/x", "/admin/logout")]
    [None, None, None]
    """
    return links.link_url(url)


def image_url(url: object, demo_media: str | None = None) -> str | None:
    """``url`` when it may be a box's image, else None.

    ``demo_media`` says where demo pictures come from (None outside demo mode):
    ``SANDBOX_MEDIA_PATH`` for the in-process sandbox, or the sandbox server's origin.

    >>> image_url("https://ae01.alicdn.com/kf/a.jpg")
    'https://ae01.alicdn.com/kf/a.jpg'
    >>> image_url("/sandbox-media/1-0.svg"), image_url("/sandbox-media/1-0.svg", "/sandbox-media/")
    (None, '/sandbox-media/1-0.svg')
    >>> image_url("https://evil.example/a.jpg"), image_url("/admin/logout", "/sandbox-media/")
    (None, None)
    """
    if demo_media == SANDBOX_MEDIA_PATH:
        return links.image_url(url, media_base_url=SANDBOX_MEDIA_PATH)
    if demo_media is not None and isinstance(url, str) and url.startswith(demo_media):
        rest = url[len(demo_media) :]
        return url if _PATH.fullmatch(rest) else None
    return links.image_url(url)


def origin(url: object) -> str | None:
    """``scheme://host[:port]`` rebuilt from the parsed parts of an http(s) URL, or None when
    anything in it is odd (userinfo, a bad port, characters a host cannot have).

    Headers such as a CSP are built from this, never from the text as typed.

    >>> origin("http://127.0.0.1:8765/sync"), origin("HTTPS://Api.Example.com/x?q")
    ('http://127.0.0.1:8765', 'https://api.example.com')
    >>> origin("https://x.example; script-src *"), origin("https://a@b.example"), origin("ftp://x")
    (None, None, None)
    """
    if not isinstance(url, str) or not url.isascii():
        return None
    if "\\" in url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or "@" in parts.netloc:
        return None
    if not (_HOST_NAME.fullmatch(host) or _IPV4.fullmatch(host) or _ipv6(host)):
        return None
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{shown}"
    return f"{scheme}://{shown}:{port}"


def _ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def product_page_url(product_id: object) -> str | None:
    """The product's own page on AliExpress, for a box whose links were all dropped (no
    commission, but the visitor still reaches the product); None for an id that is not one.

    >>> product_page_url("1005004757833857"), product_page_url("1/../x")
    ('https://www.aliexpress.com/item/1005004757833857.html', None)
    """
    text = str(product_id)
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        return None
    return f"https://www.aliexpress.com/item/{text}.html"
