"""Fixed facts of the AliExpress affiliate gateway: its address, method names, how much one
call may carry, and what a usable gateway address looks like.

Everything above this package (the settings above all) takes these from here, so the client
and the settings page can never disagree about them.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_API_URL: Final = "https://api-sg.aliexpress.com/sync"

PRODUCT_DETAIL: Final = "aliexpress.affiliate.productdetail.get"
PRODUCT_QUERY: Final = "aliexpress.affiliate.product.query"
HOT_PRODUCT_QUERY: Final = "aliexpress.affiliate.hotproduct.query"
LINK_GENERATE: Final = "aliexpress.affiliate.link.generate"
CATEGORY_GET: Final = "aliexpress.affiliate.category.get"

DEFAULT_BATCH_SIZE: Final = 20
MAX_BATCH_SIZE: Final = 50
"""Product ids per ``productdetail.get`` call."""
MAX_LINKS_PER_CALL: Final = 50
MAX_PAGE_SIZE: Final = 50
DELIVERY_DAYS: Final = (3, 5, 7, 10)

# scheme://host[:port][/path], nothing else: the address also ends up in the embed pages'
# Content-Security-Policy, where a space, ";", "," or a quote would start a new directive
# or source. Hosts are DNS names, IPv4 addresses or bracketed IPv6 addresses.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_API_URL = re.compile(
    rf"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9._~%-]*)*)"
)

_ONLY_AN_ORIGIN_AND_PATH = (
    'must be only scheme, host, port and path (no spaces, ";", quotes, "?" or "#")'
)


def api_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the gateway address, or None when it can.

    >>> api_url_problem(DEFAULT_API_URL), api_url_problem("http://127.0.0.1:8765/sync")
    (None, None)
    >>> api_url_problem("https://api-sg.aliexpress.com/sync; script-src *")
    'must be only scheme, host, port and path (no spaces, ";", quotes, "?" or "#")'
    >>> api_url_problem("ftp://example.com/sync")
    'is not an http(s) address'
    >>> api_url_problem("https://user:pw@example.com/sync")
    'must not contain a user name or password'
    >>> api_url_problem("http://127.0.0.1:70000/sync")
    'has a port outside 1-65535'
    """
    if "://" not in url or url.split("://", 1)[0].lower() not in ("http", "https"):
        return "is not an http(s) address"
    if "@" in url.split("://", 1)[1].split("/", 1)[0]:
        return "must not contain a user name or password"
    matched = _API_URL.fullmatch(url)
    if matched is None:
        return _ONLY_AN_ORIGIN_AND_PATH
    port = matched.group("port")
    if port is not None and not 0 < int(port) < 65_536:
        return "has a port outside 1-65535"
    return None
