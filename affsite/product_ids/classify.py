"""Classify one pasted input, offline: a product id, a short link to follow, or a reason.

Policy (url-forms.md section 0)
-------------------------------
- Input is trimmed of Unicode whitespace (and zero-width characters); empty input is an error.
- A bare id is ASCII digits only, 6 to 19 of them, no sign, no leading zero, at most 2^63 - 1.
- Product hosts are ``aliexpress.com``, ``aliexpress.us``, ``aliexpress.ru`` and their
  subdomains (:mod:`affsite.product_ids.hosts`). Backslashes, spaces and control characters
  anywhere are refused, so no two URL parsers can disagree about the host.
- Ids of 2^51 or more are regional (aliexpress.us) ids: ``id`` is ``raw - 2^51``.
- A whole input that is percent-encoded is decoded once; a scheme-less or protocol-relative URL
  is read as https. Wrappers are unwrapped once and the inner address is checked like any other.
- A page that names two different products is ambiguous: an error.

Forms (:class:`~affsite.product_ids.verdicts.Form`)
---------------------------------------------------
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
                   by :mod:`affsite.product_ids.shortlinks`
=================  ==========================================================================

Every pattern here runs in time linear in the input (no nested or ambiguous repetition).

>>> classify("https://www.aliexpress.com/item/1005001513148147.html?spm=a2g0o").id
'1005001513148147'
>>> classify("www.aliexpress.us/item/3256801326833395.html").id
'1005001513148147'
>>> classify("https://aliexpress.com.example.net/item/1005001513148147.html").error
'aliexpress.com.example.net is not an AliExpress site'
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qsl, unquote

from affsite.product_ids.hosts import (
    HostProblem,
    checked_host,
    foreign_host_reason,
    is_aliexpress_host,
)
from affsite.product_ids.ids import (
    ASCII_DIGITS,
    QueryIds,
    bare_id,
    id_in_address,
    query_ids,
    refuse,
)
from affsite.product_ids.verdicts import Form, Kind, Verdict

__all__ = ["MAX_HOP_URL_LENGTH", "MAX_INPUT_LENGTH", "TRIM", "classify"]

MAX_INPUT_LENGTH = 2048
"""Longest single input accepted; real product and share URLs stay well below it."""

MAX_HOP_URL_LENGTH = 8192
"""Longest redirect target (or wrapped address) the resolver will look at."""

# Every character str.isspace() accepts, plus the invisible ones that ride along with pasted
# text (zero-width space/joiners, word joiner, byte-order mark).
TRIM = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff"
)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*+):")
# RFC 3986 appendix B, the same split httpx.URL makes: scheme, authority, path, query, fragment.
_URL_PARTS = re.compile(
    r"([A-Za-z][A-Za-z0-9+.-]*+)://([^/?#]*+)([^?#]*+)(?:\?([^#]*+))?(?:#(.*))?", re.S
)
# Characters that make URL parsers disagree (backslash) or that no pasted URL should contain.
_UNSAFE_CHARS = re.compile(r"[\s\x00-\x1f\x7f\\]")
# A dotted first segment ending at a path, query or fragment (or the end): "host.tld/...".
_HOSTISH_START = re.compile(r"(?=[^/?#\s.]*+\.)[^/?#\s]*+(?:[/?#]|$)")
_SIGNED_DIGITS = re.compile(r"[+-][0-9]++")
_SEPARATED_DIGITS = re.compile(r"[0-9]++(?:[ ,.'’_-][0-9]++)++")
_ID_DOT_HTML = re.compile(r"[0-9]++\.html?", re.I)

# Path forms (matched on the lower-cased path; ids are digits, so case never matters).
_ITEM_PATH = re.compile(r"/(?:s/)?item/(?:[^/]*+/)?(?:0_)?([0-9]++)(?:\.html)?/?")
_I_PATH = re.compile(r"/i/([0-9]++)(?:\.html)?/?")
_STORE_PRODUCT_PATH = re.compile(r"/store/product/[^/]*+/([0-9]++)_([0-9]++)(?:\.html)?/?")
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


def classify(text: str, *, max_length: int = MAX_INPUT_LENGTH, decode: bool = True) -> Verdict:
    """Classify one input without any network access. Never raises for a ``str``.

    ``decode`` allows one percent-decoding of an input that is encoded as a whole; the
    short-link follower turns it off for redirect targets, which are never encoded like that.
    """
    return _classify(text, depth=0, max_length=max_length, decode=decode)


def _classify(text: str, *, depth: int, max_length: int, decode: bool) -> Verdict:
    text = text.strip(TRIM)
    if not text:
        return refuse("empty input: paste an AliExpress product address or a product id")
    if len(text) > max_length:
        return refuse(
            f"input too long ({len(text):,} characters; an address is at most {max_length:,})"
        )
    if ASCII_DIGITS.fullmatch(text):
        return bare_id(text)
    if _encoded_as_a_whole(text):
        if not decode:
            # Wrapper targets arrive decoded once already (by the query parser).
            return refuse("this address is percent-encoded more than once; paste it plainly")
        # A URL percent-encoded as a whole (copied out of another URL): decode exactly once.
        text = unquote(text).strip(TRIM)
        if _encoded_as_a_whole(text):
            return refuse("this address is percent-encoded more than once; paste it plainly")
    scheme_match = _SCHEME.match(text)
    if scheme_match is None or "." in scheme_match.group(1):
        # No scheme ("www.aliexpress.com/item/..." or "host:port/..."): read as https.
        numberish = _describe_numberish(text)
        if text.startswith("//"):
            text = "https:" + text
        elif numberish is None and _HOSTISH_START.match(text):
            text = "https://" + text
        else:
            return refuse(
                numberish or "this is neither an AliExpress product address nor a product id"
            )
        scheme = "https"
    else:
        scheme = scheme_match.group(1).lower()
    unsafe = _UNSAFE_CHARS.search(text)
    if unsafe is not None:
        if unsafe.group() == "\\":
            return refuse(
                "the address contains a backslash (\\), which web browsers and servers read "
                "differently; refused"
            )
        return refuse("the address contains spaces or control characters")
    if scheme in ("http", "https"):
        return _classify_web(text, depth=depth)
    if scheme in ("aliexpress", "aliexpresshd"):
        return _classify_app_link(text)
    if scheme == "intent":
        return _classify_intent(text, depth=depth)
    return refuse(
        f"{scheme}: addresses are not AliExpress product pages; paste an https:// address"
    )


def _classify_web(url: str, *, depth: int) -> Verdict:
    parts = _URL_PARTS.fullmatch(url)
    if parts is None:
        return refuse("this is not a complete web address (expected https://host/...)")
    scheme, authority, path, query, _fragment = parts.groups()
    host = checked_host(scheme.lower(), authority)
    if isinstance(host, HostProblem):
        return refuse(host.reason)
    query = query or ""
    written_path, path = path, path.lower()  # short codes are case-sensitive
    if host == "ali.click":
        if _ALI_CLICK_PATH.fullmatch(path):
            return _short_link(host, written_path, query)
        return refuse("this ali.click address is not a short link to a product")
    if not is_aliexpress_host(host):
        return refuse(foreign_host_reason(host))
    if host in ("s.click.aliexpress.com", "click.aliexpress.com"):
        if path == "/deep_link.htm":
            return _unwrap(query, "dl_target_url", Form.AFFILIATE_WRAPPER, depth=depth)
        if _SHORT_CODE_PATH.fullmatch(path):
            return _short_link(host, written_path, query)
        return _not_product(f"this {host} address is not a link to a product")
    if host == "a.aliexpress.com":
        if _A_SHORT_CODE_PATH.fullmatch(path):
            return _short_link(host, written_path, query)
        return _not_product("this a.aliexpress.com address is not a link to a product")
    if host == "star.aliexpress.com" and path == "/share/share.htm":
        return _unwrap(query, "redirectUrl", Form.SHARE_WRAPPER, depth=depth)
    return _classify_page(host, path, query)


def _classify_page(host: str, path: str, query: str) -> Verdict:
    """An ordinary AliExpress page: a product path, a page naming one product, or a refusal."""
    match = _ITEM_PATH.fullmatch(path)
    if match is not None:
        found = id_in_address(match.group(1), Form.ITEM)
        if found.kind is Kind.PRODUCT and "productid=" in query.lower():
            # Old desktop-to-mobile redirects repeat the id as productId; a different one
            # would make the address name two products.
            other = query_ids(query, keys=frozenset({"productid"}))
            if isinstance(other, QueryIds) and any(i != found.id for i in other.ids):
                return _ambiguous()
        return found
    match = _I_PATH.fullmatch(path)
    if match is not None:
        return id_in_address(match.group(1), Form.I_PATH)
    match = _STORE_PRODUCT_PATH.fullmatch(path)
    if match is not None:
        return id_in_address(match.group(2), Form.STORE_PRODUCT)
    if path.startswith(("/item/", "/i/", "/s/item/", "/store/product/")):
        return refuse("this product address has no product id in it", kind=Kind.NOT_PRODUCT)
    refusal = _page_refusal(host, path)
    if refusal is not None:
        return refusal
    if query and any(key in query.lower() for key in ("productid", "objectid")):
        ids = query_ids(query, keys=_QUERY_ID_KEYS)
        if not isinstance(ids, QueryIds):
            return ids
        if len(ids.ids) > 1:
            return _ambiguous()
        if ids.ids:
            return Verdict(
                kind=Kind.PRODUCT, id=ids.ids[0], raw_id=ids.raw[0], form=Form.QUERY_PARAM
            )
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
            ids = query_ids(query or "", keys=frozenset({"productid"}))
            if not isinstance(ids, QueryIds):
                return ids
            if len(ids.ids) == 1:
                return Verdict(
                    kind=Kind.PRODUCT, id=ids.ids[0], raw_id=ids.raw[0], form=Form.DEEP_LINK
                )
            if len(ids.ids) > 1:
                return _ambiguous()
    return refuse("this AliExpress app link does not open a product page")


def _classify_intent(url: str, *, depth: int) -> Verdict:
    body = url[len("intent:") :]
    marker = body.find("#Intent;")
    if not body.startswith("//") or marker < 0:
        return refuse("this Android intent link does not contain a web address")
    settings: dict[str, str] = {}
    for item in body[marker + len("#Intent;") :].split(";"):
        if item == "end":
            break
        key, _sep, value = item.partition("=")
        settings.setdefault(key, value)
    inner_scheme = settings.get("scheme", "").lower()
    if inner_scheme not in ("http", "https"):
        return refuse("this Android intent link does not open a web address")
    return _nested(inner_scheme + ":" + body[:marker], Form.INTENT, depth=depth)


def _unwrap(query: str, key: str, form: Form, *, depth: int) -> Verdict:
    wanted = key.lower()
    pairs = parse_qsl(query, keep_blank_values=True)
    targets = list(dict.fromkeys(v for k, v in pairs if v and k.lower() == wanted))
    if not targets:
        return refuse(f"this link has no {key} target in it", kind=Kind.OTHER_PAGE)
    if len(targets) > 1:
        return refuse(f"this link names two different {key} targets")
    return _nested(targets[0], form, depth=depth)


def _nested(inner: str, form: Form, *, depth: int) -> Verdict:
    if depth > 0:
        return refuse("this wrapper link is wrapped in another one; paste the inner address")
    # parse_qsl already decoded the target once: never decode it a second time.
    verdict = _classify(inner, depth=depth + 1, max_length=MAX_HOP_URL_LENGTH, decode=False)
    if verdict.kind is Kind.PRODUCT:
        return replace(verdict, form=form)
    if verdict.kind is Kind.SHORT_LINK:
        return verdict
    return replace(verdict, form=form, error=f"the address inside this link: {verdict.error}")


def _short_link(host: str, path: str, query: str) -> Verdict:
    # Always requested over https, whatever the pasted scheme: the hosts all serve it.
    target = f"https://{host}{path}" + (f"?{query}" if query else "")
    return Verdict(kind=Kind.SHORT_LINK, form=Form.SHORT_LINK, target=target)


def _not_product(reason: str) -> Verdict:
    return Verdict(kind=Kind.NOT_PRODUCT, error=reason)


def _other_page(reason: str) -> Verdict:
    return Verdict(kind=Kind.OTHER_PAGE, error=reason)


def _ambiguous() -> Verdict:
    return refuse(
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
