"""Where an HTML page sends the browser: a meta refresh, a script redirect, a canonical link.

Short-link landing pages sometimes answer 200 with a page that redirects in HTML instead of a
``Location``. The follower reads at most a capped body, but a hostile page can still be shaped to
make naive patterns backtrack, so every pattern here runs in linear time: repetitions are
possessive, a match never starts inside a run it already scanned, and an unclosed tag or string
runs to the end (of the body or the line) instead of being searched for again from each later
position.

>>> redirect_in_html('<meta http-equiv="Refresh" content="0; URL=https://a.aliexpress.com/_x">')
'https://a.aliexpress.com/_x'
"""

from __future__ import annotations

import html
import re

__all__ = ["redirect_in_html"]

_META_TAG = re.compile(r"<meta\b[^>]*+>?", re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*+>?", re.I)
_ATTRIBUTE = re.compile(
    r"""(?<![a-z:-])([a-z:-]++)\s*+=\s*+(?:"([^"]*+)"?|'([^']*+)'?|([^\s"'>]++))""", re.I
)
_REFRESH_URL = re.compile(r"""\s*+\d*+\s*+[;,]?+\s*+url\s*+=\s*+['"]?+([^'"]++)""", re.I)
_SCRIPT_REDIRECT = re.compile(
    r"""(?:location(?:\.href)?\s*+=|location\.(?:replace|assign)\s*+\()\s*+"""
    r"""(?:"([^"\n]*+)("?)|'([^'\n]*+)('?))""",
    re.I,
)


def redirect_in_html(body: str) -> str | None:
    """The address an HTML page redirects to, as written (not yet made absolute), or None."""
    if not body:
        return None
    meta_tags = [_attributes(tag) for tag in _tags(_META_TAG, body)]
    for attributes in meta_tags:
        if attributes.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.match(attributes.get("content", ""))
            if match:
                return match.group(1).strip()
    script = _script_redirect(body)
    if script is not None:
        return script
    for tag in _tags(_LINK_TAG, body):
        attributes = _attributes(tag)
        if attributes.get("rel", "").lower() == "canonical" and attributes.get("href"):
            return attributes["href"]
    for attributes in meta_tags:
        if attributes.get("property", "").lower() == "og:url" and attributes.get("content"):
            return attributes["content"]
    return None


def _tags(pattern: re.Pattern[str], body: str) -> list[str]:
    # A tag left open at the end of a (capped) body is dropped, as a browser drops it.
    return [tag for tag in pattern.findall(body) if tag.endswith(">")]


def _attributes(tag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, double, single, bare in _ATTRIBUTE.findall(tag):
        found.setdefault(name.lower(), html.unescape(double or single or bare))
    return found


def _script_redirect(body: str) -> str | None:
    for match in _SCRIPT_REDIRECT.finditer(body):
        double, double_closed, single, single_closed = match.groups()
        value = double if double is not None else single
        closed = double_closed if double is not None else single_closed
        if value and closed:
            # A JavaScript string: undo the escapes servers put in URLs.
            return value.replace("\\/", "/").replace("\\u0026", "&").replace("\\x26", "&")
    return None
