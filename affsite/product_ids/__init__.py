"""AliExpress product ids from whatever a site owner pastes: an id, a product URL, a share link.

``resolve(text)`` never raises for any ``str``: it returns a :class:`Resolution` holding either
the global product id or a plain-language error. ``extract_all(text)`` does the same for every
product in a longer text, in time linear in its length.

Modules, each depending only on those above it:

- :mod:`~affsite.product_ids.verdicts`: the result types and the :class:`Follower` seam;
- :mod:`~affsite.product_ids.hosts`: which hosts and network addresses are trusted;
- :mod:`~affsite.product_ids.ids`: which numbers are product ids, and regional ids;
- :mod:`~affsite.product_ids.classify`: one input, offline (the policy and the forms);
- :mod:`~affsite.product_ids.html_redirects` and :mod:`~affsite.product_ids.shortlinks`:
  following short links over the network without ever being led inward;
- :mod:`~affsite.product_ids.resolve`: classify, then follow a short link when allowed;
- :mod:`~affsite.product_ids.extract`: every product in a text.
"""

from affsite.product_ids.classify import MAX_HOP_URL_LENGTH, MAX_INPUT_LENGTH, classify
from affsite.product_ids.extract import MAX_SHORT_LINKS_PER_TEXT, MAX_TEXT_LENGTH, extract_all
from affsite.product_ids.hosts import (
    HostResolver,
    ip_literal,
    is_aliexpress_host,
    is_public_address,
    system_resolve_host,
)
from affsite.product_ids.ids import REGIONAL_OFFSET
from affsite.product_ids.resolve import NEEDS_NETWORK, resolve
from affsite.product_ids.shortlinks import (
    FAILURE_TTL,
    SUCCESS_TTL,
    MemoryCache,
    ShortLinkCache,
    ShortLinkFollower,
    default_follower,
)
from affsite.product_ids.verdicts import ExtractResult, Follower, Form, Kind, Resolution, Verdict

__all__ = [
    "FAILURE_TTL",
    "MAX_HOP_URL_LENGTH",
    "MAX_INPUT_LENGTH",
    "MAX_SHORT_LINKS_PER_TEXT",
    "MAX_TEXT_LENGTH",
    "NEEDS_NETWORK",
    "REGIONAL_OFFSET",
    "SUCCESS_TTL",
    "ExtractResult",
    "Follower",
    "Form",
    "HostResolver",
    "Kind",
    "MemoryCache",
    "Resolution",
    "ShortLinkCache",
    "ShortLinkFollower",
    "Verdict",
    "classify",
    "default_follower",
    "extract_all",
    "ip_literal",
    "is_aliexpress_host",
    "is_public_address",
    "resolve",
    "system_resolve_host",
]
