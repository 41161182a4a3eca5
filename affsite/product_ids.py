"""AliExpress product ids from whatever a site owner pastes: an id, a product URL, a share link.

Contract
--------
``resolve(text)`` never raises for any ``str``. It returns a :class:`Resolution` holding either
the **global** product id (``id``) or a plain-language ``error`` saying what is wrong, plus the
id as written (``raw_id``) and the ``form`` it came in. ``extract_all(text)`` does the same for
every product mentioned in a longer text (an article, a pasted list).

Policy (url-forms.md section 0)
-------------------------------
- Input is trimmed of Unicode whitespace (and zero-width characters); empty input is an error.
- A bare id is ASCII digits only, 6 to 19 of them, no sign, no leading zero, at most 2^63 - 1.
- Product hosts are ``aliexpress.com``, ``aliexpress.us``, ``aliexpress.ru`` and their
  subdomains, compared after parsing the authority with ``httpx.URL`` (the parser of the HTTP
  client that follows short links): lower-cased, one trailing dot removed, ASCII only, no
  ``user@`` part. Backslashes, spaces and control characters anywhere are refused, so no two
  URL parsers can disagree about the host.
- Ids of 2^51 or more are regional (aliexpress.us) ids: ``id`` is ``raw - 2^51``.
- A whole input that is percent-encoded is decoded once; a scheme-less or protocol-relative URL
  is read as https. Wrappers are unwrapped once and the inner address is checked like any other.
- A page that names two different products is ambiguous: an error.

Forms (``Resolution.form``)
---------------------------
=================  ==========================================================================
bare_id            ``1005001513148147``
item               ``/item/ID.html``, ``/item/SLUG/ID.html``, ``/item/0_ID.html``,
                   ``/s/item/ID.html`` (trailing slash or missing ``.html`` too)
i_path             ``/i/ID.html``
store_product      ``/store/product/SLUG/STOREID_PRODUCTID.html``
query_param        a page naming one product in ``productIds``/``productId``/``objectId``
share_wrapper      ``star.aliexpress.com/share/share.htm?redirectUrl=...``
affiliate_wrapper  ``s.click.aliexpress.com/deep_link.htm?dl_target_url=...``
deep_link          ``aliexpress://product/detail?productId=ID`` (also ``aliexpresshd://``)
intent             ``intent://www.aliexpress.com/item/ID.html#Intent;scheme=https;end``
short_link         ``s.click.aliexpress.com/e/...``, ``a.aliexpress.com/_...``,
                   ``click.aliexpress.com/e/...``, ``ali.click/...``: followed over the network
                   by :mod:`affsite.shortlinks`
=================  ==========================================================================

>>> resolve("https://www.aliexpress.com/item/1005001513148147.html?spm=a2g0o").id
'1005001513148147'
>>> resolve("www.aliexpress.us/item/3256801326833395.html").id
'1005001513148147'
>>> resolve("https://aliexpress.com.example.net/item/1005001513148147.html").error
'aliexpress.com.example.net is not an AliExpress site'
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import parse_qsl, unquote

import httpx

from affsite.errors import ProductIdError

__all__ = [
    "MAX_HOP_URL_LENGTH",
    "MAX_INPUT_LENGTH",
    "MAX_TEXT_LENGTH",
    "REGIONAL_OFFSET",
    "ExtractResult",
    "Follower",
    "Kind",
    "Resolution",
    "Verdict",
    "classify",
    "extract_all",
    "ip_literal",
    "is_aliexpress_host",
    "resolve",
]

REGIONAL_OFFSET = 2**51
"""aliexpress.us ids are the global id plus 2^51 (url-forms.md 5.2)."""

MAX_INPUT_LENGTH = 2048
"""Longest single input accepted; real product and share URLs stay well below it."""

MAX_HOP_URL_LENGTH = 8192
"""Longest redirect target the short-link follower will look at."""

MAX_TEXT_LENGTH = 1_000_000
"""``extract_all`` reads at most this many characters of a text."""

MAX_SHORT_LINKS_PER_TEXT = 50
"""``extract_all`` follows at most this many short links in one text (each costs requests)."""

NEEDS_NETWORK = "needs the network to follow the short link; run without --offline"

_MIN_DIGITS = 6
_MAX_DIGITS = 19
_INT64_MAX = 2**63 - 1
_MIN_GLOBAL_ID = 10 ** (_MIN_DIGITS - 1)

# Every character str.isspace() accepts, plus the invisible ones that ride along with pasted
# text (zero-width space/joiners, word joiner, byte-order mark).
_TRIM = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff"
)

_ASCII_DIGITS = re.compile(r"[0-9]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# RFC 3986 appendix B, the same split httpx.URL makes: scheme, authority, path, query, fragment.
_URL_PARTS = re.compile(
    r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S
)
# Characters that make URL parsers disagree (backslash) or that no pasted URL should contain.
_UNSAFE_CHARS = re.compile(r"[\s\x00-\x1f\x7f\\]")
_HOSTISH_START = re.compile(r"[^/?#\s]*\.[^/?#\s]*(?:[/?#]|$)")
_SIGNED_DIGITS = re.compile(r"[+-][0-9]+")
_SEPARATED_DIGITS = re.compile(r"[0-9]+(?:[ ,.'’_-][0-9]+)+")
_ID_DOT_HTML = re.compile(r"[0-9]+\.html?", re.I)

_ALIEXPRESS_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*aliexpress\.(?:com|us|ru)")
_COUNTRY_ALIEXPRESS_HOST = re.compile(
    r"(?:[a-z0-9-]+\.)*aliexpress\.(?:[a-z]{2}|(?:co|com)\.[a-z]{2})"
)
_IPV4_LEGACY_LITERAL = re.compile(r"[0-9a-fx.]+", re.I)
_THIRD_PARTY_SHORTENERS = frozenset(
    {
        "ali.pub", "ali.ski", "alii.pub", "bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly",
        "is.gd", "cutt.ly", "rzekl.com", "alitems.com", "epnclick.ru", "lenkmio.com",
        "wextap.com", "ad.admitad.com", "awin1.com", "aliexitem.com",
    }
)  # fmt: skip

# Path forms (matched on the lower-cased path; ids are digits, so case never matters).
_ITEM_PATH = re.compile(r"/(?:s/)?item/(?:[^/]*/)?(?:0_)?([0-9]+)(?:\.html)?/?")
_I_PATH = re.compile(r"/i/([0-9]+)(?:\.html)?/?")
_STORE_PRODUCT_PATH = re.compile(r"/store/product/[^/]*/([0-9]+)_([0-9]+)(?:\.html)?/?")
_SHORT_CODE_PATH = re.compile(r"/e/[A-Za-z0-9_-]{3,40}/?")
_A_SHORT_CODE_PATH = re.compile(r"/_[A-Za-z0-9_-]{3,40}/?")
_ALI_CLICK_PATH = re.compile(r"/[A-Za-z0-9_-]{3,40}/?")

_SEARCH_PREFIXES = ("/w/", "/wholesale", "/af/", "/premium/", "/popular/", "/glosearch/")
_STORE_PREFIXES = ("/store/", "/store?")
_CATEGORY_PREFIXES = ("/category/", "/c/")
_ORDER_PREFIXES = ("/p/order/", "/orderlist", "/order_", "/p/tracking/", "/p/trade/order")
_ORDER_HOSTS = frozenset({"trade.aliexpress.com", "track.aliexpress.com", "trade.aliexpress.ru"})
_LOGIN_PREFIXES = ("/p/ug-login-page/",)
_LOGIN_HOSTS = frozenset({"login.aliexpress.com", "login.aliexpress.ru", "passport.aliexpress.com"})
_CAMPAIGN_HOST_PREFIXES = ("campaign.", "sale.", "promotion.", "portals.", "flashdeals.")
_CAMPAIGN_PREFIXES = ("/gcp/", "/ssr/", "/wow/", "/__pc/", "/p/", "/campaign/")
_QUERY_ID_KEYS = frozenset({"productids", "productid", "objectid"})


class Kind(enum.Enum):
    """What an address turned out to be (the follower needs more than ok/error)."""

    PRODUCT = "product"
    SHORT_LINK = "short_link"  # needs the network; ``Verdict.target`` is the URL to request
    NOT_PRODUCT = "not_product"  # an AliExpress page that can never lead to one product
    OTHER_PAGE = "other_page"  # an AliExpress page without a product id; a redirect may follow
    REFUSED = "refused"  # not an id, not an AliExpress address, or unsafe


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one input: exactly one of ``id`` and ``error`` is set.

    ``id`` is the global product id (regional ids normalised); ``raw_id`` the id as written;
    ``form`` names the input form (see the module docstring), also on errors when known.
    """

    input: str
    id: str | None = None
    raw_id: str | None = None
    form: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.id is not None

    def require_id(self) -> str:
        """The product id, or :class:`ProductIdError` carrying the reason.

        :raise ProductIdError: the input does not name exactly one AliExpress product.
        """
        if self.id is None:
            raise ProductIdError(self.error or "not an AliExpress product")
        return self.id

    def to_json(self) -> dict[str, str | None]:
        return {
            "input": self.input,
            "id": self.id,
            "raw_id": self.raw_id,
            "form": self.form,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """Every product found in a text once, in order of first appearance, and what failed."""

    products: list[Resolution]
    failures: list[Resolution]

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.products if r.id is not None]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`classify` made of one address, without touching the network."""

    kind: Kind
    id: str | None = None
    raw_id: str | None = None
    form: str | None = None
    error: str | None = None
    target: str | None = None  # SHORT_LINK: the https URL to request

    def to_resolution(self, text: str) -> Resolution:
        return Resolution(text, self.id, self.raw_id, self.form, self.error)


class Follower(Protocol):
    """Turns a short link into a product id over the network (see affsite.shortlinks)."""

    def follow(self, short_url: str) -> Resolution: ...


# --------------------------------------------------------------------------------------------
# Public entry points


def resolve(text: str, *, offline: bool = False, follower: Follower | None = None) -> Resolution:
    """Resolve one input (a product id or an address) to a global product id or a reason.

    Short links need the network: with ``offline=True`` they fail with :data:`NEEDS_NETWORK`;
    otherwise ``follower`` (default: a shared :class:`affsite.shortlinks.ShortLinkFollower`
    without a cache) follows them. Never raises for a ``str`` input.
    """
    return _finish(text, classify(text), offline=offline, follower=follower)


def _finish(text: str, verdict: Verdict, *, offline: bool, follower: Follower | None) -> Resolution:
    if verdict.kind is not Kind.SHORT_LINK or verdict.target is None:
        return verdict.to_resolution(text)
    if offline:
        return Resolution(text, form="short_link", error=NEEDS_NETWORK)
    if follower is None:
        # Imported here so offline use never loads the network code.
        from affsite.shortlinks import default_follower

        follower = default_follower()
    return replace(follower.follow(verdict.target), input=text)


def classify(text: str, *, max_length: int = MAX_INPUT_LENGTH, decode: bool = True) -> Verdict:
    """Classify one input without any network access.

    ``decode`` allows one percent-decoding of an input that is encoded as a whole; the
    short-link follower turns it off for redirect targets, which are never encoded like that.
    """
    return _classify(text, depth=0, max_length=max_length, decode=decode)


# --------------------------------------------------------------------------------------------
# Classification


def _classify(text: str, *, depth: int, max_length: int, decode: bool) -> Verdict:
    text = text.strip(_TRIM)
    if not text:
        return _refuse("empty input: paste an AliExpress product address or a product id")
    if len(text) > max_length:
        return _refuse(
            f"input too long ({len(text):,} characters; an address is at most {max_length:,})"
        )
    if _ASCII_DIGITS.fullmatch(text):
        return _bare_id(text)
    if _encoded_as_a_whole(text):
        if not decode:
            # Wrapper targets arrive decoded once already (by the query parser).
            return _refuse("this address is percent-encoded more than once; paste it plainly")
        # A URL percent-encoded as a whole (copied out of another URL): decode exactly once.
        text = unquote(text).strip(_TRIM)
        if _encoded_as_a_whole(text):
            return _refuse("this address is percent-encoded more than once; paste it plainly")
    scheme_match = _SCHEME.match(text)
    if scheme_match is None or "." in scheme_match.group(1):
        # No scheme ("www.aliexpress.com/item/..." or "host:port/..."): read as https.
        numberish = _describe_numberish(text)
        if text.startswith("//"):
            text = "https:" + text
        elif numberish is None and _HOSTISH_START.match(text):
            text = "https://" + text
        else:
            return _refuse(
                numberish or "this is neither an AliExpress product address nor a product id"
            )
        scheme = "https"
    else:
        scheme = scheme_match.group(1).lower()
    unsafe = _UNSAFE_CHARS.search(text)
    if unsafe is not None:
        if unsafe.group() == "\\":
            return _refuse(
                "the address contains a backslash (\\), which web browsers and servers read "
                "differently; refused"
            )
        return _refuse("the address contains spaces or control characters")
    if scheme in ("http", "https"):
        return _classify_web(text, depth=depth)
    if scheme in ("aliexpress", "aliexpresshd"):
        return _classify_app_link(text)
    if scheme == "intent":
        return _classify_intent(text, depth=depth)
    return _refuse(
        f"{scheme}: addresses are not AliExpress product pages; paste an https:// address"
    )


def _classify_web(url: str, *, depth: int) -> Verdict:
    parts = _URL_PARTS.fullmatch(url)
    if parts is None:
        return _refuse("this is not a complete web address (expected https://host/...)")
    scheme, authority, path, query, _fragment = parts.groups()
    host = _checked_host(scheme.lower(), authority)
    if isinstance(host, _HostProblem):
        return _refuse(host.reason)
    query = query or ""
    path = path.lower()
    if host == "ali.click":
        if _ALI_CLICK_PATH.fullmatch(path):
            return _short_link(host, parts)
        return _refuse("this ali.click address is not a short link to a product")
    if not _ALIEXPRESS_HOST.fullmatch(host):
        return _refuse(_foreign_host_reason(host))
    if host in ("s.click.aliexpress.com", "click.aliexpress.com"):
        if path == "/deep_link.htm":
            return _unwrap(query, "dl_target_url", "affiliate_wrapper", depth=depth)
        if _SHORT_CODE_PATH.fullmatch(path):
            return _short_link(host, parts)
        return _not_product(f"this {host} address is not a link to a product")
    if host == "a.aliexpress.com":
        if _A_SHORT_CODE_PATH.fullmatch(path):
            return _short_link(host, parts)
        return _not_product("this a.aliexpress.com address is not a link to a product")
    if host == "star.aliexpress.com" and path == "/share/share.htm":
        return _unwrap(query, "redirectUrl", "share_wrapper", depth=depth)
    return _classify_page(host, path, query)


def _classify_page(host: str, path: str, query: str) -> Verdict:
    """An ordinary AliExpress page: a product path, a page naming one product, or a refusal."""
    match = _ITEM_PATH.fullmatch(path)
    if match is not None:
        found = _id_in_address(match.group(1), "item")
        if found.kind is Kind.PRODUCT and "productid=" in query.lower():
            # Old desktop-to-mobile redirects repeat the id as productId; a different one
            # would make the address name two products.
            other = _query_ids(query, keys=frozenset({"productid"}))
            if isinstance(other, _Ids) and any(i != found.id for i in other.ids):
                return _ambiguous()
        return found
    match = _I_PATH.fullmatch(path)
    if match is not None:
        return _id_in_address(match.group(1), "i_path")
    match = _STORE_PRODUCT_PATH.fullmatch(path)
    if match is not None:
        return _id_in_address(match.group(2), "store_product")
    if path.startswith(("/item/", "/i/", "/s/item/", "/store/product/")):
        return _refuse("this product address has no product id in it", kind=Kind.NOT_PRODUCT)
    refusal = _page_refusal(host, path)
    if refusal is not None:
        return refusal
    if query and any(key in query.lower() for key in ("productid", "objectid")):
        ids = _query_ids(query, keys=_QUERY_ID_KEYS)
        if isinstance(ids, _Ids):
            if len(ids.ids) > 1:
                return _ambiguous()
            if ids.ids:
                return Verdict(Kind.PRODUCT, ids.ids[0], ids.raw[0], "query_param")
        else:
            return ids
    if path in ("", "/", "/index.html", "/index.htm"):
        return _other_page("this is the AliExpress home page, not a product")
    if host.startswith(_CAMPAIGN_HOST_PREFIXES) or path.startswith(_CAMPAIGN_PREFIXES):
        return _other_page("this is a campaign or promotion page, not a product")
    return _other_page(
        "this AliExpress page is not a product page; open the product and copy its address"
    )


def _page_refusal(host: str, path: str) -> Verdict | None:
    if path.startswith(_SEARCH_PREFIXES):
        return _not_product("this is a search results page, not a product")
    if path.startswith(_STORE_PREFIXES) or path == "/store":
        return _not_product("this is a store page, not a product")
    if path.startswith(_CATEGORY_PREFIXES):
        return _not_product("this is a category page, not a product")
    if host in _ORDER_HOSTS or path.startswith(_ORDER_PREFIXES):
        return _not_product("this is an order page, not a product")
    if host in _LOGIN_HOSTS or path.startswith(_LOGIN_PREFIXES):
        return _other_page(
            "this is the AliExpress sign-in page, not a product; paste the product's address"
        )
    return None


def _classify_app_link(url: str) -> Verdict:
    parts = _URL_PARTS.fullmatch(url)
    if parts is not None:
        _scheme, authority, path, query, _fragment = parts.groups()
        if authority.lower() == "product" and path.lower() in ("/detail", "/detail/"):
            ids = _query_ids(query or "", keys=frozenset({"productid"}))
            if not isinstance(ids, _Ids):
                return ids
            if len(ids.ids) == 1:
                return Verdict(Kind.PRODUCT, ids.ids[0], ids.raw[0], "deep_link")
            if len(ids.ids) > 1:
                return _ambiguous()
    return _refuse("this AliExpress app link does not open a product page")


def _classify_intent(url: str, *, depth: int) -> Verdict:
    body = url[len("intent:") :]
    marker = body.find("#Intent;")
    if not body.startswith("//") or marker < 0:
        return _refuse("this Android intent link does not contain a web address")
    settings: dict[str, str] = {}
    for item in body[marker + len("#Intent;") :].split(";"):
        if item == "end":
            break
        key, _sep, value = item.partition("=")
        settings.setdefault(key, value)
    inner_scheme = settings.get("scheme", "").lower()
    if inner_scheme not in ("http", "https"):
        return _refuse("this Android intent link does not open a web address")
    return _nested(inner_scheme + ":" + body[:marker], "intent", depth=depth)


def _unwrap(query: str, key: str, form: str, *, depth: int) -> Verdict:
    wanted = key.lower()
    pairs = parse_qsl(query, keep_blank_values=True)
    targets = list(dict.fromkeys(v for k, v in pairs if v and k.lower() == wanted))
    if not targets:
        return _refuse(f"this link has no {key} target in it", kind=Kind.OTHER_PAGE)
    if len(targets) > 1:
        return _refuse(f"this link names two different {key} targets")
    return _nested(targets[0], form, depth=depth)


def _nested(inner: str, form: str, *, depth: int) -> Verdict:
    if depth > 0:
        return _refuse("this wrapper link is wrapped in another one; paste the inner address")
    # parse_qsl already decoded the target once: never decode it a second time.
    verdict = _classify(inner, depth=depth + 1, max_length=MAX_HOP_URL_LENGTH, decode=False)
    if verdict.kind is Kind.PRODUCT:
        return replace(verdict, form=form)
    if verdict.kind is Kind.SHORT_LINK:
        return verdict
    return replace(verdict, form=form, error=f"the address inside this link: {verdict.error}")


# --------------------------------------------------------------------------------------------
# Ids


@dataclass(frozen=True, slots=True)
class _Ids:
    ids: list[str]  # distinct global ids, in order
    raw: list[str]  # the first raw spelling of each


def _id_problem(raw: str) -> str | None:
    """Why ``raw`` (ASCII digits) is not a product id, or None when it is one."""
    if len(raw) < _MIN_DIGITS:
        return f"it has {len(raw)} digits; product ids have {_MIN_DIGITS} to {_MAX_DIGITS}"
    if len(raw) > _MAX_DIGITS:
        return f"it has {len(raw)} digits; product ids have {_MIN_DIGITS} to {_MAX_DIGITS}"
    if raw[0] == "0":
        return "product ids do not start with 0"
    value = int(raw)
    if value > _INT64_MAX:
        return "it is too large to be a product id"
    if value >= REGIONAL_OFFSET and value - REGIONAL_OFFSET < _MIN_GLOBAL_ID:
        return "it is a regional (aliexpress.us) id that stands for no product"
    return None


def _global_id(raw: str) -> str:
    value = int(raw)
    return str(value - REGIONAL_OFFSET) if value >= REGIONAL_OFFSET else raw


def _bare_id(raw: str) -> Verdict:
    problem = _id_problem(raw)
    if problem is not None:
        return _refuse(f"{_shorten(raw)} is not a product id: {problem}", form="bare_id")
    return Verdict(Kind.PRODUCT, _global_id(raw), raw, "bare_id")


def _id_in_address(raw: str, form: str) -> Verdict:
    problem = _id_problem(raw)
    if problem is not None:
        return _refuse(
            f"the number {_shorten(raw)} in this address is not a product id: {problem}",
            form=form,
            kind=Kind.NOT_PRODUCT,
        )
    return Verdict(Kind.PRODUCT, _global_id(raw), raw, form)


def _query_ids(query: str, *, keys: frozenset[str]) -> _Ids | Verdict:
    """Product ids named by ``keys`` in a query string (``ID:SKU`` and ``ID,ID`` lists too)."""
    ids: list[str] = []
    raw_ids: list[str] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() not in keys:
            continue
        for entry in value.split(","):
            raw = entry.partition(":")[0].strip()
            if not raw:
                continue
            if not _ASCII_DIGITS.fullmatch(raw) or _id_problem(raw) is not None:
                return _refuse(
                    f"the {key} value {_shorten(raw)!r} in this address is not a product id",
                    form="query_param",
                    kind=Kind.NOT_PRODUCT,
                )
            global_id = _global_id(raw)
            if global_id not in ids:
                ids.append(global_id)
                raw_ids.append(raw)
    return _Ids(ids, raw_ids)


# --------------------------------------------------------------------------------------------
# Hosts


@dataclass(frozen=True, slots=True)
class _HostProblem:
    reason: str


@functools.lru_cache(maxsize=4096)
def _checked_host(scheme: str, authority: str) -> str | _HostProblem:
    """The host of ``scheme://authority`` as httpx (which makes the requests) reads it.

    Lower-cased, one trailing dot removed. Cached: real inputs use a handful of hosts.
    """
    if not authority:
        return _HostProblem("the address has no host name")
    if "@" in authority:
        return _HostProblem(
            "the address has a user name or password before the host (user@host), "
            "a common disguise; refused"
        )
    if not authority.isascii():
        return _HostProblem(
            "the host name contains non-ASCII letters, a common look-alike trick; refused"
        )
    try:
        parsed = httpx.URL(f"{scheme}://{authority}/")
    except httpx.InvalidURL:
        # httpx rejects some IP spellings (0177.0.0.1) that resolvers accept: name them.
        host_part = authority.rpartition(":")[0] if authority.count(":") == 1 else authority
        if ip_literal(host_part) is not None:
            return _HostProblem(_foreign_host_reason(host_part))
        return _HostProblem(f"{_shorten(authority)} is not a valid host name")
    host = parsed.host
    if parsed.userinfo or not host:
        return _HostProblem("the address has no usable host name")
    if host.endswith("."):
        host = host[:-1]
    if not host or host.endswith(".") or len(host) > 253:
        return _HostProblem(f"{_shorten(authority)} is not a valid host name")
    return host


def is_aliexpress_host(host: str) -> bool:
    """Whether a parsed, lower-cased host is one the resolver trusts (short-link hosts too)."""
    return host == "ali.click" or _ALIEXPRESS_HOST.fullmatch(host) is not None


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name spells as an IP literal, in any form a resolver accepts.

    Covers dotted quads, IPv6, and the legacy forms ``127.1``, ``0x7f.1``, ``2130706433``,
    ``0177.0.0.1`` that ``getaddrinfo`` turns into 127.0.0.1.

    >>> str(ip_literal("0x7f.1"))
    '127.0.0.1'
    """
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        pass
    if _IPV4_LEGACY_LITERAL.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _foreign_host_reason(host: str) -> str:
    shown = _shorten(host)
    literal = ip_literal(host)
    if literal is not None:
        if not literal.is_global:
            return f"{shown} is a private or local network address, not an AliExpress site"
        return f"{shown} is an IP address, not an AliExpress site"
    if _COUNTRY_ALIEXPRESS_HOST.fullmatch(host):
        return (
            f"{shown} is not an AliExpress product site: only aliexpress.com, aliexpress.us "
            "and aliexpress.ru addresses are accepted"
        )
    if host in _THIRD_PARTY_SHORTENERS:
        return (
            f"{shown} is a third-party short link, not an AliExpress site; open it in a "
            "browser and paste the AliExpress address it leads to"
        )
    return f"{shown} is not an AliExpress site"


# --------------------------------------------------------------------------------------------
# Small helpers


def _short_link(host: str, parts: re.Match[str]) -> Verdict:
    # Always requested over https, whatever the pasted scheme: the hosts all serve it.
    _scheme, _authority, path, query, _fragment = parts.groups()
    target = f"https://{host}{path}" + (f"?{query}" if query else "")
    return Verdict(Kind.SHORT_LINK, form="short_link", target=target)


def _refuse(reason: str, *, form: str | None = None, kind: Kind = Kind.REFUSED) -> Verdict:
    return Verdict(kind, form=form, error=reason)


def _not_product(reason: str) -> Verdict:
    return Verdict(Kind.NOT_PRODUCT, error=reason)


def _other_page(reason: str) -> Verdict:
    return Verdict(Kind.OTHER_PAGE, error=reason)


def _ambiguous() -> Verdict:
    return _refuse(
        "this address names two different products; paste one product at a time",
        kind=Kind.NOT_PRODUCT,
    )


def _encoded_as_a_whole(text: str) -> bool:
    """An address with no ``/`` but an encoded ``/`` or ``:`` (once or twice) in it."""
    if "/" in text or "%" not in text:
        return False
    lowered = text.lower()
    return any(marker in lowered for marker in ("%2f", "%3a", "%252f", "%253a"))


def _describe_numberish(text: str) -> str | None:
    """Why a number-like input is not a product id; None when it does not look like a number."""
    if all(ch.isdecimal() for ch in text):
        return "a product id is written with the digits 0-9 only"
    if _SIGNED_DIGITS.fullmatch(text):
        return "a product id has no sign (+ or -)"
    if _SEPARATED_DIGITS.fullmatch(text):
        return "a product id is written without spaces or separators"
    if _ID_DOT_HTML.fullmatch(text):
        return "this is only the end of a product address; paste the whole address or the number"
    return None


def _shorten(text: str, limit: int = 80) -> str:
    """A piece of the input fit to quote back: printable, and not too long."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# Free text

# URLs with a scheme we understand, protocol-relative URLs with a dotted host, and scheme-less
# addresses whose host names AliExpress (look-alikes included, so they are reported).
_URL_CHARS = r"[^\s<>\"'`\\\[\]{}|^]"
_TEXT_CANDIDATE = re.compile(
    rf"""
      (?P<url>
          \b(?:https?|intent|aliexpress(?:hd)?)://{_URL_CHARS}+
        | (?<![\w:/.])//[A-Za-z0-9-]+\.[A-Za-z0-9.-]+{_URL_CHARS}*
        | (?<![\w@.%/-])(?:[A-Za-z0-9-]+\.)*(?:aliexpress(?:\.[A-Za-z0-9-]+)+|ali\.click)
          [/?#]{_URL_CHARS}*
      )
    | (?<![^\s(\[{{<>"'“‘«*|])(?P<id>[1-9][0-9]{{8,18}})(?![\w/%\-=&?#@+]|[.,:;]\w)
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A line holding nothing but a number (optionally after a list marker) is meant as an id, so it
# gets the full bare-id rules and errors, whatever its length.
_ID_LINE = re.compile(r"[ \t]*(?:[-*•+][ \t]+|[0-9]{1,3}[.)][ \t]+)?([0-9]+)[ \t]*")
_TRAILING_PUNCTUATION = ".,;:!?*_~'\""
_HTML_AMP = re.compile(r"&(?:amp|#38|#x26);", re.IGNORECASE)


def extract_all(
    text: str, *, offline: bool = False, follower: Follower | None = None
) -> ExtractResult:
    """Every AliExpress product referenced in ``text``, each once, in order of first appearance.

    Candidates are URLs (with a scheme, protocol-relative, or scheme-less on an AliExpress-like
    host), lines that hold only a number (optionally after a list marker), and standalone
    numbers in prose. A number in prose counts only when it has 9 to 19 digits without a leading
    zero, and stands alone: after a space, a line start, an opening bracket or quote, ``>``,
    ``*`` or ``|``; and not followed by a letter, digit, ``/``, ``%``, ``-``, ``=``, ``&``,
    ``?``, ``#``, ``@``, ``+``, or a ``.``/``,``/``:``/``;`` that runs on into more characters.
    That keeps out years, prices (``$1,299.99``), times, decimals, numbers glued to words or
    labels (``#8123…``, ``sku_id=…``) and numbers inside addresses that are not AliExpress ones;
    no real product id has fewer than 9 digits. Plain 9+ digit numbers in prose (a phone number
    without separators, a timestamp) still count: paste such text as a list of addresses
    instead. Numbers in prose that are not product ids are skipped silently; every other
    candidate that fails is reported in ``failures`` with its reason. Never raises for a
    ``str`` input.
    """
    products: list[Resolution] = []
    failures: list[Resolution] = []
    seen_ids: set[str] = set()
    seen_inputs: set[str] = set()
    short_links_followed = 0
    if len(text) > MAX_TEXT_LENGTH:
        failures.append(
            Resolution(
                text[:80],
                error=f"text too long: only the first {MAX_TEXT_LENGTH:,} characters were read",
            )
        )
        text = text[:MAX_TEXT_LENGTH]
    for candidate in _candidates(text):
        if candidate in seen_inputs:
            continue
        seen_inputs.add(candidate)
        verdict = classify(candidate)
        if verdict.kind is Kind.SHORT_LINK and not offline:
            if short_links_followed >= MAX_SHORT_LINKS_PER_TEXT:
                failures.append(
                    Resolution(
                        candidate,
                        form="short_link",
                        error=f"more than {MAX_SHORT_LINKS_PER_TEXT} short links in one text; "
                        "this one was not followed",
                    )
                )
                continue
            short_links_followed += 1
        result = _finish(candidate, verdict, offline=offline, follower=follower)
        if result.id is None:
            failures.append(result)
        elif result.id not in seen_ids:
            seen_ids.add(result.id)
            products.append(result)
    return ExtractResult(products, failures)


def _candidates(text: str) -> Iterator[str]:
    for line in text.splitlines():
        whole = _ID_LINE.fullmatch(line)
        if whole is not None:
            yield whole.group(1)
            continue
        for match in _TEXT_CANDIDATE.finditer(line):
            url = match.group("url")
            if url is None:
                yield match.group("id")
                continue
            url = _trim_url_end(_HTML_AMP.sub("&", url))
            if url:
                yield url


def _trim_url_end(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets glued to the end of a URL."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url
